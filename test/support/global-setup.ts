// Once per vitest run: where child processes load the built package from.
// Tests that drop to nobody need a package nobody can read; a checkout under
// /root is not, so then they get a world-readable copy of what loading needs.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT, openUp } from './checkout.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The package root child processes load (dist/, build/Release, node_modules/bindings). */
    packageDir: string;
  }
}

const NEEDED = ['package.json', 'dist', 'build/Release/nsbind.node', 'node_modules/bindings', 'node_modules/file-uri-to-path'];

export default function setup(project: TestProject): (() => void) | undefined {
  const readable = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', join(ROOT, 'dist', 'index.js')]).status === 0;
  if (process.geteuid?.() !== 0 || readable) {
    project.provide('packageDir', ROOT);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nsbind-package-'));
  for (const entry of NEEDED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true, verbatimSymlinks: true });
  openUp(dir);
  project.provide('packageDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
