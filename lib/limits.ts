// Per-user namespace limits of the caller's user namespace.
import { readFileSync } from 'node:fs';
import { NAMESPACE_TYPES, type NamespaceType } from './constants.js';
import { fromFsError } from './errors.js';

/** /proc/sys/user/max_TYPE_namespaces for every type; 0 for `user` means user namespaces are disabled. */
export function namespaceLimits(): Record<NamespaceType, number> {
  const limits = {} as Record<NamespaceType, number>;
  for (const type of NAMESPACE_TYPES) {
    const path = `/proc/sys/user/max_${type}_namespaces`;
    try {
      limits[type] = Number.parseInt(readFileSync(path, 'latin1'), 10);
    } catch (e) {
      throw fromFsError(e, { syscall: 'open', path });
    }
  }
  return limits;
}
