// persist/release: keep a namespace alive with a bind mount of its nsfs file
// (what `ip netns add` and `unshare --net=FILE` do), and let it go again.
import { closeSync, constants, openSync, unlinkSync } from 'node:fs';
import type { NamespaceType } from './constants.js';
import { fromFsError, NamespaceError } from './errors.js';
import { Namespace } from './namespace.js';
import { native } from './native.js';
import * as validate from './validate.js';

const EINVAL = -22;

const MNT_LOOP_HINT =
  "A mount namespace can only be bind-mounted from an older one (not the caller's own), and not onto a " +
  "shared mount that propagates into that namespace: make the target's directory a private mount first " +
  '(mount --bind DIR DIR && mount --make-private DIR), as iproute2 does for /run/netns.';

/**
 * Bind-mount the namespace `ns` refers to onto `target` (an empty file is
 * created if there is none) so that it outlives its processes and fds.
 * Whatever the handle names is kept: a handle on pid_for_children or
 * time_for_children keeps that namespace, even before any process is in it.
 * Open it again with Namespace.open(target), `nsenter --net=TARGET`, …
 */
export function persist(ns: Namespace, target: string): void {
  if (!(ns instanceof Namespace)) throw new TypeError(`ns must be a Namespace, got ${validate.describe(ns)}`);
  validate.path(target, 'target');
  const fd = ns.fd;
  bindOntoFile(target, ns.type, () => native.bindNs(fd, target));
}

/** Undo persist(): lazily unmount the namespace file at `target` and remove the file. */
export function release(target: string): void {
  validate.path(target, 'target');
  Namespace.open(target).close(); // a namespace file, or a typed error before anything changes
  const r = native.umountDetach(target);
  if (r < 0) {
    const hint =
      r === EINVAL ? 'Nothing is mounted on this path (it was never persisted), so it was left alone.' : undefined;
    throw new NamespaceError(r, { syscall: 'umount2', path: target, hint });
  }
  try {
    unlinkSync(target);
  } catch (e) {
    throw fromFsError(e, { syscall: 'unlink', path: target });
  }
}

/**
 * Create `target` as an empty file, run `bind` to mount a namespace onto it,
 * and remove the file again if we made it and the mount failed. With
 * `existsHint`, the target must not exist yet (EEXIST, with that hint).
 */
export function bindOntoFile(target: string, type: NamespaceType, bind: () => number, existsHint?: string): void {
  const created = createFile(target, existsHint);
  const r = bind();
  if (r >= 0) return;
  if (created) {
    try {
      unlinkSync(target);
    } catch {
      // the mount error below is the one to report
    }
  }
  throw new NamespaceError(r, {
    syscall: 'mount',
    path: target,
    types: [type],
    hint: r === EINVAL && type === 'mnt' ? MNT_LOOP_HINT : undefined,
  });
}

/** true if this call created the file. */
function createFile(target: string, existsHint: string | undefined): boolean {
  try {
    closeSync(openSync(target, constants.O_RDONLY | constants.O_CREAT | constants.O_EXCL, 0));
    return true;
  } catch (e) {
    const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
    if (exists && existsHint === undefined) return false;
    throw fromFsError(e, { syscall: 'open', path: target, hint: exists ? existsHint : undefined });
  }
}
