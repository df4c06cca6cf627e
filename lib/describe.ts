// describeNamespace: what the kernel tells about one namespace through the
// nsfs ioctls, with "no answer" (EPERM, EINVAL, ENOTTY) as undefined.
import type { NamespaceType } from './constants.js';
import { NamespaceError } from './errors.js';
import type { MountNamespaceInfo, Namespace } from './namespace.js';

export interface NamespaceDescription {
  type: NamespaceType;
  /** st_ino of the namespace file (lsns NS). */
  inode: number;
  /** NS_GET_ID (Linux 6.18). */
  id: bigint | undefined;
  /** NS_GET_PARENT (pid and user namespaces): the parent's inode; undefined at the top visible here. */
  parentInode: number | undefined;
  /** NS_GET_USERNS: the owning user namespace's inode; undefined when it lies outside the caller's. */
  userNamespaceInode: number | undefined;
  /** NS_GET_OWNER_UID of the owning user namespace (of the namespace itself, for a user namespace): its creator. */
  ownerUid: number | undefined;
  /** Mount namespaces: NS_MNT_GET_INFO (Linux 6.12). */
  mount: MountNamespaceInfo | undefined;
}

const NO_ANSWER = new Set(['EPERM', 'EINVAL', 'ENOTTY']);

/** The value of `query`, or undefined where the kernel does not answer it for this namespace. */
function answer<T>(query: () => T): T | undefined {
  try {
    return query();
  } catch (e) {
    if (e instanceof NamespaceError && NO_ANSWER.has(e.code)) return undefined;
    throw e;
  }
}

export function describeNamespace(ns: Namespace): NamespaceDescription {
  const owner = answer(() => ns.userNamespace());
  try {
    const hasParent = ns.type === 'pid' || ns.type === 'user';
    const creatorOf = ns.type === 'user' ? ns : owner;
    return {
      type: ns.type,
      inode: ns.inode,
      id: answer(() => ns.id()),
      parentInode: hasParent ? answer(() => inodeOf(ns.parent())) : undefined,
      userNamespaceInode: owner?.inode,
      ownerUid: creatorOf && answer(() => creatorOf.ownerUid()),
      mount: ns.type === 'mnt' ? answer(() => ns.mntInfo()) : undefined,
    };
  } finally {
    owner?.close();
  }
}

function inodeOf(ns: Namespace): number {
  ns.close();
  return ns.inode;
}
