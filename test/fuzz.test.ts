// Property-based fuzzing of every export: any JS value in any position yields a
// result, a TypeError, a RangeError or a NamespaceError — never a crash, an
// abort or a hang; no fd is left over; the calling thread's namespaces are as
// they were (calls that move the thread by design are undone and checked).

import { EventEmitter } from 'node:events';
import { closeSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nsbind from '../lib/index.js';
import { NAMESPACE_TYPES, Namespace, NamespaceError, netns, Pidfd, Subprocess, setns } from '../lib/index.js';
import { type Fixture, fdCount, fixture, isRoot, threadNamespaces } from './support/env.js';

/** What a hostile input throws by itself (a Proxy trap, a getter): its own error is a fine outcome. */
class InputTrap extends Error {}
const trap = new Proxy(
  {},
  {
    get: () => {
      throw new InputTrap('trap');
    },
    ownKeys: () => {
      throw new InputTrap('trap');
    },
  },
);

const RUNS = Number(process.env.NSBIND_FUZZ_RUNS ?? 1500);
const SPAWN_RUNS = Math.ceil(RUNS / 5);

let box: Fixture | undefined; // a namespace set to aim valid targets at (root only)
const boxPaths = () => (box ? NAMESPACE_TYPES.map((t) => `/proc/${box!.pid}/ns/${t}`) : []);

function edges(): fc.Arbitrary<unknown> {
  return fc.constantFrom<unknown>(
    -1,
    0,
    1,
    2,
    3,
    0x400,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    -(2 ** 53),
    Number.NaN,
    Infinity,
    -Infinity,
    -0,
    0.5,
    nsbind.CLONE_NEWNET,
    nsbind.CLONE_NEWUTS | nsbind.CLONE_NEWIPC,
    nsbind.CLONE_NEWUSER,
    nsbind.CLONE_NEWPID,
    '',
    '.',
    '..',
    '../..',
    '/',
    'a\0b',
    '\n',
    'x'.repeat(5000),
    '/'.repeat(5000),
    'é🙂',
    '/proc/self/ns/net',
    '/proc/thread-self/ns/uts',
    '/proc/self/ns/../ns/ipc',
    '/proc/self/ns/pid_for_children',
    '/proc/self/status',
    '/etc/hostname',
    '/dev/null',
    '/nonexistent',
    ...NAMESPACE_TYPES,
    'network',
    '__proto__',
    'constructor',
    'toString',
    Symbol('s'),
    Symbol.iterator,
    10n,
    -1n,
    2n ** 64n,
    null,
    undefined,
    true,
    false,
    {},
    [],
    [[]],
    ['net', 'bogus'],
    ['net', 'uts'],
    { net: '/proc/self/ns/net' },
    { valueOf: () => 3 },
    { toString: () => '/proc/self/ns/net' },
    () => 1,
    () => Promise.resolve(1),
    trap,
    new Date(0),
    /re/,
    new Uint8Array(4),
    Object.create(null),
    ...boxPaths(),
  );
}

const anyValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 3, arbitrary: edges() },
    {
      weight: 2,
      arbitrary: fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withTypedArray: true,
        withSparseArray: true,
      }),
    },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...NAMESPACE_TYPES, 'bogus', 1), { maxLength: 4 }) },
  );
const anyArgs = (max = 3) => fc.array(anyValue(), { maxLength: max });

/** Paths confined to a scratch dir: persist/release may create and mount files there. */
let scratch = '';
const safePath = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    anyValue().filter((v) => typeof v !== 'string'),
    fc.string().map((s) => join(scratch, s.replace(/[^\w-]/g, '_') || 'x')),
  );
/** Names that can only ever be our own: netns create/open/remove never touch anyone else's. */
const safeName = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    anyValue().filter((v) => typeof v !== 'string' || !/^[\w.-]{1,200}$/.test(v) || v === '.' || v === '..'),
    fc.string({ maxLength: 20 }).map((s) => `nsbind-fuzz-${process.pid}-${s}`),
  );

type Fuzz = { args: fc.Arbitrary<unknown[]>; call: (args: unknown[]) => unknown; runs?: number; moves?: boolean };

let handle: Namespace; // a live handle for method calls
let pidfd: Pidfd;
let child: Subprocess;
// network: a NetworkNamespace on a throwaway network namespace (a child's), never the host's
let netChild: Subprocess;
let inNs: nsbind.NetworkNamespace;
const SCRATCH_NET = 'SCRATCH_NET'; // stands for that namespace's path in generated netns values
const settling: Promise<unknown>[] = []; // what asynchronous calls made, released once they settle

const method = (get: () => object, name: string, max = 2): Fuzz => ({
  args: anyArgs(max),
  call: (a) => (get() as Record<string, (...x: unknown[]) => unknown>)[name]!(...a),
});
const fn = (f: (...x: never[]) => unknown, max = 3, extra: Partial<Fuzz> = {}): Fuzz => ({
  args: anyArgs(max),
  call: (a) => (f as (...x: unknown[]) => unknown)(...a),
  ...extra,
});

/** A value for a `netns` option: the scratch namespace or junk, never a path or fd that could name the host's. */
const safeNetns = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(SCRATCH_NET),
    anyValue().filter((v) => typeof v !== 'number' && (typeof v !== 'string' || !/^\/|^[\w.-]+$/.test(v))),
  );
/** Options objects that are often nearly valid, so that fuzzing reaches the kernel. */
const nearly = (record: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 1, arbitrary: anyValue() },
    {
      weight: 4,
      arbitrary: fc.record(
        Object.fromEntries(
          Object.entries(record).map(([k, a]) => [k, fc.oneof({ weight: 4, arbitrary: a }, anyValue())]),
        ),
        { requiredKeys: [] },
      ),
    },
  );
const ifname = () => fc.oneof(fc.constantFrom('lo', 'fz0', 'fz1', 'br', 'x'.repeat(16)), fc.string({ maxLength: 16 }));
const cidr = () =>
  fc.oneof(
    fc.tuple(fc.ipV4(), fc.nat(33)).map(([a, l]) => `${a}/${l}`),
    fc.tuple(fc.ipV6(), fc.nat(129)).map(([a, l]) => `${a}/${l}`),
    fc.constantFrom('default', '10.0.0.0/8', '10.1.2.3', 'fe80::1/64'),
  );
/** Put the scratch namespace's path where a generated value asks for it (options.netns, options.peer.netns). */
function aim(o: unknown): unknown {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return o;
  const copy: Record<string, unknown> = { ...o };
  if (copy.netns === SCRATCH_NET) copy.netns = `/proc/${netChild.pid}/ns/net`;
  if (typeof copy.peer === 'object' && copy.peer !== null) copy.peer = aim(copy.peer);
  return copy;
}
/** A promise a call made: once settled, whatever it resolved with (a dgram socket) is released. */
function settle<T>(p: Promise<T>, release: (v: T) => void = () => {}): Promise<T> {
  settling.push(p.then(release, () => {}));
  return p;
}

const CATALOG: Record<string, Fuzz> = {
  flagToType: fn(nsbind.flagToType),
  flagsToTypes: fn(nsbind.flagsToTypes),
  isNamespaceType: fn(nsbind.isNamespaceType),
  typeToFlag: fn(nsbind.typeToFlag),
  typesToFlags: fn(nsbind.typesToFlags),
  namespaceLimits: fn(nsbind.namespaceLimits),
  listNamespaces: fn(nsbind.listNamespaces, 2, { runs: Math.ceil(RUNS / 10) }),
  describeNamespace: {
    args: fc.tuple(fc.oneof(anyValue(), fc.constant('HANDLE'))),
    call: ([ns]) => nsbind.describeNamespace((ns === 'HANDLE' ? handle : ns) as Namespace),
  },
  // unshare and setns move the thread when they succeed: that is undone (and must be undoable) after each call.
  // A new time namespace for children cannot be undone in a multithreaded process, so no input may ask for one.
  unshare: { ...fn(nsbind.unshare, 2), moves: true, args: anyArgs(2).filter((a) => !asksForTime(a[0])) },
  setns: { ...fn(nsbind.setns, 3), moves: true },
  withNamespaces: {
    args: fc.tuple(
      fc.oneof(
        anyValue(),
        fc.dictionary(
          fc.constantFrom(...NAMESPACE_TYPES, 'bogus'),
          fc.oneof(anyValue(), fc.constantFrom(...boxPaths(), '/proc/thread-self/ns/net')),
          { maxKeys: 3 },
        ),
      ),
      fc.oneof(
        anyValue(),
        fc.constantFrom(
          () => 1,
          () => {
            throw new TypeError('from fn');
          },
        ),
      ),
    ),
    call: ([t, f]) => nsbind.withNamespaces(t as nsbind.NamespaceTargets, f as () => unknown),
  },
  persist: {
    args: fc.tuple(fc.oneof(anyValue(), fc.constant('HANDLE')), safePath()),
    call: ([ns, t]) => nsbind.persist((ns === 'HANDLE' ? handle : ns) as Namespace, t as string),
  },
  release: { args: fc.tuple(safePath()), call: ([t]) => nsbind.release(t as string) },
  spawn: {
    // never run an arbitrary program: the file is harmless or absent; args and options are arbitrary or nearly valid
    args: fc.tuple(harmlessFile(), fc.oneof(anyValue(), strings()), fc.oneof(anyValue(), nearlyValidSpawnOptions())),
    call: ([f, a, o]) => nsbind.spawn(f as string, a as string[], o as nsbind.SpawnOptions),
    runs: SPAWN_RUNS,
  },
  // as spawn, plus the output options; execFile's promise is left to settle (its child is awaited)
  execFile: {
    args: fc.tuple(harmlessFile(), fc.oneof(anyValue(), strings()), fc.oneof(anyValue(), nearlyValidExecOptions())),
    call: ([f, a, o]) => nsbind.execFile(f as string, a as string[], o as nsbind.ExecFileOptions),
    runs: SPAWN_RUNS,
  },
  spawnSync: {
    args: fc.tuple(harmlessFile(), fc.oneof(anyValue(), strings()), fc.oneof(anyValue(), nearlyValidExecOptions())),
    call: ([f, a, o]) => nsbind.spawnSync(f as string, a as string[], o as nsbind.SpawnSyncOptions),
    runs: SPAWN_RUNS,
  },
  'netns.directory': fn(netns.directory),
  'netns.path': { args: fc.tuple(safeName()), call: ([n]) => netns.path(n as string) },
  'netns.create': { args: fc.tuple(safeName()), call: ([n]) => netns.create(n as string), runs: SPAWN_RUNS },
  'netns.open': { args: fc.tuple(safeName()), call: ([n]) => netns.open(n as string) },
  'netns.list': fn(netns.list, 1),
  'netns.remove': { args: fc.tuple(safeName()), call: ([n]) => netns.remove(n as string) },
  'new NamespaceError': {
    args: anyArgs(3),
    call: (a) => new (NamespaceError as unknown as new (...x: unknown[]) => unknown)(...a),
  },
  'new NamespaceRestoreError': {
    args: anyArgs(3),
    call: (a) => new (nsbind.NamespaceRestoreError as unknown as new (...x: unknown[]) => unknown)(...a),
  },
  'Namespace.open': fn(Namespace.open, 1),
  'Namespace.current': fn(Namespace.current, 2),
  'Namespace.ofPid': fn(Namespace.ofPid, 3),
  'Namespace.fromFd': fn(Namespace.fromFd, 1),
  'Namespace.ofChild': fn(Namespace.ofChild, 4),
  'Pidfd.open': fn(Pidfd.open, 1),
  ...Object.fromEntries(
    [
      'id',
      'ownerUid',
      'userNamespace',
      'parent',
      'mntnsId',
      'mntInfo',
      'mntNext',
      'mntPrev',
      'pidFromPidns',
      'tgidFromPidns',
      'pidInPidns',
      'tgidInPidns',
      'equals',
      'toString',
      'close',
    ].map((m) => [`Namespace#${m}`, method(() => handle, m)]),
  ),
  'Pidfd#close': method(() => pidfd, 'close'),
  // any value, but a real signal is swapped for a harmless one: the child must live through the run
  'Subprocess#kill': { args: fc.tuple(anyValue()), call: ([s]) => child.kill(harmless(s) as never) },
  'Subprocess#ref': method(() => child, 'ref'),
  'Subprocess#unref': method(() => child, 'unref'),
  'Subprocess#namespace': method(() => child, 'namespace'),
  'Subprocess#resume': method(() => child, 'resume'), // not paused: a TypeError
  // network: only the scratch namespace is ever configured; top-level calls below only open and read
  network: fn(nsbind.network, 1),
  nsid: fn(nsbind.nsid, 2),
  socketNamespace: fn(nsbind.socketNamespace, 1),
  'NetworkNamespace#socket': {
    args: fc.tuple(
      nearly({ family: fc.constantFrom('ipv4', 'ipv6', 'unix'), type: fc.constantFrom('stream', 'dgram') }),
    ),
    call: ([o]) => closeSync(inNs.socket(o as nsbind.SocketOptions)),
  },
  'NetworkNamespace#listen': {
    args: fc.tuple(
      fc.oneof(fc.constant('SERVER'), anyValue()),
      nearly({
        port: fc.nat(65536),
        host: fc.constantFrom('127.0.0.1', '::', 'localhost', '10.9.9.9'),
        backlog: fc.nat(),
        path: fc.constantFrom(`\0nsbind-fuzz-${process.pid}`),
      }),
    ),
    call: ([s, o]) => {
      const server = s === 'SERVER' ? net.createServer() : s;
      const p = inNs.listen(server as net.Server, o as nsbind.ListenOptions);
      return settle(p.finally(() => server instanceof net.Server && server.close()));
    },
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#connect': {
    args: fc.tuple(
      nearly({
        port: fc.nat(65536),
        host: fc.constantFrom('127.0.0.1', '::1', 'localhost', '10.9.9.9'),
        family: fc.constantFrom(0, 4, 6),
        path: fc.constantFrom(`\0nsbind-fuzz-${process.pid}`, '/nonexistent'),
      }),
    ),
    call: ([o]) => inNs.connect(o as nsbind.ConnectOptions).on('error', () => {}),
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#dgram': {
    args: fc.tuple(
      fc.oneof(fc.constantFrom('udp4', 'udp6'), anyValue()),
      nearly({ port: fc.nat(65536), address: fc.constantFrom('127.0.0.1', '::', '0.0.0.0', 'localhost') }),
    ),
    call: ([t, o]) => settle(inNs.dgram(t as 'udp4', o as nsbind.DgramOptions), (sock) => sock.close()),
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#httpAgent': method(() => inNs, 'httpAgent', 1),
  'NetworkNamespace#httpsAgent': method(() => inNs, 'httpsAgent', 1),
  'NetworkNamespace#lookup': {
    args: fc.tuple(
      fc.oneof(fc.constantFrom('localhost', '127.0.0.1', '::1', ''), anyValue()),
      nearly({ family: fc.constantFrom(0, 4, 6, 'IPv4'), all: fc.boolean(), hints: fc.nat(64) }),
    ),
    call: ([h, o]) => settle(inNs.lookup(h as string, o as nsbind.LookupOptions)),
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#nsid': {
    args: fc.tuple(fc.oneof(anyValue(), fc.constant(SCRATCH_NET))),
    call: ([v]) => inNs.nsid((v === SCRATCH_NET ? inNs : v) as never),
  },
  'NetworkNamespace#close': method(() => inNs, 'close'),
  'NetworkNamespace#link.list': method(() => inNs.link, 'list'),
  'NetworkNamespace#link.get': {
    args: fc.tuple(fc.oneof(ifname(), anyValue())),
    call: ([d]) => inNs.link.get(d as string),
  },
  'NetworkNamespace#link.add': {
    args: fc.tuple(
      nearly({
        name: ifname(),
        type: fc.constantFrom('veth', 'bridge', 'dummy'),
        mtu: fc.nat(70000),
        up: fc.boolean(),
        mac: fc.constantFrom('02:00:00:00:00:01'),
        master: ifname(),
        netns: safeNetns(),
        peer: nearly({ name: ifname(), netns: safeNetns(), mtu: fc.nat(70000) }),
      }),
    ),
    call: ([o]) => inNs.link.add(aim(o) as nsbind.LinkAddOptions),
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#link.set': {
    args: fc.tuple(
      fc.oneof(ifname(), anyValue()),
      nearly({
        up: fc.boolean(),
        mtu: fc.nat(70000),
        name: ifname(),
        master: fc.oneof(ifname(), fc.constant(null)),
        netns: safeNetns(),
      }),
    ),
    call: ([d, o]) => inNs.link.set(d as string, aim(o) as nsbind.LinkSetOptions),
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#link.del': {
    args: fc.tuple(fc.oneof(ifname(), anyValue())),
    call: ([d]) => inNs.link.del(d as string),
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#addr.add': {
    args: fc.tuple(
      fc.oneof(ifname(), anyValue()),
      fc.oneof(cidr(), anyValue()),
      nearly({ nodad: fc.boolean(), noprefixroute: fc.boolean(), broadcast: fc.ipV4() }),
    ),
    call: ([d, c, o]) => inNs.addr.add(d as string, c as string, o as nsbind.AddressAddOptions),
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#addr.del': {
    args: fc.tuple(fc.oneof(ifname(), anyValue()), fc.oneof(cidr(), anyValue())),
    call: ([d, c]) => inNs.addr.del(d as string, c as string),
    runs: SPAWN_RUNS,
  },
  'NetworkNamespace#addr.list': method(() => inNs.addr, 'list', 1),
  ...Object.fromEntries(
    (['add', 'del'] as const).map((m) => [
      `NetworkNamespace#route.${m}`,
      {
        args: fc.tuple(
          nearly({
            to: cidr(),
            via: fc.oneof(fc.ipV4(), fc.ipV6()),
            dev: ifname(),
            metric: fc.nat(),
            table: fc.constantFrom('main', 'local', 100),
            type: fc.constantFrom('unicast', 'blackhole'),
            onlink: fc.boolean(),
            family: fc.constantFrom('inet', 'inet6'),
          }),
        ),
        call: ([o]: unknown[]) => inNs.route[m](o as nsbind.RouteOptions),
        runs: SPAWN_RUNS,
      },
    ]),
  ),
  'NetworkNamespace#route.list': method(() => inNs.route, 'list', 1),
};

/** Options that are often valid, so that fuzzing reaches the clone and the child's setup. */
function harmlessFile(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>('/bin/true', '/nonexistent/x', '', 'a\0b', 1, null),
    fc.string().map((s) => `/nonexistent/${s}`),
  );
}

function strings(): fc.Arbitrary<string[]> {
  return fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 });
}

/** spawn's nearly valid options with execFile's and spawnSync's own. */
function nearlyValidExecOptions(): fc.Arbitrary<Record<string, unknown>> {
  const or = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyValue() });
  const own = fc.record(
    {
      input: or(fc.oneof(fc.string({ maxLength: 10 }), fc.uint8Array({ maxLength: 10 }))),
      encoding: or(fc.constantFrom('utf8', 'buffer', null, 'latin1', 'hex')),
      maxBuffer: or(fc.constantFrom(0, 10, Number.POSITIVE_INFINITY)),
      timeout: or(fc.constantFrom(0, 1, 1000)),
      killSignal: or(fc.constantFrom('SIGTERM', 'SIGKILL', 9)),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(nearlyValidSpawnOptions(), own).map(([a, b]) => ({ ...a, ...b }));
}

function nearlyValidSpawnOptions(): fc.Arbitrary<Record<string, unknown>> {
  const or = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyValue() });
  const idMap = fc.array(
    fc.record({ inside: fc.nat(70000), outside: fc.nat(70000), count: fc.integer({ min: 1, max: 70000 }) }),
    { minLength: 1, maxLength: 3 },
  );
  return fc.record(
    {
      namespaces: or(fc.subarray(['user', 'uts', 'ipc', 'net', 'mnt', 'pid', 'cgroup'] as const)),
      join: or(
        fc.dictionary(fc.constantFrom(...NAMESPACE_TYPES), fc.constantFrom(...boxPaths(), '/proc/thread-self/ns/uts'), {
          maxKeys: 2,
        }),
      ),
      mapRootUser: or(fc.boolean()),
      uidMap: or(idMap),
      gidMap: or(idMap),
      hostname: or(fc.string({ maxLength: 70 })),
      mountProc: or(fc.boolean()),
      mountSys: or(fc.boolean()),
      loopback: or(fc.boolean()),
      mounts: or(
        fc.constantFrom(
          [{ type: 'tmpfs', target: '/t' }],
          [
            { type: 'bind', source: '/usr', target: '/usr', readonly: true },
            { type: 'symlink', source: 'usr/bin', target: '/bin' },
          ],
        ),
      ),
      keepCredentials: or(fc.boolean()),
      propagation: or(fc.constantFrom('private', 'slave', 'shared', 'unchanged')),
      root: or(fc.constantFrom('/', '/nonexistent', scratch)),
      cwd: or(fc.constantFrom('/', '/tmp', '/nonexistent')),
      env: or(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 })),
      uid: or(fc.nat(70000)),
      gid: or(fc.nat(70000)),
      timeOffsets: or(fc.record({ monotonic: fc.integer({ min: -100, max: 100000 }) }, { requiredKeys: [] })),
      stdio: or(
        fc.constantFrom(
          'ignore',
          'inherit',
          'pipe',
          ['ignore', 'ignore', 'ignore', 0],
          ['pipe', 'pipe', 'pipe', 'pipe'],
        ),
      ),
      init: or(fc.boolean()),
      // privileges: limits only lowered, groups the child may already have, no cgroup that exists
      noNewPrivileges: or(fc.boolean()),
      capabilities: or(fc.subarray(['CAP_NET_ADMIN', 'sys_chroot', 'chown', 'CAP_NONE'])),
      seccomp: or(fc.constantFrom(Buffer.from([6, 0, 0, 0, 0, 0, 0xff, 0x7f]), Buffer.alloc(8), Buffer.alloc(7))), // ret ALLOW; invalid; not 8 bytes
      rlimits: or(
        fc.record(
          { nofile: fc.integer({ min: 0, max: 1024 }), cpu: fc.record({ soft: fc.nat(5), hard: fc.nat(10) }) },
          { requiredKeys: [] },
        ),
      ),
      groups: or(fc.subarray([0, 65534])),
      paused: or(fc.boolean()),
      cgroup: or(fc.constantFrom('/nonexistent', scratch)),
    },
    { requiredKeys: [] },
  );
}

function harmless(signal: unknown): unknown {
  if (signal === undefined) return 0; // kill() means SIGTERM
  if (typeof signal === 'number' && Number.isInteger(signal) && signal >= 1 && signal <= 64) return 0;
  if (typeof signal === 'string' && signal in constants.signals) return 'SIGCONT';
  return signal;
}

function asksForTime(flags: unknown): boolean {
  if (typeof flags === 'number') return (flags & nsbind.CLONE_NEWTIME) !== 0;
  if (flags === 'time') return true;
  return Array.isArray(flags) && flags.includes('time');
}

/** Inode of the calling thread's namespace entry; -1 for a pid namespace for children that no process is in yet. */
function ino(entry: string): number {
  return statSync(`/proc/thread-self/ns/${entry}`, { throwIfNoEntry: false })?.ino ?? -1;
}

/** The calling thread's namespaces, including what its children get. */
function mine(): string {
  return [...NAMESPACE_TYPES, 'pid_for_children', 'time_for_children'].map(ino).join(' ');
}

const home = new Map<string, Namespace>();
function undoMoves(): void {
  for (const [entry, ns] of home) {
    if (ino(entry) === ns.inode) continue;
    setns(ns, ns.type);
    if (entry === 'mnt') process.chdir(process.cwd()); // setns(mnt) moved the thread to /; process.cwd() is cached
  }
}

const spawned: Subprocess[] = [];
/** Release whatever a successful call made. */
function dispose(result: unknown, name: string, args: unknown[]): void {
  if (result instanceof Namespace && result !== handle) result.close();
  if (result instanceof Pidfd && result !== pidfd) result.close();
  if (result instanceof Subprocess && result !== child) {
    spawned.push(result);
    if (result.paused) result.kill('SIGKILL'); // never resumed: its exit is awaited with the others
  }
  if (name === 'execFile' && (result as { child?: unknown }).child instanceof Subprocess)
    spawned.push((result as { child: Subprocess }).child);
  if (result instanceof nsbind.NetworkNamespace && result !== inNs) result.close();
  if (result instanceof http.Agent) result.destroy();
  if (result instanceof net.Socket) result.destroy();
  if (name === 'netns.create' && result instanceof Namespace) netns.remove(args[0] as string);
  if (name === 'persist') nsbind.release(args[1] as string);
}

describe('fuzz: every export, any input', () => {
  let before = 0;
  let threads = new Map<NamespaceType, Map<number, number>>();
  type NamespaceType = (typeof NAMESPACE_TYPES)[number];
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nsbind-fuzz-'));
    process.chdir(scratch); // relative paths land here
    if (isRoot) box = await fixture(['--net', '--uts', '--ipc', '--mount', '--cgroup']);
    for (const t of [...NAMESPACE_TYPES.filter((t) => t !== 'time'), 'pid_for_children'])
      home.set(t, Namespace.open(`/proc/thread-self/ns/${t}`));
    handle = Namespace.current('pid');
    pidfd = Pidfd.open(process.pid);
    child = nsbind.spawn('sleep', ['1000'], { stdio: 'ignore' });
    netChild = nsbind.spawn('sleep', ['1000'], { namespaces: ['user', 'net'], mapRootUser: true, stdio: 'ignore' });
    inNs = scratchNetwork();
    before = fdCount();
    threads = new Map(NAMESPACE_TYPES.map((t) => [t, threadNamespaces(t)]));
  });
  const cwd = process.cwd();
  afterAll(async () => {
    process.chdir(cwd);
    child?.kill('SIGKILL');
    await child?.exited;
    inNs?.close();
    netChild?.kill('SIGKILL');
    await netChild?.exited;
    for (const ns of home.values()) ns.close();
    handle?.close();
    pidfd?.close();
    await box?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('covers every export, static and method', () => {
    const exported = Object.entries(nsbind).flatMap(([k, v]) => {
      if (k === 'netns') return Object.keys(v).map((n) => `netns.${n}`);
      if (typeof v !== 'function') return []; // constants
      if (v === NamespaceError || v === nsbind.NamespaceRestoreError) return [`new ${k}`];
      const statics = Object.getOwnPropertyNames(v)
        .filter((n) => typeof (v as unknown as Record<string, unknown>)[n] === 'function')
        .map((n) => `${k}.${n}`);
      const methods = v.prototype && /^[A-Z]/.test(k) ? libraryMethods(v.prototype).map((n) => `${k}#${n}`) : [];
      return /^[A-Z]/.test(k) ? [...statics, ...methods] : [k];
    });
    expect(exported.filter((name) => !(name in CATALOG))).toEqual([]);
  });

  for (const [name, fuzz] of Object.entries(CATALOG)) {
    it(`${name}: only a result, TypeError, RangeError or NamespaceError; no fd, thread or namespace left changed`, async () => {
      const thread = mine();
      fc.assert(
        fc.property(fuzz.args, (args) => {
          let result: unknown;
          let ok = false;
          try {
            result = fuzz.call(args);
            ok = true;
          } catch (e) {
            if (
              !(
                e instanceof TypeError ||
                e instanceof RangeError ||
                e instanceof NamespaceError ||
                e instanceof InputTrap
              )
            )
              throw e;
          }
          if (isThenable(result)) (result as Promise<unknown>).then(undefined, () => {});
          if (ok) dispose(result, name, args);
          if (fuzz.moves) undoMoves();
          if (mine() !== thread)
            throw new Error(`${name}(${fc.stringify(args)}) left the calling thread in other namespaces`);
          if (name.startsWith('Namespace#') && handle.closed) handle = Namespace.current('pid');
          if (name === 'Pidfd#close') pidfd = Pidfd.open(process.pid);
          if (inNs.closed) inNs = scratchNetwork();
        }),
        { numRuns: fuzz.runs ?? RUNS },
      );
      await Promise.all(spawned.splice(0).map((c) => c.exited));
      while (settling.length) await Promise.all(settling.splice(0));
      await new Promise((r) => setImmediate(r));
      expect(fdCount()).toBe(before);
      for (const [t, map] of threads) {
        const now = threadNamespaces(t);
        for (const [tid, ino] of now) if (map.has(tid)) expect(ino, `thread ${tid} ${t}`).toBe(map.get(tid));
      }
      expect(netns.list().filter((n) => n.startsWith(`nsbind-fuzz-${process.pid}-`))).toEqual([]);
    }, 300_000);
  }
});

/** The scratch NetworkNamespace, with its netlink socket open (so the fd count stays put). */
function scratchNetwork(): nsbind.NetworkNamespace {
  using handle = netChild.namespace('net');
  const n = nsbind.network(handle); // keeps a handle of its own
  n.link.list();
  return n;
}

/** Methods a class has from nsbind itself, inherited ones included (not those of Object or EventEmitter). */
function libraryMethods(proto: object): string[] {
  const names = new Set<string>();
  for (let p = proto; p !== Object.prototype && p !== EventEmitter.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p))
      if (n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(p, n)?.value === 'function') names.add(n);
  }
  return [...names];
}

function isThenable(v: unknown): boolean {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}
