// The options execFile and spawnSync add to spawn's, as child_process names them:
// `input`, `encoding`, `maxBuffer`. Checked before anything is spawned.
import type { SpawnOptions } from './spawn-options.js';
import * as validate from './validate.js';

export interface OutputOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string | Uint8Array;
  /** How stdout and stderr are returned: a Buffer encoding (strings), or 'buffer' / null (Buffers). */
  encoding?: BufferEncoding | 'buffer' | null;
  /** Bytes allowed on stdout or stderr (each) before the child is sent `killSignal`: default 1 MiB. */
  maxBuffer?: number;
}

export interface ParsedOutput {
  spawn: SpawnOptions;
  input: Buffer | undefined;
  encoding: BufferEncoding | 'buffer';
  maxBuffer: number;
}

/** Options split into spawn's and the output's; `encoding` defaults to `defaultEncoding`. */
export function parseOutput(options: unknown, defaultEncoding: BufferEncoding | 'buffer'): ParsedOutput {
  const o = options === undefined ? {} : validate.object(options, 'options');
  const { input, encoding, maxBuffer, ...spawn } = o as SpawnOptions & OutputOptions;
  if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array))
    throw new TypeError(`options.input must be a string or a Uint8Array, got ${validate.describe(input)}`);
  if (input !== undefined && !stdinPiped(spawn.stdio))
    throw new TypeError("options.input needs a pipe for stdin: options.stdio[0] must be 'pipe'");
  if (encoding !== undefined && encoding !== null && encoding !== 'buffer' && !Buffer.isEncoding(encoding))
    throw new TypeError(
      `options.encoding must be a Buffer encoding, 'buffer' or null, got ${validate.describe(encoding)}`,
    );
  if (maxBuffer !== undefined && maxBuffer !== Number.POSITIVE_INFINITY)
    validate.integer(maxBuffer, 'options.maxBuffer', 0, Number.MAX_SAFE_INTEGER);
  return {
    spawn,
    input: input === undefined ? undefined : typeof input === 'string' ? Buffer.from(input) : Buffer.from(input),
    encoding: encoding === null ? 'buffer' : (encoding ?? defaultEncoding),
    maxBuffer: maxBuffer ?? 1024 * 1024,
  };
}

function stdinPiped(stdio: unknown): boolean {
  const first = Array.isArray(stdio) ? stdio[0] : stdio;
  return first === undefined || first === null || first === 'pipe';
}

/** Output as the caller asked for it. */
export function decode(data: Buffer, encoding: BufferEncoding | 'buffer'): string | Buffer {
  return encoding === 'buffer' ? data : data.toString(encoding);
}

/** child_process's `cmd` of an error: the file and its arguments joined by spaces. */
export function commandLine(file: string, args: readonly string[] | undefined): string {
  return args?.length ? `${file} ${args.join(' ')}` : file;
}
