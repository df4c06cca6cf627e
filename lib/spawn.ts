// spawn: start a program in new and/or joined namespaces — the clone path.
// The child is cloned with CLONE_VM (no copy of this process, whatever its
// size) and sets itself up with async-signal-safe code in native/spawn.c.
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { CLONE_NEWTIME, flagToType, type NamespaceType, typesToFlags, typeToFlag } from './constants.js';
import { check, type ErrorContext, NamespaceError, NamespaceRestoreError } from './errors.js';
import { Namespace } from './namespace.js';
import { type NativeSpawnOptions, native } from './native.js';
import { type ParsedSpawn, parseSpawn, type SpawnOptions } from './spawn-options.js';
import { Subprocess } from './subprocess.js';
import { openTarget } from './target.js';

export type { IdMapEntry, SpawnOptions, StdioOption } from './spawn-options.js';

// nsenter's order; the child joins the user namespace first or last as nsenter does.
const JOIN_ORDER: readonly NamespaceType[] = ['user', 'cgroup', 'ipc', 'uts', 'net', 'mnt', 'time'];
const PROPAGATION = { private: 1 << 18, slave: 1 << 19, shared: 1 << 20, unchanged: 0 } as const;

/**
 * Start `file` (a path, or a name looked up in PATH) with `args`, in the
 * namespaces `options` describe. Setup and exec failures throw a
 * NamespaceError synchronously, with `step` naming what failed; no child is
 * left behind then.
 */
export function spawn(file: string, args?: readonly string[], options?: SpawnOptions): Subprocess {
  const parsed = parseSpawn(file, args, options);
  const opened: Namespace[] = [];
  const closeAfter: number[] = [];
  const parentEnds: number[] = [];
  try {
    const { join, joinPid, joinPidRestore, useVm } = joins(parsed, opened);
    const fds = stdio(parsed, closeAfter, parentEnds);
    let onExit!: (status: [number, number]) => void;
    const exited = new Promise<[number, number]>((resolve) => (onExit = resolve));
    const request: NativeSpawnOptions = {
      file: parsed.file,
      argv: parsed.argv,
      envp: parsed.envp,
      path: parsed.path,
      cloneFlags: typesToFlags([...parsed.create].filter((t) => t !== 'time')),
      newTime: parsed.create.has('time') ? 1 : 0,
      timensOffsets: parsed.timensOffsets,
      join,
      joinPid,
      joinPidRestore,
      hostname: parsed.hostname,
      domainname: parsed.domainname,
      propagation: PROPAGATION[parsed.propagation],
      root: parsed.root,
      mountProc: parsed.mountProc ? 1 : 0,
      mountSys: parsed.mountSys ? 1 : 0,
      cwd: parsed.cwd,
      setsid: parsed.setsid ? 1 : 0,
      uid: parsed.uid,
      gid: parsed.gid,
      pdeathsig: parsed.killOnParentDeath ? constants.signals.SIGKILL : 0,
      fds,
      useVm,
      setgroups: parsed.setgroups === 'deny' ? 'deny' : undefined,
      uidMap: parsed.uidMap,
      gidMap: parsed.gidMap,
    };
    const result = native.spawn(request, (code, signal) => onExit([code, signal]));
    if (result.length === 4) throw spawnError(result, parsed);
    const [pid, pidfd] = result;
    for (const fd of closeAfter.splice(0)) native.close(fd);
    return new Subprocess(pid, pidfd, streams(parsed, parentEnds.splice(0)), exited);
  } finally {
    for (const ns of opened) ns.close();
    for (const fd of closeAfter) native.close(fd);
    for (const fd of parentEnds) if (fd !== undefined) native.close(fd);
  }
}

/** Resolve join targets to fds, skipping those the calling thread (and so the child) is already in. */
function joins(parsed: ParsedSpawn, opened: Namespace[]) {
  const join: number[] = [];
  let joinPid = -1;
  let joinPidRestore = -1;
  const handle = (type: NamespaceType): Namespace | undefined => {
    const target = parsed.join.get(type);
    if (target === undefined) return undefined;
    const ns = openTarget(target, type, `options.join.${type}`, opened);
    using current = Namespace.current(type);
    return current.equals(ns) ? undefined : ns;
  };
  for (const type of JOIN_ORDER) {
    const ns = handle(type);
    if (ns) join.push(ns.fd, typeToFlag(type));
  }
  const pid = handle('pid');
  if (pid) {
    joinPid = pid.fd;
    const restore = Namespace.current('pid', { forChildren: true });
    opened.push(restore);
    joinPidRestore = restore.fd;
  }
  // Entering a time namespace needs a process that shares its memory with no other (EUSERS):
  // only then is the child a copy rather than a CLONE_VM clone.
  const useVm: 0 | 1 = join.includes(CLONE_NEWTIME) ? 0 : 1;
  return { join, joinPid, joinPidRestore, useVm };
}

/** Child fd table: pipes made here, /dev/null for 'ignore', the parent's fd for 'inherit'. */
function stdio(parsed: ParsedSpawn, closeAfter: number[], parentEnds: number[]): number[] {
  return parsed.stdio.map((entry, i) => {
    if (typeof entry === 'number') return entry;
    if (entry === 'inherit') return i;
    if (entry === 'ignore') {
      const fd = check(native.openDevNull(), { syscall: 'open', path: '/dev/null' });
      closeAfter.push(fd);
      return fd;
    }
    const pair = native.pipe();
    if (typeof pair === 'number') throw new NamespaceError(pair, { syscall: 'pipe2', step: 'pipe' });
    const [read, write] = pair;
    const [child, parent] = i === 0 ? [read, write] : [write, read];
    closeAfter.push(child);
    parentEnds[i] = parent;
    return child;
  });
}

function streams(parsed: ParsedSpawn, parentEnds: number[]): [Writable | null, Readable | null, Readable | null] {
  const socket = (i: number) => {
    const fd = parentEnds[i];
    if (fd === undefined || parsed.stdio[i] !== 'pipe') return null;
    return new Socket({ fd, readable: i !== 0, writable: i === 0 });
  };
  return [socket(0), socket(1), socket(2)];
}

/** A failure report from native spawn → NamespaceError with `step` (or a restore error). */
function spawnError([errno, step, aux, pid]: [number, number, number, number], parsed: ParsedSpawn): Error {
  const name = native.steps[step] ?? 'unknown';
  if (name === 'restore:pid') return new NamespaceRestoreError(errno, 'pid');
  const type = flagToType(aux);
  const joined = type ? parsed.join.get(type) : undefined;
  const context: ErrorContext = { syscall: name, step: name, types: [...parsed.create] };
  switch (name) {
    case 'pipe':
      context.syscall = 'pipe2';
      break;
    case 'stack':
      context.syscall = 'mmap';
      break;
    case 'setgroups':
    case 'uid_map':
    case 'gid_map':
      Object.assign(context, { syscall: 'write', path: `/proc/${pid}/${name}` });
      break;
    case 'stdio':
      context.syscall = 'dup3';
      break;
    case 'setns':
      Object.assign(context, {
        step: `setns:${type}`,
        types: type ? [type] : [],
        path: typeof joined === 'string' ? joined : joined?.path,
      });
      break;
    case 'setresuid':
    case 'setuid':
      context.syscall = 'setresuid';
      break;
    case 'setgid':
      context.syscall = 'setresgid';
      break;
    case 'unshare:time':
      Object.assign(context, { syscall: 'unshare', types: ['time'] });
      break;
    case 'timens_offsets':
      Object.assign(context, { syscall: 'write', path: '/proc/self/timens_offsets' });
      break;
    case 'mount:/':
      Object.assign(context, { syscall: 'mount', path: '/' });
      break;
    case 'mount:/proc':
      Object.assign(context, { syscall: 'mount', path: '/proc' });
      break;
    case 'mount:/sys':
      Object.assign(context, { syscall: 'mount', path: '/sys' });
      break;
    case 'chroot':
      context.path = parsed.root;
      break;
    case 'chdir':
      context.path = parsed.cwd ?? '/';
      break;
    case 'exec':
      Object.assign(context, { syscall: 'execve', path: parsed.file });
      break;
  }
  return new NamespaceError(errno, context);
}
