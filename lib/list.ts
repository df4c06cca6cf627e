// listNamespaces: what lsns shows, read in-process from /proc, plus the
// namespaces that only a bind mount keeps alive (nsfs entries in mountinfo).
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isNamespaceType, NAMESPACE_TYPES, type NamespaceType, unknownType } from './constants.js';
import { describeNamespace, type NamespaceDescription } from './describe.js';
import { fromFsError, NamespaceError } from './errors.js';
import { type NsfsMounts, nsfsMounts } from './mountinfo.js';
import { Namespace } from './namespace.js';
import { userName } from './users.js';
import * as validate from './validate.js';

export interface ListOptions {
  /** Only namespaces of this type or these types (lsns -t). */
  type?: NamespaceType | readonly NamespaceType[];
  /** Only the namespaces this process is in (lsns -p). */
  pid?: number;
}

export interface NamespaceInfo {
  /** st_ino of the namespace file: the number lsns shows as NS. */
  inode: number;
  type: NamespaceType;
  /** NS_GET_ID (Linux 6.18), where the kernel answers. */
  id: bigint | undefined;
  /** Processes in it; 0 for a namespace that only a bind mount keeps alive. */
  nprocs: number;
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
  /** No process is in it: only a bind mount keeps it alive. */
  persistent: boolean;
}

interface Found {
  type: NamespaceType;
  inode: number;
  nprocs: number;
  /** lowest pid */
  pid: number;
}

interface ProcessInfo {
  ppid: number;
  command: string;
  uid: number;
}

// lsns reads at most BUFSIZ bytes of /proc/PID/cmdline.
const BUFSIZ = 8192;
// A process that is gone (ENOENT, ESRCH) or that we may not inspect (EACCES) is skipped, as lsns does.
const SKIP = new Set(['EACCES', 'ENOENT', 'ESRCH']);

/**
 * Every namespace reachable through /proc/PID/ns (one entry each, sorted by
 * inode, as lsns lists them) and every namespace bind-mounted somewhere this
 * thread can see (`persistent` when no process is in it). Processes whose
 * namespace links cannot be read (EACCES) are skipped, as lsns skips them.
 */
export function listNamespaces(options: ListOptions = {}): NamespaceInfo[] {
  validate.object(options, 'options');
  const types = typeFilter(options.type);
  const only = options.pid === undefined ? undefined : namespacesOf(validate.pid(options.pid, 'options.pid'), types);
  const found = scan(types);
  const mounts = nsfsMounts();
  const users = new Map<number, string>();
  const processes = new Map<number, ProcessInfo | undefined>();
  const rows: NamespaceInfo[] = [];
  for (const ns of found.values()) {
    if (only && !only.has(ns.inode)) continue;
    if (!processes.has(ns.pid)) processes.set(ns.pid, processInfo(ns.pid));
    const proc = processes.get(ns.pid);
    const details = describeAt(`/proc/${ns.pid}/ns/${ns.type}`);
    rows.push(row(ns, details, mounts.get(ns.inode), proc, proc && userName(proc.uid, users)));
  }
  if (!only) {
    for (const [inode, m] of mounts) {
      if (found.has(inode) || !types.includes(m.type)) continue;
      const details = describeAt(m.targets[0]!);
      const uid = details?.ownerUid;
      rows.push(
        row(
          { type: m.type, inode, nprocs: 0, pid: 0 },
          details,
          m,
          undefined,
          uid === undefined ? undefined : userName(uid, users),
        ),
      );
    }
  }
  return rows.sort((a, b) => a.inode - b.inode);
}

function typeFilter(type: unknown): readonly NamespaceType[] {
  if (type === undefined) return NAMESPACE_TYPES;
  const list = Array.isArray(type) ? type : [type];
  for (const t of list) if (!isNamespaceType(t)) throw unknownType(t);
  return NAMESPACE_TYPES.filter((t) => list.includes(t));
}

/** inode → namespace, over every process in /proc. */
function scan(types: readonly NamespaceType[]): Map<number, Found> {
  const found = new Map<number, Found>();
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid
    const pid = Number(name);
    for (const type of types) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${name}/ns/${type}`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (code === 'ENOENT') continue; // this kernel has no such entry, or the process just exited
        if (SKIP.has(code)) break;
        throw fromFsError(e, { syscall: 'readlink', path: `/proc/${name}/ns/${type}` });
      }
      const inode = Number(link.slice(type.length + 2, -1)); // net:[4026531833]
      const ns = found.get(inode);
      if (!ns) found.set(inode, { type, inode, nprocs: 1, pid });
      else {
        ns.nprocs++;
        if (pid < ns.pid) ns.pid = pid;
      }
    }
  }
  return found;
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
function processInfo(pid: number): ProcessInfo | undefined {
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

/** describeNamespace for a namespace file, or undefined if it is gone or unreadable. */
function describeAt(path: string): NamespaceDescription | undefined {
  let ns: Namespace;
  try {
    ns = Namespace.open(path);
  } catch (e) {
    if (e instanceof NamespaceError && SKIP.has(e.code)) return undefined;
    throw e;
  }
  try {
    return describeNamespace(ns);
  } finally {
    ns.close();
  }
}

function row(
  ns: Found,
  details: NamespaceDescription | undefined,
  mounts: NsfsMounts | undefined,
  proc: ProcessInfo | undefined,
  user: string | undefined,
): NamespaceInfo {
  return {
    inode: ns.inode,
    type: ns.type,
    id: details?.id,
    nprocs: ns.nprocs,
    pid: ns.nprocs > 0 ? ns.pid : undefined,
    ppid: proc?.ppid,
    command: proc?.command,
    uid: proc ? proc.uid : details?.ownerUid,
    user,
    parentInode: details?.parentInode,
    userNamespaceInode: details?.userNamespaceInode,
    mounts: mounts?.targets ?? [],
    persistent: ns.nprocs === 0,
  };
}
