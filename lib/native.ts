// The raw native binding, typed in one place. Only lib/ modules use it; they
// turn its negative-errno results into NamespaceError. lib/loader.ts finds it.
import { load } from './loader.js';

/** [fd, CLONE_NEW* type, st_dev, st_ino] of a namespace file we now own. */
export type RawNs = [fd: number, type: number, dev: number, ino: number];
/** [fd or -1, nr_mounts, mnt_ns_id, type, dev, ino] from NS_MNT_GET_{INFO,NEXT,PREV}. */
export type RawMntInfo = [fd: number, nrMounts: number, mntNsId: bigint, type: number, dev: number, ino: number];
/** A mount point file: created by this call (1) or there before (0), st_dev, st_ino. */
export type RawFile = [created: 0 | 1, dev: number, ino: number];
/** [-errno, the system call that failed]. */
export type MountFailure = [errno: Errno, syscall: string];
/** A negative errno. */
export type Errno = number;

export type RequestName =
  | 'NS_GET_USERNS'
  | 'NS_GET_PARENT'
  | 'NS_GET_NSTYPE'
  | 'NS_GET_OWNER_UID'
  | 'NS_GET_MNTNS_ID'
  | 'NS_GET_PID_FROM_PIDNS'
  | 'NS_GET_TGID_FROM_PIDNS'
  | 'NS_GET_PID_IN_PIDNS'
  | 'NS_GET_TGID_IN_PIDNS'
  | 'NS_MNT_GET_INFO'
  | 'NS_MNT_GET_NEXT'
  | 'NS_MNT_GET_PREV'
  | 'NS_GET_ID';

export interface NativeBinding {
  /** ioctl requests: `id` selects it in the calls below, `value` is the kernel's number. */
  readonly requests: Readonly<Record<RequestName, { readonly id: number; readonly value: number }>>;
  open(path: string): RawNs | Errno;
  dup(fd: number): RawNs | Errno;
  close(fd: number): 0 | Errno;
  /**
   * The fds this binding hands out for nsbind to close (handles, directories, sockets until they are handed on)
   * are closed at the environment's teardown if still open; disown(fd) hands one on (to Node, or to the caller).
   */
  disown(fd: number): void;
  unshare(flags: number): 0 | Errno;
  setns(fd: number, nstype: number): 0 | Errno;
  pidfdOpen(pid: number): number;
  related(fd: number, request: number): RawNs | Errno;
  /**
   * A namespace of a child this environment watches, through its pidfd (PIDFD_GET_*_NAMESPACE, Linux 6.11;
   * viaProc, or an older kernel: /proc/PID/ns, kept only if the child is still there). -ESRCH once reaped.
   */
  childNamespace(pidfd: number, nstype: number, forChildren: boolean, viaProc: boolean): RawNs | Errno;
  queryInt(fd: number, request: number, arg: number): number;
  ownerUid(fd: number): number;
  queryU64(fd: number, request: number): bigint | Errno;
  mntQuery(fd: number, request: number): RawMntInfo | Errno;
  openCwd(): number;
  fchdir(fd: number): 0 | Errno;
  /** spawn's step names, in the order of native/spawn.h's NSB_STEPS. */
  readonly steps: readonly string[];
  /** What a spawn request may hold at most (native spawn checks them too). */
  readonly limits: SpawnLimits;
  /** Clone and exec; onExit runs on this thread's event loop once the child is reaped. */
  spawn(request: NativeSpawnRequest, onExit: (status: NativeExitStatus) => void): NativeSpawnResult;
  /**
   * The go-ahead for a paused child of this environment, then its setup and exec: 0, -ESRCH when it is
   * not a paused child (gone, or resumed already), or the failed step (the child is killed; its watcher reaps it).
   */
  resume(pidfd: number): 0 | Errno | Exclude<NativeSpawnResult, { pidfd: number }>;
  /**
   * Spawn and wait on this thread (poll on the pidfd and the pipes, no event loop): input goes to fd 0
   * when it is a pipe (then closed); after timeoutMs (0: none) or more than maxBuffer bytes on one
   * output, killSignal is sent and the pipes closed (error -ETIMEDOUT / -ENOBUFS). output[i]: what the
   * child wrote to fd i when it was a pipe or socketpair, else null.
   */
  spawnSync(
    request: NativeSpawnRequest,
    input: Uint8Array,
    timeoutMs: number,
    maxBuffer: number,
    killSignal: number,
  ): NativeSyncResult | { errno: Errno; step: string; aux: number; pid: number };
  /** pidfd_send_signal to a child this environment watches; -ESRCH once it is reaped. */
  kill(pidfd: number, signal: number): 0 | Errno;
  /** Whether a watched child keeps the event loop alive. */
  ref(pidfd: number, ref: boolean): void;
  /** [name, description] of a positive errno from the C library, if it knows one. */
  errnoName(errno: number): [name: string, description: string] | undefined;
  /** getpwuid_r: the user name of uid, if the C library knows one. */
  userName(uid: number): string | undefined;
  /** open(path, O_PATH | O_DIRECTORY): the directory a mount point is named in (resolved once). */
  openDir(path: string): number;
  /**
   * Bind-mount the namespace open on nsFd (-1: a new network namespace, made on a short-lived thread)
   * onto `name` in dirFd, created (mode 0) unless it exists and `exclusive` is false; never a symlink.
   */
  persistAt(nsFd: number, dirFd: number, name: string, exclusive: boolean): RawFile | MountFailure;
  /** Unmount `name` in dirFd (not followed) if it is the root of a namespace file's bind mount: the file it covered. */
  releaseAt(dirFd: number, name: string): RawFile | MountFailure;
  /** unlinkat(dirFd, name); unless dev and ino are -1, only if it is still that file (else -ESTALE). */
  unlinkAt(dirFd: number, name: string, dev: number, ino: number): 0 | Errno;
  /** As `ip netns add` prepares /run/netns: a shared mount point in its own peer group (under flock). */
  makeSharedMountpoint(dir: string): 0 | Errno;
  /**
   * socket(domain, type|SOCK_CLOEXEC, protocol) inside the network namespace open on netFd, made by a
   * short-lived clone that joins it (first joining userFd, the owning user namespace, if joining is refused
   * without it; -1 for none). No thread moves.
   */
  socketAt(netFd: number, userFd: number, domain: number, type: number, protocol: number): number | SocketFailure;
  /** As socketAt, a NETLINK_ROUTE socket with extended acks and strict dumps, bound. */
  netlinkOpen(netFd: number, userFd: number): number | SocketFailure;
  /** Send one rtnetlink request, read its whole answer: the messages (not acks), or the kernel's error. */
  netlinkRequest(fd: number, request: Uint8Array): Buffer | [errno: Errno, message?: string];
  /** bind(2) to a struct sockaddr (SO_REUSEADDR when reuseAddr; IPV6_V6ONLY unless v6only is -1). */
  bindSocket(fd: number, sockaddr: Uint8Array, reuseAddr: boolean, v6only: -1 | 0 | 1): 0 | Errno;
  /** connect(2) without blocking (the fd is made O_NONBLOCK): for Unix stream sockets. */
  connectSocket(fd: number, sockaddr: Uint8Array): 0 | Errno;
  /** SIOCGSKNS: a new fd on the socket's network namespace. */
  socketNetns(fd: number): number;
  /**
   * getaddrinfo(host) on a new thread of its own that joins the network namespace open on netFd, then ends.
   * A negative errno when no thread could be started; undefined when the environment is going away.
   */
  lookup(netFd: number, host: string, family: 0 | 4 | 6, flags: number): Promise<LookupAnswer> | Errno | undefined;
  /**
   * What lsns reads of process `pid`: the inodes of its namespaces in NAMESPACE_TYPES' order (cgroup ipc
   * mnt net pid time user uts; 0 where the kernel has no such entry), then with `withFds` the namespaces its
   * fds hold (nsfs files, sockets' network namespaces), once each: [fd, inode, …].
   */
  processNamespaces(pid: number, withFds: boolean): number[] | Errno;
  /** An fd of ours (close-on-exec) on what fd `fd` of process `pid` holds: that nsfs file, or its socket's network namespace. */
  heldNamespace(pid: number, fd: number): number;
}

/** Where making a socket in a namespace failed: [-errno, step]. */
export type SocketFailure = [errno: Errno, step: 'clone' | 'setns:user' | 'setns:net' | 'socket'];
/** The addresses found, in getaddrinfo's order, or [-errno (libuv's UV_EAI_* for getaddrinfo's), step]. */
export type LookupAnswer = [family: 4 | 6, address: string][] | [errno: Errno, step: 'setns:net' | 'getaddrinfo'];

export interface SpawnLimits {
  /** argv and envp entries. */
  readonly args: number;
  /** Namespaces joined (one per type). */
  readonly join: number;
  /** Child fds arranged (stdio entries). */
  readonly stdio: number;
  /** Bytes in one uid_map or gid_map write (the kernel takes less than a page). */
  readonly idMap: number;
  /** Entries of a sandbox's mounts. */
  readonly mounts: number;
}

/** struct nsb_mount (native/sandbox_mounts.h): one entry of a sandbox's mounts. */
export interface NativeMount {
  type: 'bind' | 'tmpfs' | 'proc' | 'dev' | 'dir' | 'symlink' | 'file';
  target: string;
  /** bind: a path as this process sees it; symlink: the link's text. */
  source?: string;
  readonly?: boolean;
  devices?: boolean;
  mode?: number;
  /** tmpfs: bytes. */
  size?: number;
  /** file: its contents. */
  data?: Uint8Array;
}

/**
 * One child fd: a parent fd, /dev/null, a new pipe the child reads ('pipe:read') or writes ('pipe:write'),
 * or a new socketpair (duplex).
 */
export type NativeStdio = number | 'devnull' | 'pipe:read' | 'pipe:write' | 'socketpair';

/** struct nsb_spawn_request, prepared by lib/spawn.ts (strings absent = NULL). */
export interface NativeSpawnRequest extends NativePrivileges {
  file: string;
  argv: string[];
  envp: string[];
  path?: string | undefined;
  /** CLONE_NEW* flags for clone(2), never CLONE_NEWTIME. */
  cloneFlags: number;
  /** unshare(CLONE_NEWTIME) in the child. */
  newTime: boolean;
  timensOffsets?: string | undefined;
  /** In join order; a pid namespace is joined by the parent around the clone. */
  join: { fd: number; nstype: number }[];
  hostname?: string | undefined;
  domainname?: string | undefined;
  /** 0, or MS_PRIVATE / MS_SLAVE / MS_SHARED. */
  propagation: number;
  root?: string | undefined;
  mountProc: boolean;
  mountSys: boolean;
  /** Bring lo up in the new network namespace (needs CLONE_NEWNET in cloneFlags). */
  loopback?: boolean | undefined;
  /** Build a new root from `mounts` (on a bind of `root` if given, else a tmpfs) and pivot_root into it. */
  newRoot?: boolean | undefined;
  mounts?: NativeMount[] | undefined;
  keepCredentials?: boolean | undefined;
  cwd?: string | undefined;
  setsid: boolean;
  /** Absent: unchanged. */
  uid?: number | undefined;
  gid?: number | undefined;
  /** PR_SET_PDEATHSIG signal, 0 for none. */
  pdeathsig: number;
  /** Child fd i is made of stdio[i]. */
  stdio: NativeStdio[];
  setgroups?: string | undefined;
  uidMap?: string | undefined;
  gidMap?: string | undefined;
  /** nsbind-init's path: exec'd (from an O_PATH fd opened before the clone) in place of the program, which it forks. */
  init?: string | undefined;
}

/** The privilege fields of a spawn request (native/sandbox_privs.h), each optional. */
export interface NativePrivileges {
  /** prlimit in the child, in order; -1 is RLIM_INFINITY. */
  rlimits?: { resource: number; soft: number; hard: number }[] | undefined;
  /** setgroups(2) before the id change; absent: unchanged. */
  groups?: number[] | undefined;
  /** Capability numbers kept in all five sets; absent: the sets are left alone. */
  capabilities?: number[] | undefined;
  noNewPrivileges?: boolean | undefined;
  /** struct sock_filter[], 8 bytes each. */
  seccomp?: Uint8Array | undefined;
  /** A cgroup v2 directory to start in. */
  cgroup?: string | undefined;
  /** Return once the child waits for resume() (its new namespaces made, its id maps written). */
  paused?: boolean | undefined;
}

export type NativeSpawnResult =
  /** stdio[i]: the parent's end of the pipe for child fd i, -1 for other entries. */
  | { pid: number; pidfd: number; stdio: number[] }
  /** A failed step, named as in `steps`; aux: the CLONE_NEW* flag for setns, the child fd for stdio steps, else -1. */
  | { errno: Errno; step: string; aux: number; pid: number };

/** spawnSync's child, reaped: code -1 when a signal ended it; error/syscall when the wait was cut short. */
export interface NativeSyncResult {
  pid: number;
  code: number;
  signal: number;
  output: (Buffer | null)[];
  error?: Errno;
  syscall?: string;
}

/** How a child ended (code -1 when a signal ended it), or why that could not be read. */
export type NativeExitStatus = { code: number; signal: number } | { errno: Errno; syscall: string };

export const native: NativeBinding & { readonly path: string } = load<NativeBinding>();
