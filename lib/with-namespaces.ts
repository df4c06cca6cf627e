// withNamespaces: run a synchronous function with the CALLING THREAD inside
// other namespaces, then put the thread back, whatever happens.
import { CLONE_FS, isNamespaceType, type NamespaceType, typeToFlag, unknownType } from './constants.js';
import { check, NamespaceError, NamespaceRestoreError } from './errors.js';
import { Namespace } from './namespace.js';
import { native } from './native.js';
import { openTarget } from './target.js';
import * as validate from './validate.js';

/** Per type: a handle, a namespace file path, or an fd on a namespace file. */
export type NamespaceTargets = Partial<Record<NamespaceType, Namespace | string | number>>;

// nsenter's order: the user namespace first (it grants the rights for the rest), mnt late.
const ORDER: readonly NamespaceType[] = ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt', 'time'];

interface Step {
  type: NamespaceType;
  target: Namespace;
  original: Namespace;
}

/**
 * Enter `targets` on the calling thread, run `fn` synchronously, and restore
 * the thread's namespaces, also when `fn` throws. Work that `fn` hands to
 * other threads (fs callbacks, dns.lookup, promises) does NOT run inside.
 * A mount namespace needs the thread's filesystem state unshared first
 * (unshare(CLONE_FS)); that split from the other threads is permanent, and
 * the working directory is restored afterwards.
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
  for (const type of ORDER) {
    const value = targets[type];
    if (value === undefined) continue;
    const target = openTarget(value, type, `targets.${type}`, owned);
    const original = Namespace.current(type);
    owned.push(original);
    if (!original.equals(target)) steps.push({ type, target, original });
  }
  return steps;
}

function run<T>(steps: Step[], fn: () => T): T {
  const entered: Step[] = [];
  let cwd = -1;
  let result: T | undefined;
  let failure: { error: unknown } | undefined;
  try {
    if (steps.some((s) => s.type === 'mnt')) {
      check(native.unshare(CLONE_FS), { syscall: 'unshare', flags: CLONE_FS });
      cwd = check(native.openCwd(), { syscall: 'open', path: '.' });
    }
    for (const step of steps) {
      const r = native.setns(step.target.fd, typeToFlag(step.type));
      if (r < 0) throw new NamespaceError(r, { syscall: 'setns', path: step.target.path, types: [step.type] });
      entered.push(step);
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
  for (const step of entered.reverse()) {
    const r = native.setns(step.original.fd, typeToFlag(step.type));
    if (r < 0 && !error) error = new NamespaceRestoreError(r, step.type, cause === undefined ? undefined : { cause });
  }
  if (cwd >= 0) {
    native.fchdir(cwd);
    native.close(cwd);
  }
  if (error)
    process.emitWarning(`${error.message}: ${error.hint}`, { type: 'NamespaceRestoreWarning', code: error.code });
  return error;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
