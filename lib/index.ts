// nsbind: Linux namespaces for Node.js.
export {
  CLONE_FS,
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  CLONE_SYSVSEM,
  NAMESPACE_TYPES,
  flagToType,
  flagsToTypes,
  isNamespaceType,
  typeToFlag,
  typesToFlags,
  type NamespaceType,
} from './constants.js';
export { NamespaceError, NamespaceRestoreError, type ErrorContext } from './errors.js';
export type { RequestName } from './native.js';
export { Namespace, type MountNamespaceInfo, type NamespaceFileOptions } from './namespace.js';
export { Pidfd } from './pidfd.js';
export { unshare } from './unshare.js';
export { setns, type SetnsTarget } from './setns.js';
export { withNamespaces, type NamespaceTargets } from './with-namespaces.js';
export { namespaceLimits } from './limits.js';
export { spawn, type IdMapEntry, type SpawnOptions, type StdioOption } from './spawn.js';
export { Subprocess, type ExitStatus } from './subprocess.js';
export { listNamespaces, type ListOptions, type NamespaceInfo } from './list.js';
export { describeNamespace, type NamespaceDescription } from './describe.js';
export { persist, release } from './persist.js';
export * as netns from './netns.js';
