// Run the built CLI (dist/cli/main.js) in a child process.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { NOBODY, PACKAGE_DIR } from './env.js';

export const CLI = join(PACKAGE_DIR, 'dist', 'cli', 'main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

interface CliOptions {
  asNobody?: boolean;
  env?: Record<string, string>;
  /** Written to its stdin (default: none, stdin at EOF). */
  input?: string;
}

function argv(args: string[], asNobody: boolean): string[] {
  return [...(asNobody ? NOBODY : []), process.execPath, CLI, ...args];
}

/** nsbind ARGS, optionally as nobody; stdout is a pipe (no TTY). */
export function nsbind(args: string[], { asNobody = false, env = {}, input = '' }: CliOptions = {}): CliResult {
  const [file, ...rest] = argv(args, asNobody);
  const r = spawnSync(file!, rest, { cwd: PACKAGE_DIR, encoding: 'utf8', env: { ...process.env, ...env }, input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface RunningCli {
  /** The nsbind process (not the command it runs). */
  pid: number;
  /** Resolves when it has exited and its output has ended. */
  result: Promise<CliResult>;
}

/** nsbind ARGS left running: resolves once its stdout has said "ready" (the command is up). */
export async function startNsbind(args: string[], { asNobody = false } = {}): Promise<RunningCli> {
  const [file, ...rest] = argv(args, asNobody);
  const child = spawn(file!, rest, { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const result = new Promise<CliResult>((resolve) =>
    child.once('close', (status) => resolve({ status, stdout, stderr })),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (stdout.includes('ready\n')) resolve();
    });
    void result.then((r) =>
      reject(new Error(`nsbind ${args.join(' ')} exited (${r.status}) before it was ready: ${r.stderr}`)),
    );
  });
  return { pid: child.pid!, result };
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
