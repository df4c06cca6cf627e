// unshare(2) for the CALLING THREAD only. Node's other threads (libuv pool,
// V8 platform) stay where they were.
import { CLONE_FILES, flagsToTypes, type NamespaceType, typesToFlags, UNSHARE_FLAGS } from './constants.js';
import { NamespaceError } from './errors.js';
import { native } from './native.js';
import * as validate from './validate.js';

/**
 * Move the calling thread into new namespaces. `flags` is an OR of CLONE_*
 * bits or namespace type names. CLONE_NEWPID and CLONE_NEWTIME only affect
 * children created afterwards; CLONE_NEWUSER always fails in Node.js (it is
 * multithreaded): use spawn() for user namespaces.
 */
export function unshare(flags: number | NamespaceType | readonly NamespaceType[]): void {
  const f = toFlags(flags);
  const r = native.unshare(f);
  if (r < 0) throw new NamespaceError(r, { syscall: 'unshare', flags: f, types: flagsToTypes(f) });
}

function toFlags(flags: unknown): number {
  if (typeof flags === 'string') return typesToFlags([flags as NamespaceType]);
  if (typeof flags !== 'number') return typesToFlags(flags as readonly NamespaceType[]);
  validate.integer(flags, 'flags', 0, validate.INT32_MAX);
  if (flags & CLONE_FILES) {
    throw new RangeError(
      'CLONE_FILES is refused: it would give this thread an fd table of its own, and fds the libuv pool ' +
        'opens (fs.open, fs.promises) would not exist on it',
    );
  }
  const unknown = flags & ~UNSHARE_FLAGS;
  if (unknown !== 0) throw new RangeError(`flags has bits unshare(2) does not take: 0x${unknown.toString(16)}`);
  return flags;
}
