// What ends a child from outside, named as child_process names it: `timeout` with
// `killSignal`, and `signal` (an AbortSignal). Shared by spawn, execFile and spawnSync.
import { constants } from 'node:os';
import * as validate from './validate.js';

export interface ControlOptions {
  /** Milliseconds after which the child is sent `killSignal` (0 or absent: never). */
  timeout?: number;
  /** The signal `timeout`, `signal` (and execFile's `maxBuffer`) send: default 'SIGTERM'. */
  killSignal?: NodeJS.Signals | number;
  /** Aborting it sends `killSignal` to the child, and the child emits an AbortError as 'error'. */
  signal?: AbortSignal;
}

export interface ParsedControl {
  timeout: number;
  killSignal: number;
  signal: AbortSignal | undefined;
}

export const CONTROL_KEYS = ['timeout', 'killSignal', 'signal'] as const;

export function parseControl(o: ControlOptions): ParsedControl {
  const { signal } = o;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new TypeError(`options.signal must be an AbortSignal, got ${validate.describe(signal)}`);
  return {
    timeout: o.timeout === undefined ? 0 : validate.integer(o.timeout, 'options.timeout', 0, validate.INT32_MAX),
    killSignal: o.killSignal === undefined ? constants.signals.SIGTERM : toSignal(o.killSignal, 'options.killSignal'),
    signal,
  };
}

/** A signal name ('SIGTERM') or number (0-64) as a number. */
export function toSignal(signal: unknown, name = 'signal'): number {
  if (typeof signal === 'number') return validate.integer(signal, name, 0, 64);
  if (typeof signal === 'string' && Object.hasOwn(constants.signals, signal))
    return constants.signals[signal as NodeJS.Signals];
  throw new TypeError(`unknown ${name} ${validate.describe(signal)}`);
}

/** child_process's AbortError: name 'AbortError', code 'ABORT_ERR', the signal's reason as its cause. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  override readonly name = 'AbortError';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}
