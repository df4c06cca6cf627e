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
  flagsToTypes,
  flagToType,
  isNamespaceType,
  NAMESPACE_TYPES,
  type NamespaceType,
  typesToFlags,
  typeToFlag,
} from './constants.js';
export { describeNamespace, type NamespaceDescription } from './describe.js';
export { type ErrorContext, NamespaceError, NamespaceRestoreError } from './errors.js';
export {
  type ExecFileError,
  type ExecFileOptions,
  type ExecFilePromise,
  type ExecFileResult,
  execFile,
} from './exec-file.js';
export type { OutputOptions } from './exec-options.js';
export { namespaceLimits } from './limits.js';
export { type ListOptions, listNamespaces, type NamespaceInfo } from './list.js';
export { type MountNamespaceInfo, Namespace, type NamespaceFileOptions } from './namespace.js';
export type { RequestName } from './native.js';
export * as netns from './netns.js';
export {
  type Address,
  type AddressAddOptions,
  type Addresses,
  type ConnectOptions,
  type DgramOptions,
  type Family,
  type Link,
  type LinkAddOptions,
  type LinkKind,
  type LinkPeer,
  type LinkRef,
  type LinkSetOptions,
  type Links,
  type ListenOptions,
  type LookupAddress,
  type LookupOptions,
  type NetnsRef,
  NetworkNamespace,
  network,
  nsid,
  type Route,
  type RouteListOptions,
  type RouteOptions,
  type Routes,
  type RouteType,
  type SocketOptions,
} from './network.js';
export { persist, release } from './persist.js';
export { Pidfd } from './pidfd.js';
export { type SetnsTarget, setns } from './setns.js';
export { socketNamespace } from './socket-at.js';
export {
  type BindMount,
  type ControlOptions,
  type DevMount,
  type DirMount,
  type FileMount,
  type IdMapEntry,
  type Mount,
  type PrivilegeOptions,
  type ProcMount,
  type RlimitName,
  type RlimitValue,
  type SpawnOptions,
  type StdioOption,
  type SymlinkMount,
  spawn,
  type TmpfsMount,
} from './spawn.js';
export { CAPABILITIES, RLIMITS } from './spawn-privileges.js';
export { type SpawnSyncOptions, type SpawnSyncResult, spawnSync } from './spawn-sync.js';
export { type ExitStatus, Subprocess, type SubprocessEvents } from './subprocess.js';
export { unshare } from './unshare.js';
export { type NamespaceTargets, withNamespaces } from './with-namespaces.js';
