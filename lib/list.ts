// listNamespaces: what lsns shows, read in-process from /proc: the namespaces
// of every process, those that only a bind mount (nsfs entries in mountinfo),
// an open fd or a socket keeps alive (lsns 2.39, 2.41), and their owners and
// parents.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { isNamespaceType, NAMESPACE_TYPES, type NamespaceType, unknownType } from './constants.js';
import { describeNamespace, type NamespaceDescription } from './describe.js';
import { fromFsError, NamespaceError } from './errors.js';
import { type NsfsMounts, nsfsMounts } from './mountinfo.js';
import { Namespace } from './namespace.js';
import { native } from './native.js';
import { userName } from './users.js';
import * as validate from './validate.js';

export interface ListOptions {
  /** Only namespaces of this type or these types (lsns -t). */
  type?: NamespaceType | readonly NamespaceType[];
  /** Only the namespaces this process is in (lsns -p). */
  pid?: number;
  /**
   * Also the owning user namespace and the parent of every listed namespace,
   * where no process is in them (what `lsns --tree=owner|parent` adds). Those
   * of a namespace that only a bind mount, an fd or a socket keeps are always
   * listed, as lsns lists them.
   */
  ancestors?: boolean;
}

export interface NamespaceInfo {
  /** st_ino of the namespace file: the number lsns shows as NS. */
  inode: number;
  type: NamespaceType;
  /** NS_GET_ID (Linux 6.18), where the kernel answers. */
  id: bigint | undefined;
  /** Processes in it that this user may inspect (lsns's NPROCS). */
  nprocs: number;
  /** Their pids, ascending. */
  pids: number[];
  /** The lowest pid in it, and that process's parent pid and command (as lsns prints it). */
  pid: number | undefined;
  ppid: number | undefined;
  command: string | undefined;
  /** The owner of that process; for a namespace without processes, the creator of its owning user namespace. */
  uid: number | undefined;
  /** uid's user name (the number if it has none), as lsns prints it. */
  user: string | undefined;
  /** NS_GET_PARENT (pid and user namespaces): the parent namespace's inode. */
  parentInode: number | undefined;
  /** NS_GET_USERNS: the owning user namespace's inode. */
  userNamespaceInode: number | undefined;
  /** Where it is bind-mounted (nsfs mounts seen from this thread), e.g. /run/netns/NAME. */
  mounts: string[];
  /**
   * No process is in it (what lsns --persistent lists): a bind mount, an open
   * fd, a socket or a namespace it owns or parents keeps it alive.
   */
  persistent: boolean;
}

interface Found {
  type: NamespaceType;
  inode: number;
  pids: number[];
}

/** The first fd found that holds a namespace. */
interface Holder {
  pid: number;
  fd: number;
}

interface ProcessInfo {
  ppid: number;
  command: string;
  uid: number;
}

/** What building the rows shares. */
interface Context {
  rows: Map<number, NamespaceInfo>;
  /** Namespaces processes are in: they get rows of their own. */
  found: Map<number, Found>;
  types: readonly NamespaceType[];
  mounts: Map<number, NsfsMounts>;
  users: Map<number, string>;
}

// lsns reads at most BUFSIZ bytes of /proc/PID/cmdline.
const BUFSIZ = 8192;
// A process that is gone (ENOENT, ESRCH) or that we may not inspect (EACCES) is skipped, as lsns does.
const SKIP = new Set(['EACCES', 'ENOENT', 'ESRCH']);
const { errno } = constants;
const SKIP_ERRNO = new Set([errno.EACCES, errno.ENOENT, errno.ESRCH]);
// PROC_USER_INIT_INO (include/linux/proc_ns.h): the initial user namespace's inode, fixed since Linux 3.8.
const INIT_USER_NS_INODE = 0xeffffffd;
const CAP_SYS_PTRACE = 19;

/**
 * Every namespace reachable through /proc/PID/ns (one entry each, sorted by
 * inode, as lsns lists them). Processes whose namespace links cannot be read
 * (EACCES) are skipped, as lsns skips them. Namespaces that no process is in
 * but a bind mount this thread can see, an open fd or a socket of a process
 * keeps alive are listed with their owners and parents (`persistent`), when
 * this thread may inspect every process (CAP_SYS_PTRACE in the initial user
 * namespace): without it, processes it cannot see may be in them, so they are
 * left out (as lsns run by such a user does not list them).
 */
export function listNamespaces(options: ListOptions = {}): NamespaceInfo[] {
  validate.object(options, 'options');
  const types = typeFilter(options.type);
  const only = options.pid === undefined ? undefined : namespacesOf(validate.pid(options.pid, 'options.pid'), types);
  if (options.ancestors !== undefined && typeof options.ancestors !== 'boolean')
    throw new TypeError(`options.ancestors must be a boolean, got ${validate.describe(options.ancestors)}`);
  const kept = !only && seesEveryProcess();
  const { found, held } = scan(types, kept);
  const ctx: Context = { rows: new Map(), found, types, mounts: nsfsMounts(), users: new Map() };
  const processes = new Map<number, ProcessInfo | undefined>();
  for (const ns of found.values()) {
    if (only && !only.has(ns.inode)) continue;
    const withAncestors = !only && (options.ancestors === true || held.has(ns.inode));
    // through its lowest pid; one that exited since the scan is no longer in it
    while (ns.pids.length > 0 && !ctx.rows.has(ns.inode)) {
      const pid = ns.pids[0]!;
      if (!processes.has(pid)) processes.set(pid, processInfo(pid));
      const proc = processes.get(pid);
      if (proc)
        withNamespaceAt(`/proc/${pid}/ns/${ns.type}`, ns.inode, (h) => add(ctx, h, ns.pids, proc, withAncestors));
      if (!ctx.rows.has(ns.inode)) ns.pids.shift();
    }
  }
  if (kept) {
    for (const [inode, holder] of held) if (!ctx.rows.has(inode)) addHeld(ctx, inode, holder);
    for (const [inode, m] of ctx.mounts) {
      for (const target of m.targets) {
        if (ctx.rows.has(inode) || !types.includes(m.type)) break;
        withNamespaceAt(target, inode, (handle) => add(ctx, handle, [], undefined, true));
      }
    }
  }
  return [...ctx.rows.values()].sort((a, b) => a.inode - b.inode);
}

function typeFilter(type: unknown): readonly NamespaceType[] {
  if (type === undefined) return NAMESPACE_TYPES;
  const list = Array.isArray(type) ? type : [type];
  for (const t of list) if (!isNamespaceType(t)) throw unknownType(t);
  return NAMESPACE_TYPES.filter((t) => list.includes(t));
}

/** CAP_SYS_PTRACE in the initial user namespace: the kernel lets this thread inspect every process. */
function seesEveryProcess(): boolean {
  if (statSync('/proc/thread-self/ns/user').ino !== INIT_USER_NS_INODE) return false;
  const status = readFileSync('/proc/thread-self/status', 'latin1');
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  return ((BigInt(`0x${capEff}`) >> BigInt(CAP_SYS_PTRACE)) & 1n) === 1n;
}

/**
 * inode → namespace, over every process in /proc; with `withFds`, also the
 * namespaces their fds and sockets hold (inode → the first fd).
 */
function scan(types: readonly NamespaceType[], withFds: boolean) {
  const found = new Map<number, Found>();
  const held = new Map<number, Holder>();
  for (const pid of processIds()) {
    const r = native.processNamespaces(pid, withFds);
    if (typeof r === 'number') {
      if (SKIP_ERRNO.has(-r)) continue; // gone, or not ours to inspect: lsns skips it too
      throw new NamespaceError(r, { syscall: 'stat', path: `/proc/${pid}/ns` });
    }
    // the inodes, in NAMESPACE_TYPES' order (0: no such entry on this kernel), then [fd, inode] pairs
    NAMESPACE_TYPES.forEach((type, i) => {
      const inode = r[i]!;
      if (inode === 0 || !types.includes(type)) return;
      const ns = found.get(inode);
      if (ns) ns.pids.push(pid);
      else found.set(inode, { type, inode, pids: [pid] });
    });
    for (let i = NAMESPACE_TYPES.length; i < r.length; i += 2)
      if (!held.has(r[i + 1]!)) held.set(r[i + 1]!, { pid, fd: r[i]! });
  }
  return { found, held };
}

/** The pids in /proc, ascending (the kernel's order, which lsns reads; Node sorts names as strings). */
function processIds(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

/** The inodes of one process's namespaces; that it cannot be read is an error here. */
function namespacesOf(pid: number, types: readonly NamespaceType[]): Set<number> {
  const inodes = new Set<number>();
  for (const type of types) {
    const path = `/proc/${pid}/ns/${type}`;
    try {
      inodes.add(statSync(path).ino);
    } catch (e) {
      throw fromFsError(e, { syscall: 'stat', path });
    }
  }
  return inodes;
}

/** ppid, command and uid of a process, as lsns reads them; undefined if it is gone or unreadable. */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 2)[1]);
    let raw = readFileSync(`/proc/${pid}/cmdline`);
    if (raw.length === 0) raw = readFileSync(`/proc/${pid}/comm`); // kernel threads
    // As lsns: at most BUFSIZ bytes, NULs as spaces, the last byte (NUL or newline) dropped.
    const command = raw
      .subarray(0, Math.min(raw.length, BUFSIZ) - 1)
      .toString('utf8')
      .replaceAll('\0', ' ');
    return { ppid, command, uid: statSync(`/proc/${pid}`).uid };
  } catch (e) {
    if (SKIP.has((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
}

/**
 * Run `fn` on the namespace at `path` if it can be opened and is the one
 * with `inode` (a process may exit, a path be remounted, or be hidden under
 * another mount, or have been unmounted meanwhile: EINVAL, not a namespace
 * file any more); else skip it.
 */
function withNamespaceAt(path: string, inode: number, fn: (ns: Namespace) => void): void {
  let ns: Namespace;
  try {
    ns = Namespace.open(path);
  } catch (e) {
    if (e instanceof NamespaceError && (SKIP.has(e.code) || e.code === 'EINVAL')) return;
    throw e;
  }
  try {
    if (ns.inode === inode) fn(ns);
  } finally {
    ns.close();
  }
}

/** A namespace only fd `holder.fd` of process `holder.pid` holds (an nsfs file or a socket), if it still does. */
function addHeld(ctx: Context, inode: number, holder: Holder): void {
  const fd = native.heldNamespace(holder.pid, holder.fd);
  if (fd < 0) return; // the process or its fd is gone
  let ns: Namespace;
  try {
    ns = Namespace.fromFd(fd);
  } catch (e) {
    if (e instanceof NamespaceError) return; // the fd number now names something else
    throw e;
  } finally {
    native.close(fd);
  }
  try {
    if (ns.inode === inode) add(ctx, ns, [], undefined, true);
  } finally {
    ns.close();
  }
}

/** The row for `ns` (of a requested type), and with `withAncestors` those of its owner and parent, recursively. */
function add(ctx: Context, ns: Namespace, pids: number[], proc: ProcessInfo | undefined, withAncestors: boolean): void {
  if (!ctx.types.includes(ns.type)) return;
  const details = describeNamespace(ns);
  const uid = proc ? proc.uid : details.ownerUid;
  ctx.rows.set(
    ns.inode,
    row(details, pids, ctx.mounts.get(ns.inode), proc, uid, uid === undefined ? undefined : userName(uid, ctx.users)),
  );
  if (!withAncestors) return;
  // lsns's add_namespace_for_nsfd: the parent first, then the owner
  const relatives: [number | undefined, () => Namespace][] = [
    [details.parentInode, () => ns.parent()],
    [details.userNamespaceInode, () => ns.userNamespace()],
  ];
  for (const [inode, open] of relatives) {
    if (inode === undefined || ctx.rows.has(inode) || ctx.found.has(inode)) continue;
    const relative = related(open);
    if (!relative) continue;
    try {
      add(ctx, relative, [], undefined, true);
    } finally {
      relative.close();
    }
  }
}

/** NS_GET_PARENT / NS_GET_USERNS, or undefined where the kernel does not answer (outside this thread's scope). */
function related(open: () => Namespace): Namespace | undefined {
  try {
    return open();
  } catch (e) {
    if (e instanceof NamespaceError && (e.code === 'EPERM' || e.code === 'EINVAL')) return undefined;
    throw e;
  }
}

function row(
  details: NamespaceDescription,
  pids: number[],
  mounts: NsfsMounts | undefined,
  proc: ProcessInfo | undefined,
  uid: number | undefined,
  user: string | undefined,
): NamespaceInfo {
  return {
    inode: details.inode,
    type: details.type,
    id: details.id,
    nprocs: pids.length,
    pids,
    pid: pids[0],
    ppid: proc?.ppid,
    command: proc?.command,
    uid,
    user,
    parentInode: details.parentInode,
    userNamespaceInode: details.userNamespaceInode,
    mounts: mounts?.targets ?? [],
    persistent: pids.length === 0,
  };
}
