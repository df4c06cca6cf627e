// Subprocess: a child started by spawn(), watched through its pidfd on the
// event loop of the thread that spawned it. Its properties and events are
// child_process's ChildProcess's.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Duplex, Readable, Writable } from 'node:stream';
import { inspect } from 'node:util';
import type { NamespaceType } from './constants.js';
import { NamespaceError } from './errors.js';
import { Namespace, type NamespaceFileOptions } from './namespace.js';
import { type NativeExitStatus, native } from './native.js';
import { AbortError, type ParsedControl, toSignal } from './spawn-control.js';

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

/** The events of a Subprocess and their listeners' arguments, in child_process's order: spawn, exit, close. */
export interface SubprocessEvents {
  /** The program runs (emitted once, on the next tick after spawn() returned). */
  spawn: [];
  /** The process ended and was reaped; its piped output may still be arriving. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
  /** After 'exit', once the piped outputs (stdio 1 and up) have closed. */
  close: [code: number | null, signal: NodeJS.Signals | null];
  /** An AbortError after `signal` aborted, or a failure of the kill sent by `timeout` or `signal`. */
  error: [error: Error];
}

/** What spawn() knows about a child besides its pid and pipes. @internal */
export interface SpawnInfo {
  spawnfile: string;
  spawnargs: string[];
  control: ParsedControl;
  namespaces: NamespaceType[];
  joined: NamespaceType[];
  /** A paused child's go-ahead. */
  resume: (() => void) | undefined;
}

const ESRCH = -constants.errno.ESRCH;
const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

export class Subprocess extends EventEmitter<SubprocessEvents> {
  /** The child's pid, in the namespace of the thread that spawned it. */
  readonly pid: number;
  /** stdio[0], stdio[1], stdio[2]: the parent's ends of the 'pipe' entries (null for the others). */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** The parent's end of each child fd given as 'pipe' (fd 3 and up: a duplex socket), null for the others. */
  readonly stdio: readonly (Writable | Readable | Duplex | null)[];
  /** The program as given to spawn (a path, or a name looked up in PATH). */
  readonly spawnfile: string;
  /** Its argv: argv0 (default the file), then the arguments. */
  readonly spawnargs: readonly string[];
  /** Resolves once the process has exited and been reaped (never rejects). Piped output may still be arriving. */
  readonly exited: Promise<ExitStatus>;
  /** Resolves once the process has exited and its piped outputs (stdio 1 and up) have closed (child_process's 'close'). */
  readonly closed: Promise<ExitStatus>;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** Whether a kill() (yours, or one sent by `timeout` or `signal`) delivered its signal. */
  killed = false;
  #pidfd: number;
  #running = true;
  #info: SpawnInfo;
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
    stdio: (Writable | Readable | Duplex | null)[],
    exited: Promise<NativeExitStatus>,
    info: SpawnInfo,
  ) {
    super();
    this.pid = pid;
    this.#pidfd = pidfd;
    this.#info = info;
    this.stdio = stdio;
    this.stdin = (stdio[0] as Writable | null | undefined) ?? null;
    this.stdout = (stdio[1] as Readable | null | undefined) ?? null;
    this.stderr = (stdio[2] as Readable | null | undefined) ?? null;
    this.spawnfile = info.spawnfile;
    this.spawnargs = info.spawnargs;
    const outputs = stdio.slice(1).filter((s): s is Readable => s !== null);
    this.#resume = info.resume;
    if (this.#resume)
      this.#hold(false); // a child never resumed does not keep this process running
    else process.nextTick(() => this.#emit('spawn')); // before an abort of an aborted signal, as child_process
    const stopControl = this.#control(info.control);
    this.exited = exited.then((reaped) => {
      this.#running = false;
      stopControl();
      const status = exitStatus(reaped);
      this.exitCode = status.code;
      this.signalCode = status.signal;
      this.stdin?.destroy(); // nobody reads it any more (child_process does the same)
      // output nobody asked for is drained, so that `closed` can follow (as child_process flushes stdio)
      for (const out of outputs) if (out.readableFlowing === null) out.resume();
      this.#emit('exit', status.code, status.signal);
      return status;
    });
    const ended = outputs.map((s) => (s.readableEnded ? undefined : new Promise((r) => s.once('close', r))));
    this.closed = Promise.all([this.exited, ...ended]).then(([status]) => {
      this.#emit('close', status.code, status.signal);
      return status;
    });
  }

  /**
   * A listener that throws is an uncaught exception, as it would be for child_process's events —
   * never a rejection of `exited` or `closed`, which always resolve.
   */
  #emit<E extends keyof SubprocessEvents>(event: E, ...args: SubprocessEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: SubprocessEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /** `timeout` and `signal`, as child_process arms them; returns what disarms them at the exit. */
  #control({ timeout, killSignal, signal }: ParsedControl): () => void {
    const stop = (error?: Error) => {
      try {
        if (this.kill(killSignal) && error) this.#emit('error', error);
      } catch (e) {
        this.#emit('error', e as Error);
      }
    };
    const timer = timeout > 0 ? setTimeout(() => stop(), timeout) : undefined;
    const onAbort = () => stop(new AbortError(undefined, { cause: signal?.reason }));
    if (signal?.aborted) process.nextTick(onAbort);
    else signal?.addEventListener('abort', onAbort, { once: true });
    return () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
  }

  /** Whether the process is still running (not yet reaped). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Send a signal (pidfd_send_signal: never a recycled pid). Returns false when the process has
   * already exited. In a new pid namespace the program is its pid 1, which the kernel shields from
   * every signal it has no handler for (SIGTERM, SIGINT…; SIGKILL always works): with `init: true`
   * a minimal init is pid 1 instead and forwards the signal.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const number = toSignal(signal);
    if (!this.#running) return false;
    if (this.#resume) this.#hold(this.#ref); // a paused child's exit is awaited like any other
    const r = native.kill(this.#pidfd, number);
    if (r === ESRCH) return false;
    if (r < 0) throw new NamespaceError(r, { syscall: 'pidfd_send_signal' });
    this.killed = true;
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
   * Let a child spawned with `paused: true` go on: the rest of its setup and exec ('spawn' follows).
   * Throws the NamespaceError spawn would have thrown (the child is killed then; `exited` reports it).
   */
  resume(): void {
    const go = this.#resume;
    if (!go)
      throw new TypeError('resume(): the child is not paused (spawned without paused: true, or resumed already)');
    this.#resume = undefined;
    try {
      go();
      process.nextTick(() => this.#emit('spawn'));
    } finally {
      this.#hold(this.#ref);
    }
  }

  /** While paused, neither the child nor its stdio pipes keep the event loop alive. */
  #hold(ref: boolean): void {
    if (this.#running) native.ref(this.#pidfd, ref);
    for (const s of this.stdio as (Socket | null)[]) {
      if (ref) s?.ref();
      else s?.unref();
    }
  }

  /** A handle on one of the child's namespaces (/proc/PID/ns/TYPE). */
  /**
   * A handle on one of the child's namespaces (what /proc/PID/ns/TYPE names), taken through its pidfd
   * (Linux 6.11; on older kernels /proc/PID/ns, kept only if the child is still there): once the
   * process has exited, ESRCH, never the namespace of another process that got its pid.
   */
  namespace(type: NamespaceType, options?: NamespaceFileOptions): Namespace {
    return Namespace.ofChild(this.#pidfd, this.pid, type, options);
  }

  /** `Subprocess <pid=… running fd=… sleep new=[pid,uts] joined=[net]>`: what it is, not its sockets. */
  [inspect.custom](): string {
    const { namespaces, joined } = this.#info;
    const state = this.#running
      ? `running fd=${this.#pidfd}`
      : this.signalCode
        ? `killed by ${this.signalCode}`
        : `exited ${this.exitCode}`;
    const ns = [namespaces.length ? ` new=[${namespaces}]` : '', joined.length ? ` joined=[${joined}]` : ''];
    return `Subprocess <pid=${this.pid} ${state} ${JSON.stringify(this.spawnfile)}${ns.join('')}>`;
  }
}

function exitStatus(reaped: NativeExitStatus): ExitStatus {
  if ('errno' in reaped)
    return { code: null, signal: null, error: new NamespaceError(reaped.errno, { syscall: reaped.syscall }) };
  const { code, signal } = reaped;
  if (!signal) return { code, signal: null };
  return { code: null, signal: signalName(signal) };
}

/** 'SIGTERM' for 15 (an unnamed real-time signal: 'SIG34'). */
export function signalName(signal: number): NodeJS.Signals {
  return signalNames.get(signal) ?? (`SIG${signal}` as NodeJS.Signals);
}
