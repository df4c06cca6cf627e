// spawn: start a program in new and/or joined namespaces — the clone path.
// The child is cloned with CLONE_VM (no copy of this process, whatever its
// size) and sets itself up with async-signal-safe code in native/spawn.c.
import { constants } from 'node:os';
import type { Duplex, Readable, Writable } from 'node:stream';
import { JOIN_ORDER, typesToFlags, typeToFlag } from './constants.js';
import { NamespaceError } from './errors.js';
import { Namespace } from './namespace.js';
import {
  type NativeExitStatus,
  type NativePrivileges,
  type NativeSpawnRequest,
  type NativeStdio,
  native,
} from './native.js';
import { type ParsedSpawn, parseSpawn, type SpawnOptions } from './spawn-options.js';
import type { ParsedPrivileges } from './spawn-privileges.js';
import { LIBRARY, type Remedies, stepError } from './spawn-steps.js';
import { subordinateIds, writeAutoMap } from './subid.js';
import { Subprocess } from './subprocess.js';
import { openTarget } from './target.js';

export type { ControlOptions } from './spawn-control.js';
export type {
  BindMount,
  DevMount,
  DirMount,
  FileMount,
  Mount,
  ProcMount,
  SymlinkMount,
  TmpfsMount,
} from './spawn-mounts.js';
export type { IdMapEntry, SpawnOptions, StdioOption } from './spawn-options.js';
export type { PrivilegeOptions, RlimitName, RlimitValue } from './spawn-privileges.js';

const PROPAGATION = { private: 1 << 18, slave: 1 << 19, shared: 1 << 20, unchanged: 0 } as const;

/**
 * Start `file` (a path, or a name looked up in PATH) with `args`, in the
 * namespaces `options` describe. Setup and exec failures throw a
 * NamespaceError synchronously, with `step` naming what failed; no child is
 * left behind then.
 */
export function spawn(file: string, args?: readonly string[], options?: SpawnOptions): Subprocess {
  return spawnWith(LIBRARY, file, args, options);
}

/** spawn, with hints in the caller's words (the CLI's flags). */
export function spawnWith(
  remedies: Remedies,
  file: string,
  args?: readonly string[],
  options?: SpawnOptions,
): Subprocess {
  const parsed = parseSpawn(file, args, options);
  const autoMaps = parsed.autoMaps.map((kind) => ({ kind, range: subordinateIds(kind) })); // no entry: before any clone
  const { paused } = parsed.privileges;
  let pipes: number[] = [];
  try {
    let onExit!: (status: NativeExitStatus) => void;
    const exited = new Promise<NativeExitStatus>((resolve) => (onExit = resolve));
    // newuidmap writes the 'auto' maps while the child waits for its go-ahead
    const wait = paused || autoMaps.length > 0;
    const result = withRequest(parsed, (request) => native.spawn({ ...request, paused: wait }, onExit));
    if ('errno' in result) throw stepError(result.errno, result.step, { ...result, request: parsed, remedies });
    pipes = result.stdio;
    const { pid, pidfd } = result;
    const resume = () => {
      const r = native.resume(pidfd);
      if (typeof r === 'object') throw stepError(r.errno, r.step, { ...r, request: parsed, remedies });
      if (r < 0) throw new NamespaceError(r, { syscall: 'resume', hint: 'The paused child is gone.' });
    };
    if (autoMaps.length > 0) {
      try {
        for (const { kind, range } of autoMaps) writeAutoMap(kind, pid, range);
      } catch (e) {
        native.kill(pidfd, constants.signals.SIGKILL); // its watcher reaps it
        throw e;
      }
      if (!paused) resume();
    }
    const child = new Subprocess(pid, pidfd, streams(pipes), exited, {
      spawnfile: parsed.file,
      spawnargs: parsed.argv,
      control: parsed.control,
      namespaces: [...parsed.create],
      joined: [...parsed.join.keys()],
      resume: paused ? resume : undefined,
    });
    pipes = [];
    return child;
  } finally {
    for (const fd of pipes) if (fd >= 0) native.close(fd);
  }
}

/** `start` on the native request for a parsed spawn (spawn's, spawnSync's); the join targets it opened are closed after. */
export function withRequest<T>(parsed: ParsedSpawn, start: (request: NativeSpawnRequest) => T): T {
  const opened: Namespace[] = [];
  try {
    const request: NativeSpawnRequest = {
      file: parsed.file,
      argv: parsed.argv,
      envp: parsed.envp,
      path: parsed.path,
      cloneFlags: typesToFlags([...parsed.create].filter((t) => t !== 'time')),
      newTime: parsed.create.has('time'),
      timensOffsets: parsed.timensOffsets,
      join: joins(parsed, opened),
      hostname: parsed.hostname,
      domainname: parsed.domainname,
      propagation: PROPAGATION[parsed.propagation],
      root: parsed.root,
      mountProc: parsed.mountProc,
      mountSys: parsed.mountSys,
      loopback: parsed.loopback,
      newRoot: parsed.mounts !== undefined,
      mounts: parsed.mounts,
      cwd: parsed.cwd,
      setsid: parsed.setsid,
      keepCredentials: parsed.keepCredentials,
      uid: parsed.uid,
      gid: parsed.gid,
      pdeathsig: parsed.killOnParentDeath,
      stdio: parsed.stdio.map(stdio),
      setgroups: parsed.setgroups === 'deny' ? 'deny' : undefined,
      uidMap: parsed.uidMap,
      gidMap: parsed.gidMap,
      init: parsed.init,
      ...privileges(parsed.privileges),
    };
    return start(request);
  } finally {
    for (const ns of opened) ns.close();
  }
}

/** The privilege fields of the native request (paused is spawn's to set). */
function privileges(p: ParsedPrivileges): NativePrivileges {
  return {
    rlimits: p.rlimits.map(({ resource, soft, hard }) => ({ resource, soft, hard })),
    groups: p.groups,
    capabilities: p.capabilities,
    noNewPrivileges: p.noNewPrivileges,
    seccomp: p.seccomp,
    cgroup: p.cgroup,
  };
}

/** Join targets as fds in join order, skipping those the calling thread (and so the child) is already in. */
function joins(parsed: ParsedSpawn, opened: Namespace[]): NativeSpawnRequest['join'] {
  const join: NativeSpawnRequest['join'] = [];
  for (const type of JOIN_ORDER) {
    const target = parsed.join.get(type);
    if (target === undefined) continue;
    const ns = atStep(`setns:${type}`, () => openTarget(target, type, `options.join.${type}`, opened));
    using current = Namespace.current(type);
    if (!current.equals(ns)) join.push({ fd: ns.fd, nstype: typeToFlag(type) });
  }
  return join;
}

/** Errors opening a join target are part of joining it: they carry its step. */
function atStep<T>(step: string, open: () => T): T {
  try {
    return open();
  } catch (e) {
    if (!(e instanceof NamespaceError)) throw e;
    throw new NamespaceError(e.errno, { syscall: e.syscall, path: e.path, step, hint: e.hint }, { cause: e });
  }
}

/**
 * Child fd i: for 'pipe' a pipe made natively (its read end the child's for stdin) or, from fd 3 on,
 * a socketpair; /dev/null, or a parent fd.
 */
function stdio(entry: ParsedSpawn['stdio'][number], i: number): NativeStdio {
  if (entry === 'pipe') return i === 0 ? 'pipe:read' : i < 3 ? 'pipe:write' : 'socketpair';
  if (entry === 'ignore') return 'devnull';
  return entry === 'inherit' ? i : (entry as number);
}

/** child.stdio: a stream on each pipe end made for the parent, null elsewhere. */
function streams(pipes: number[]): (Writable | Readable | Duplex | null)[] {
  if (!pipes.some((fd) => fd >= 0)) return pipes.map(() => null);
  // loaded only for pipes: node:net and its streams are most of a short CLI run's start-up otherwise
  const { Socket } = require('node:net') as typeof import('node:net');
  return pipes.map((fd, i) => (fd < 0 ? null : new Socket({ fd, readable: i !== 0, writable: i === 0 || i > 2 })));
}
