// persist/release: keep a namespace alive with a bind mount of its nsfs file
// (what `ip netns add` and `unshare --net=FILE` do), and let it go again.
// Root callers are targets: the directory is resolved once (an O_PATH fd),
// the file name in it is never followed, and the mount and unmount act on the
// object that was opened and checked (native/mount.c).
import { constants } from 'node:os';
import { basename, dirname } from 'node:path';
import type { NamespaceType } from './constants.js';
import { NamespaceError } from './errors.js';
import { Namespace } from './namespace.js';
import { type MountFailure, native, type RawFile } from './native.js';
import * as validate from './validate.js';

const EINVAL = -constants.errno.EINVAL;
const ELOOP = -constants.errno.ELOOP;
const ENOENT = -constants.errno.ENOENT;
const ESTALE = -constants.errno.ESTALE;

const MNT_LOOP_HINT =
  "A mount namespace can only be bind-mounted from an older one (not the caller's own), and not onto a " +
  "shared mount that propagates into that namespace: make the target's directory a private mount first " +
  '(mount --bind DIR DIR && mount --make-private DIR), as iproute2 does for /run/netns.';
const SYMLINK_HINT =
  'The target is a symbolic link, which persist does not follow (whoever can write its directory could ' +
  'point it anywhere): give the path of the file itself.';

/** The mount point files persist() created in this environment ("dev:ino"): the ones release() removes. */
const created = new Set<string>();
const key = (dev: number, ino: number) => `${dev}:${ino}`;

/**
 * Bind-mount the namespace `ns` refers to onto `target` (an empty file is
 * created if there is none; a symlink there is refused, not followed) so that
 * it outlives its processes and fds. Whatever the handle names is kept: a
 * handle on pid_for_children or time_for_children keeps that namespace, even
 * before any process is in it. Open it again with Namespace.open(target),
 * `nsenter --net=TARGET`, …
 */
export function persist(ns: Namespace, target: string): void {
  if (!(ns instanceof Namespace)) throw new TypeError(`ns must be a Namespace, got ${validate.describe(ns)}`);
  validate.path(target, 'target');
  const fd = ns.fd;
  bindOntoFile(target, ns.type, (dir, name) => native.persistAt(fd, dir, name, false));
}

/**
 * Undo persist(): lazily unmount the namespace file at `target`, and remove
 * the file if persist() created it (in this environment: the main thread or
 * this worker). A file that was there before persist(), or one made elsewhere,
 * is left in place. Anything at `target` that is not a bind mount of a
 * namespace file (a symlink, a plain file, another mount) is left alone: EINVAL.
 */
export function release(target: string): void {
  validate.path(target, 'target');
  atDirectory(target, (dir, name) => {
    const [, dev, ino] = unmount(dir, name, target);
    if (!created.delete(key(dev, ino))) return;
    const r = native.unlinkAt(dir, name, dev, ino);
    // (ESTALE, ENOENT: someone else already replaced or removed it; not ours to remove then)
    if (r < 0 && r !== ESTALE && r !== ENOENT) throw new NamespaceError(r, { syscall: 'unlink', path: target });
  });
}

/** Unmount the namespace file mounted at `name` in dir: the file it covered. */
export function unmount(dir: number, name: string, target: string): RawFile {
  const r = native.releaseAt(dir, name);
  if (!failed(r)) return r;
  const hint =
    r[0] === EINVAL
      ? 'No namespace file is mounted on this path (it was never persisted, or it is not a bind mount of ' +
        'one), so it was left alone.'
      : undefined;
  throw new NamespaceError(r[0], { syscall: r[1], path: target, hint });
}

/**
 * Open target's directory (once), run `bind(dir, name)` to mount a namespace
 * onto `name` in it, and record the file if bind created it. With `existsHint`,
 * the caller asked for a new file (EEXIST, with that hint).
 */
export function bindOntoFile(
  target: string,
  type: NamespaceType,
  bind: (dir: number, name: string) => RawFile | MountFailure,
  existsHint?: string,
): void {
  atDirectory(target, (dir, name) => {
    const r = bind(dir, name);
    if (!failed(r)) {
      if (r[0] === 1) created.add(key(r[1], r[2]));
      return;
    }
    const [errno, syscall] = r;
    let hint: string | undefined;
    if (syscall === 'open') hint = errno === ELOOP ? SYMLINK_HINT : existsHint;
    else if (errno === EINVAL && type === 'mnt') hint = MNT_LOOP_HINT;
    throw new NamespaceError(errno, { syscall, path: target, types: [type], hint });
  });
}

/** Run fn with an O_PATH fd on target's directory and target's last component. */
export function atDirectory<T>(target: string, fn: (dir: number, name: string) => T): T {
  const path = dirname(target);
  const dir = native.openDir(path);
  if (dir < 0) throw new NamespaceError(dir, { syscall: 'open', path });
  try {
    return fn(dir, basename(target));
  } finally {
    native.close(dir);
  }
}

function failed(r: RawFile | MountFailure): r is MountFailure {
  return r[0] < 0;
}
