// Subprocess: a child started by spawn(), watched through its pidfd on the
// event loop of the thread that spawned it.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { NamespaceType } from './constants.js';
import { NamespaceError } from './errors.js';
import { Namespace, type NamespaceFileOptions } from './namespace.js';
import { type NativeExitStatus, native } from './native.js';
import * as validate from './validate.js';

export interface ExitStatus {
  /** Exit status, or null when a signal ended the process (or the status could not be read). */
  code: number | null;
  /** The signal that ended the process, or null. */
  signal: NodeJS.Signals | null;
  /**
   * Only when the process ended but its status could not be read (waitid failed, e.g. ECHILD
   * when something else reaped it): code and signal are null then.
   */
  error?: NamespaceError;
}

const ESRCH = -constants.errno.ESRCH;
const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

export class Subprocess extends EventEmitter {
  /** The child's pid, in the namespace of the thread that spawned it. */
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves once the process has exited and been reaped (never rejects). Piped output may still be arriving. */
  readonly exited: Promise<ExitStatus>;
  /** Resolves once the process has exited and its piped stdout/stderr have ended (like child_process 'close'). */
  readonly closed: Promise<ExitStatus>;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  #pidfd: number;
  #running = true;
  /** A paused child's go-ahead, until it is given. */
  #resume: (() => void) | undefined;
  #ref = true;

  /**
   * Made by spawn().
   * @internal
   * @hidden
   */
  constructor(
    pid: number,
    pidfd: number,
    stdio: [Writable | null, Readable | null, Readable | null],
    exited: Promise<NativeExitStatus>,
    resume?: () => void,
  ) {
    super();
    this.pid = pid;
    this.#pidfd = pidfd;
    [this.stdin, this.stdout, this.stderr] = stdio;
    this.#resume = resume;
    if (resume) this.#hold(false); // a child never resumed does not keep this process running
    this.exited = exited.then((reaped) => {
      this.#running = false;
      const status = exitStatus(reaped);
      this.exitCode = status.code;
      this.signalCode = status.signal;
      this.stdin?.destroy(); // nobody reads it any more (child_process does the same)
      // output nobody asked for is drained, so that `closed` can follow (as child_process flushes stdio)
      for (const out of [this.stdout, this.stderr]) if (out && out.readableFlowing === null) out.resume();
      this.#emit('exit', status);
      return status;
    });
    const ended = [this.stdout, this.stderr].map((s) =>
      s && !s.readableEnded ? new Promise((r) => s.once('close', r)) : undefined,
    );
    this.closed = Promise.all([this.exited, ...ended]).then(([status]) => {
      this.#emit('close', status);
      return status;
    });
  }

  /**
   * A listener that throws is an uncaught exception, as it would be for child_process's events —
   * never a rejection of `exited` or `closed`, which always resolve.
   */
  #emit(event: 'exit' | 'close', status: ExitStatus): void {
    try {
      this.emit(event, status.code, status.signal);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /** Whether the process is still running (not yet reaped). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Send a signal (pidfd_send_signal: never a recycled pid). Returns false
   * when the process has already exited.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const number = toSignal(signal);
    if (!this.#running) return false;
    if (this.#resume) this.#hold(this.#ref); // a paused child's exit is awaited like any other
    const r = native.kill(this.#pidfd, number);
    if (r === ESRCH) return false;
    if (r < 0) throw new NamespaceError(r, { syscall: 'pidfd_send_signal' });
    return true;
  }

  /** Keep the event loop alive until the process exits (the default; for a paused one, once resumed). */
  ref(): this {
    this.#ref = true;
    if (this.#running && !this.#resume) native.ref(this.#pidfd, true);
    return this;
  }

  /** Let the event loop exit while the process still runs. */
  unref(): this {
    this.#ref = false;
    if (this.#running && !this.#resume) native.ref(this.#pidfd, false);
    return this;
  }

  /** Whether the child was spawned with `paused: true` and waits for resume(). */
  get paused(): boolean {
    return this.#resume !== undefined;
  }

  /**
   * Let a child spawned with `paused: true` go on: the rest of its setup and exec. Throws the
   * NamespaceError spawn would have thrown (the child is killed then; `exited` reports it).
   */
  resume(): void {
    const go = this.#resume;
    if (!go)
      throw new TypeError('resume(): the child is not paused (spawned without paused: true, or resumed already)');
    this.#resume = undefined;
    try {
      go();
    } finally {
      this.#hold(this.#ref);
    }
  }

  /** While paused, neither the child nor its stdio pipes keep the event loop alive. */
  #hold(ref: boolean): void {
    if (this.#running) native.ref(this.#pidfd, ref);
    for (const s of [this.stdin, this.stdout, this.stderr] as (Socket | null)[]) {
      if (ref) s?.ref();
      else s?.unref();
    }
  }

  /** A handle on one of the child's namespaces (/proc/PID/ns/TYPE). */
  namespace(type: NamespaceType, options?: NamespaceFileOptions): Namespace {
    return Namespace.ofPid(this.pid, type, options);
  }
}

function exitStatus(reaped: NativeExitStatus): ExitStatus {
  if ('errno' in reaped)
    return { code: null, signal: null, error: new NamespaceError(reaped.errno, { syscall: reaped.syscall }) };
  const { code, signal } = reaped;
  if (!signal) return { code, signal: null };
  return { code: null, signal: signalNames.get(signal) ?? (`SIG${signal}` as NodeJS.Signals) };
}

function toSignal(signal: unknown): number {
  if (typeof signal === 'number') return validate.integer(signal, 'signal', 0, 64);
  if (typeof signal === 'string' && Object.hasOwn(constants.signals, signal))
    return constants.signals[signal as NodeJS.Signals];
  throw new TypeError(`unknown signal ${validate.describe(signal)}`);
}
