// withNamespaces: run a synchronous function with the CALLING THREAD inside
// other namespaces, then put the thread back, whatever happens.
import { isMainThread } from 'node:worker_threads';
import { CLONE_FS, isNamespaceType, JOIN_ORDER, type NamespaceType, typeToFlag, unknownType } from './constants.js';
import { check, NamespaceError, NamespaceRestoreError } from './errors.js';
import { Namespace } from './namespace.js';
import { native } from './native.js';
import { openTarget } from './target.js';
import * as validate from './validate.js';

/** Per type: a handle, a namespace file path, or an fd on a namespace file. */
export type NamespaceTargets = Partial<Record<NamespaceType, Namespace | string | number>>;

interface Step {
  type: NamespaceType;
  target: Namespace;
  /** What setns changes, as it was: the thread's own namespace, or for pid and time what its children get. */
  original: Namespace;
}

/**
 * Enter `targets` on the calling thread, run `fn` synchronously, and restore
 * the thread's namespaces, also when `fn` throws. Work that `fn` hands to
 * other threads (fs callbacks, dns.lookup, promises) does NOT run inside.
 * A mount namespace needs the thread's filesystem state unshared first
 * (unshare(CLONE_FS)); that split from the other threads is permanent, and
 * the working directory (and Node's cached process.cwd()) is restored afterwards.
 * pid and time targets change only what children get (pid_for_children):
 * that is what is restored. A thread started inside fn (new Worker()) starts
 * in the namespaces entered and stays there, as any new thread would.
 */
export function withNamespaces<T>(targets: NamespaceTargets, fn: () => T): T {
  validate.object(targets, 'targets');
  validate.func(fn, 'fn');
  for (const key of Object.keys(targets)) if (!isNamespaceType(key)) throw unknownType(key);

  const owned: Namespace[] = [];
  try {
    const steps = plan(targets, owned);
    return run(steps, fn);
  } finally {
    for (const ns of owned) ns.close();
  }
}

/** Open every target and the thread's current namespaces before moving at all. */
function plan(targets: NamespaceTargets, owned: Namespace[]): Step[] {
  const steps: Step[] = [];
  for (const type of JOIN_ORDER) {
    const value = targets[type];
    if (value === undefined) continue;
    const target = openTarget(value, type, `targets.${type}`, owned);
    const original = currentFor(type);
    owned.push(original);
    if (!original.equals(target)) steps.push({ type, target, original });
  }
  return steps;
}

/** What the way back needs: for pid and time (setns moves only the children), the *_for_children namespace. */
function currentFor(type: NamespaceType): Namespace {
  if (type !== 'pid' && type !== 'time') return Namespace.current(type);
  try {
    return Namespace.current(type, { forChildren: true });
  } catch (e) {
    if (!(e instanceof NamespaceError) || e.code !== 'ENOENT') throw e;
    throw new NamespaceError(
      e.errno,
      {
        syscall: 'open',
        path: e.path,
        hint:
          `This thread's ${type}_for_children namespace has no process yet (after unshare('${type}')), so it ` +
          'cannot be opened to come back to: start its first child (spawn) before withNamespaces, so that ' +
          'what later children get is not lost.',
      },
      { cause: e },
    );
  }
}

function run<T>(steps: Step[], fn: () => T): T {
  const entered: Step[] = [];
  let cwd = -1;
  let result: T | undefined;
  let failure: { error: unknown } | undefined;
  try {
    if (steps.some((s) => s.type === 'mnt')) {
      if (!isMainThread) process.cwd(); // a worker's cache is refreshed only by the main thread: fill it now
      check(native.unshare(CLONE_FS), { syscall: 'unshare', flags: CLONE_FS });
      cwd = check(native.openCwd(), { syscall: 'open', path: '.' });
    }
    for (const step of steps) {
      const r = native.setns(step.target.fd, typeToFlag(step.type));
      if (r < 0) throw new NamespaceError(r, { syscall: 'setns', path: step.target.path, types: [step.type] });
      entered.push(step);
      if (step.type === 'mnt') refreshCwd(); // the kernel put the thread at the namespace's root
    }
    result = fn();
  } catch (error) {
    failure = { error };
  }
  const restoreError = restore(entered, cwd, failure?.error);
  if (restoreError) throw restoreError;
  if (failure) throw failure.error;
  if (isThenable(result)) {
    result.then(undefined, () => {}); // its rejection is reported through the TypeError below
    throw new TypeError(
      'withNamespaces callback returned a promise: the namespaces were restored when it returned, so its ' +
        'asynchronous work would run outside them. Do the namespace-sensitive part synchronously (e.g. ' +
        'create the socket inside), or use spawn() for a process that lives in the namespaces.',
    );
  }
  return result as T;
}

/** Put the thread back, innermost first; keep going past a failure and report the first one loudly. */
function restore(entered: Step[], cwd: number, cause: unknown): NamespaceRestoreError | undefined {
  let error: NamespaceRestoreError | undefined;
  // A thread fn started (new Worker()) shares this thread's filesystem state, and setns(mnt) needs it unshared.
  if (cwd >= 0) native.unshare(CLONE_FS);
  for (const step of entered.reverse()) {
    const r = native.setns(step.original.fd, typeToFlag(step.type));
    if (r < 0 && !error) error = new NamespaceRestoreError(r, step.type, cause === undefined ? undefined : { cause });
  }
  if (cwd >= 0) {
    native.fchdir(cwd);
    native.close(cwd);
    refreshCwd();
  }
  if (error)
    process.emitWarning(`${error.message}: ${error.hint}`, { type: 'NamespaceRestoreWarning', code: error.code });
  return error;
}

/**
 * Node caches process.cwd(); process.chdir('.') leaves the thread where it is and empties the cache, so
 * that process.cwd() and path.resolve() agree with fs again. Workers cannot chdir: see run().
 */
function refreshCwd(): void {
  if (!isMainThread) return;
  try {
    process.chdir('.');
  } catch {
    // (no search permission on '.': the cache alone stays as it was; the thread is where it should be)
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
