// runNode with test/fixtures/inject.c preloaded: a libc call native spawn
// makes watched or broken, to reach paths nothing else can (see inject.c).
import { readFileSync } from 'node:fs';
import { compileC } from './cc.js';
import { runNode } from './env.js';

export function runInjected(script: string, inject: 'clone' | 'sync-eof' | 'waitid-echild'): string {
  const source = readFileSync(new URL('../fixtures/inject.c', import.meta.url), 'latin1');
  const library = compileC('inject', source, ['-shared', '-fPIC']);
  // after a sanitizer runtime the test run preloads, which must come first
  const preload = [process.env.LD_PRELOAD, library].filter(Boolean).join(':');
  // a broken call could hang the script: a shorter bound
  return runNode(script, { seconds: 30, env: { LD_PRELOAD: preload, NSBIND_INJECT: inject } });
}
