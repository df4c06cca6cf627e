// Run the built CLI (dist/cli/main.js) in a child process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { NOBODY, ROOT_DIR } from './env.js';

export const CLI = join(ROOT_DIR, 'dist', 'cli', 'main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** nsbind ARGS, optionally as nobody; stdout is a pipe (no TTY). */
export function nsbind(args: string[], { asNobody = false, env = {} as Record<string, string> } = {}): CliResult {
  const argv = [...(asNobody ? NOBODY : []), process.execPath, CLI, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT_DIR, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A failure as the CLI must report it: one line on stderr, no stack trace, nothing on stdout. */
export function oneLineError(r: CliResult): string {
  expect(r.status).not.toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}
