// Once per vitest run: where child processes load the built package from.
// Tests that drop to nobody need a package nobody can read; a checkout under
// /root is not, so then they get a world-readable copy of what loading needs.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openUp, ROOT } from './checkout.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The package root child processes load (dist/, build/Release, node_modules/bindings). */
    packageDir: string;
  }
}

const NEEDED = [
  'package.json',
  'dist',
  'build/Release/nsbind.node',
  'node_modules/bindings',
  'node_modules/file-uri-to-path',
];
/** A file in each of them: if nobody can read all of these, loading works for nobody. */
const PROBES = [
  'package.json',
  'dist/index.js',
  'build/Release/nsbind.node',
  'node_modules/bindings/bindings.js',
  'node_modules/file-uri-to-path/index.js',
];

export default function setup(project: TestProject): (() => void) | undefined {
  const probe = ['sh', '-c', 'for f; do test -r "$f" || exit 1; done', 'sh', ...PROBES.map((f) => join(ROOT, f))];
  const readable = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...probe]).status === 0;
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
