// execFile: spawn, collect stdout and stderr, settle once the child is done —
// the shape of util.promisify(child_process.execFile), with `input` and every
// spawn option (namespaces too).
import type { Readable } from 'node:stream';
import { NamespaceError } from './errors.js';
import { commandLine, decode, type OutputOptions, parseOutput } from './exec-options.js';
import { spawn } from './spawn.js';
import type { SpawnOptions } from './spawn-options.js';
import type { Subprocess } from './subprocess.js';
import * as validate from './validate.js';

export type ExecFileOptions = SpawnOptions & OutputOptions;

export interface ExecFileResult<T extends string | Buffer> {
  stdout: T;
  stderr: T;
}

/** Why execFile rejected, with what the child wrote: as child_process's error (plus `stdout`, `stderr`). */
export interface ExecFileError<T extends string | Buffer = string | Buffer> extends Error {
  /** The exit status; null when a signal ended it. An errno code ('ENOENT', 'ABORT_ERR', …) for other failures. */
  code?: number | string | null;
  signal?: NodeJS.Signals | null;
  /** Whether the child was sent a signal (by `timeout`, `maxBuffer`, `signal` or kill()). */
  killed?: boolean;
  /** The file and arguments, space-separated. */
  cmd: string;
  stdout: T;
  stderr: T;
}

/** The promise also holds the child, as util.promisify(child_process.execFile)'s does (undefined when it could not start). */
export type ExecFilePromise<T extends string | Buffer> = Promise<ExecFileResult<T>> & { child: Subprocess | undefined };

/**
 * Run `file` with `args` and resolve with its stdout and stderr once it has exited and its output
 * ended; reject (an ExecFileError) when it exits non-zero, a signal ends it, its output passes
 * `maxBuffer`, `timeout` or `signal` stop it, or it cannot start (a NamespaceError with `step`).
 * Bad arguments throw TypeError / RangeError synchronously.
 */
export function execFile(
  file: string,
  args?: readonly string[],
  options?: ExecFileOptions & { encoding: 'buffer' | null },
): ExecFilePromise<Buffer>;
export function execFile(file: string, args?: readonly string[], options?: ExecFileOptions): ExecFilePromise<string>;
export function execFile(
  file: string,
  args?: readonly string[],
  options?: ExecFileOptions,
): ExecFilePromise<string | Buffer> {
  const { spawn: all, input, encoding, maxBuffer } = parseOutput(options, 'utf8');
  // execFile's own timeout, as child_process's: its kill also lets go of the output pipes
  const { timeout, ...spawnOptions } = all;
  if (timeout !== undefined) validate.integer(timeout, 'options.timeout', 0, validate.INT32_MAX);
  const cmd = commandLine(String(file), args);
  let child: Subprocess;
  try {
    child = spawn(file, args, spawnOptions);
  } catch (error) {
    if (!(error instanceof NamespaceError)) throw error;
    const empty = decode(Buffer.alloc(0), encoding);
    return Object.assign(Promise.reject(Object.assign(error, { cmd, stdout: empty, stderr: empty })), {
      child: undefined,
    });
  }
  const promise = new Promise<ExecFileResult<string | Buffer>>((resolve, reject) => {
    const collected = [
      collect(child.stdout, 'stdout', maxBuffer, overflow),
      collect(child.stderr, 'stderr', maxBuffer, overflow),
    ];
    const output = () => {
      const [stdout, stderr] = collected.map((c) => decode(Buffer.concat(c), encoding));
      return { stdout: stdout as string | Buffer, stderr: stderr as string | Buffer };
    };
    let failure: Error | undefined;
    let settled = false;
    const fail = (error: Error, extra: object) => {
      if (settled) return;
      settled = true;
      reject(Object.assign(error, extra, { cmd }, output()));
    };
    /** child_process's kill(): no more output (a grandchild holding the pipes cannot delay 'close'), then the signal. */
    const kill = () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      try {
        child.kill(spawnOptions.killSignal ?? 'SIGTERM');
      } catch (error) {
        fail(error as Error, {});
      }
    };
    function overflow(which: 'stdout' | 'stderr') {
      failure ??= Object.assign(new RangeError(`${which} maxBuffer length exceeded`), {
        code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
      });
      kill();
    }
    const timer = timeout ? setTimeout(kill, timeout) : undefined;
    child.on('exit', () => clearTimeout(timer));
    child.on('error', (error) => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      fail(error, {});
    });
    child.on('close', (code, signal) => {
      if (failure) return fail(failure, {});
      if (code === 0 && signal === null) {
        settled = true;
        return resolve(output());
      }
      const { stderr } = output();
      fail(new Error(`Command failed: ${cmd}\n${stderr}`), { code, killed: child.killed, signal });
    });
  });
  if (input !== undefined) {
    // parseOutput refused input without a stdin pipe; a child that exits unread (EPIPE) is no failure of ours
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  }
  return Object.assign(promise, { child });
}

/** A stream's chunks up to `max` bytes; past them `full` is told (once) and the rest dropped, as child_process does. */
function collect<W extends string>(stream: Readable | null, which: W, max: number, full: (which: W) => void): Buffer[] {
  const chunks: Buffer[] = [];
  let length = 0;
  stream?.on('data', (chunk: Buffer) => {
    if (length > max) return;
    chunks.push(chunk.subarray(0, Math.max(0, max - length)));
    length += chunk.length;
    if (length > max) full(which);
  });
  return chunks;
}
