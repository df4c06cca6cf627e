// Named network namespaces, interoperable with iproute2 (`ip netns`): a name
// is a bind mount of a network namespace on /run/netns/NAME.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { check, fromFsError, NamespaceError } from './errors.js';
import { type CreateOptions, createOptions, loopbackUp } from './loopback.js';
import { Namespace } from './namespace.js';
import { native } from './native.js';
import { atDirectory, bindOntoFile, unmount } from './persist.js';
import * as validate from './validate.js';

const EINVAL = -constants.errno.EINVAL;
const ENOENT = -constants.errno.ENOENT;

/** Where iproute2 keeps the names: /run/netns, or /var/run/netns on a system without /run. */
export function directory(): string {
  return statSync('/run', { throwIfNoEntry: false })?.isDirectory() ? '/run/netns' : '/var/run/netns';
}

/** The file that holds network namespace `name` (for `nsenter --net=…` and friends). */
export function path(name: string): string {
  return `${directory()}/${validate.netnsName(name)}`;
}

export type { CreateOptions } from './loopback.js';

/**
 * Create a network namespace named `name`, as `ip netns add NAME` does, and
 * return a handle on it. The namespace is made on a short-lived thread of its
 * own: no thread of the caller changes namespace.
 */
export function create(name: string, options?: CreateOptions): Namespace {
  const target = path(name);
  const { loopback } = createOptions(options);
  const dir = directory();
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(e, { syscall: 'mkdir', path: dir });
  }
  check(native.makeSharedMountpoint(dir), { syscall: 'mount', path: dir });
  bindOntoFile(
    target,
    'net',
    (dirFd, file) => native.persistAt(-1, dirFd, file, true),
    `A network namespace named "${name}" already exists.`,
  );
  const ns = Namespace.open(target);
  try {
    if (loopback) loopbackUp(ns);
  } catch (e) {
    ns.close(); // not left behind, half set up, under its name
    remove(name);
    throw e;
  }
  return ns;
}

/** A handle on the network namespace named `name` (made by create() or `ip netns add`). */
export function open(name: string): Namespace {
  const file = path(name);
  let ns: Namespace;
  try {
    ns = Namespace.open(file);
  } catch (e) {
    if (!(e instanceof NamespaceError) || e.code !== 'ENOENT') throw e;
    throw new NamespaceError(
      e.errno,
      { syscall: 'open', path: file, hint: `There is no network namespace named "${name}".` },
      { cause: e },
    );
  }
  if (ns.type === 'net') return ns;
  ns.close();
  throw new NamespaceError(EINVAL, {
    syscall: 'open',
    path: file,
    hint: `${file} holds a ${ns.type} namespace, not a network namespace.`,
  });
}

/** The names of the network namespaces, as `ip netns list` shows them (sorted). */
export function list(): string[] {
  const dir = directory();
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromFsError(e, { syscall: 'scandir', path: dir });
  }
}

/**
 * Remove the name, as `ip netns delete NAME` does: lazily unmount and unlink
 * it. The namespace itself lives on while processes or fds still use it. A
 * symlink under the name is removed, never followed; only a bind mount of a
 * namespace file is unmounted.
 */
export function remove(name: string): void {
  const file = path(name);
  const missing = `There is no network namespace named "${name}".`;
  if (!statSync(directory(), { throwIfNoEntry: false }))
    throw new NamespaceError(ENOENT, { syscall: 'unlink', path: file, hint: missing });
  atDirectory(file, (dir, entry) => {
    try {
      unmount(dir, entry, file);
    } catch (e) {
      // a name left without a mount (or not a namespace) is removed all the same, as iproute2 does
      if (!(e instanceof NamespaceError) || (e.code !== 'EINVAL' && e.code !== 'ENOENT')) throw e;
    }
    const r = native.unlinkAt(dir, entry, -1, -1);
    if (r < 0) {
      const hint = r === ENOENT ? missing : undefined;
      throw new NamespaceError(r, { syscall: 'unlink', path: file, hint });
    }
  });
}
