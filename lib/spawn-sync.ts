// spawnSync: spawn and wait for the child on this thread — native code polls
// its pidfd and pipes (no event loop, no pool thread) — with
// child_process.spawnSync's result shape.
import { constants } from 'node:os';
import { NamespaceError } from './errors.js';
import { decode, type OutputOptions, parseOutput } from './exec-options.js';
import { native } from './native.js';
import { withRequest } from './spawn.js';
import { parseSpawn, type SpawnOptions } from './spawn-options.js';
import { LIBRARY, stepError } from './spawn-steps.js';
import { signalName } from './subprocess.js';

export type SpawnSyncOptions = Omit<SpawnOptions, 'signal'> & OutputOptions;

export interface SpawnSyncResult<T extends string | Buffer> {
  /** The child's pid; 0 when it could not start. */
  pid: number;
  /** What the child wrote to each fd given as 'pipe' (null for the others, and for stdin); null when it could not start. */
  output: (T | null)[] | null;
  stdout: T | null;
  stderr: T | null;
  /** Exit status, or null when a signal ended it (or it could not start). */
  status: number | null;
  signal: NodeJS.Signals | null;
  /**
   * Why it did not run to its end: a NamespaceError with `step` when it could not start,
   * ETIMEDOUT (`timeout`) or ENOBUFS (`maxBuffer`) when it was sent `killSignal`.
   */
  error?: NamespaceError;
}

const MAX_SAFE_BUFFER = Number.MAX_SAFE_INTEGER;

/**
 * Run `file` and wait for it to exit and its pipes to close, blocking this thread: input goes to its
 * stdin; output of each pipe is collected. Bad arguments throw TypeError / RangeError; everything
 * else is in the result, as child_process.spawnSync reports it.
 */
export function spawnSync(
  file: string,
  args?: readonly string[],
  options?: SpawnSyncOptions & { encoding: BufferEncoding },
): SpawnSyncResult<string>;
export function spawnSync(file: string, args?: readonly string[], options?: SpawnSyncOptions): SpawnSyncResult<Buffer>;
export function spawnSync(
  file: string,
  args?: readonly string[],
  options?: SpawnSyncOptions,
): SpawnSyncResult<string | Buffer> {
  const { spawn, input, encoding, maxBuffer } = parseOutput(options, 'buffer');
  if ((spawn as SpawnOptions).signal !== undefined)
    throw new TypeError('options.signal cannot stop spawnSync: it blocks this thread (use timeout)');
  const parsed = parseSpawn(file, args, spawn);
  if (parsed.privileges.paused) throw new TypeError('options.paused: spawnSync cannot pause a child (use spawn)');
  if (parsed.autoMaps.length > 0)
    throw new TypeError("uidMap/gidMap 'auto' need spawn: newuidmap writes them while the child waits");
  const { timeout, killSignal } = parsed.control;
  const spawnargs = parsed.argv.slice(1);
  const result = withRequest(parsed, (request) =>
    native.spawnSync(request, input ?? Buffer.alloc(0), timeout, Math.min(maxBuffer, MAX_SAFE_BUFFER), killSignal),
  );
  if ('errno' in result) {
    const error = stepError(result.errno, result.step, { ...result, request: parsed, remedies: LIBRARY });
    return { pid: 0, output: null, stdout: null, stderr: null, status: null, signal: null, error };
  }
  const output = result.output.map((data) => (data === null ? null : decode(data, encoding)));
  const reply: SpawnSyncResult<string | Buffer> = {
    pid: result.pid,
    output,
    stdout: output[1] ?? null,
    stderr: output[2] ?? null,
    status: result.signal ? null : result.code,
    signal: result.signal ? signalName(result.signal) : null,
  };
  if (result.error !== undefined) {
    const cut = result.error === -constants.errno.ETIMEDOUT || result.error === -constants.errno.ENOBUFS;
    reply.error = new NamespaceError(result.error, {
      syscall: cut ? `spawnSync ${parsed.file}` : (result.syscall ?? 'spawnSync'),
      path: parsed.file,
      spawnargs,
    });
  }
  return reply;
}
