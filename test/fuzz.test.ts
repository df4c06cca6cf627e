// Property-based fuzzing of every export: any JS value in any position yields a
// result, a TypeError, a RangeError or a NamespaceError — never a crash, an
// abort or a hang; no fd is left over; the calling thread's namespaces are as
// they were (calls that move the thread by design are undone and checked).

import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
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

const method = (get: () => object, name: string, max = 2): Fuzz => ({
  args: anyArgs(max),
  call: (a) => (get() as Record<string, (...x: unknown[]) => unknown>)[name]!(...a),
});
const fn = (f: (...x: never[]) => unknown, max = 3, extra: Partial<Fuzz> = {}): Fuzz => ({
  args: anyArgs(max),
  call: (a) => (f as (...x: unknown[]) => unknown)(...a),
  ...extra,
});

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
    args: fc.tuple(
      fc.oneof(
        fc.constantFrom<unknown>('/bin/true', '/nonexistent/x', '', 'a\0b', 1, null),
        fc.string().map((s) => `/nonexistent/${s}`),
      ),
      fc.oneof(anyValue(), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 })),
      fc.oneof(anyValue(), nearlyValidSpawnOptions()),
    ),
    call: ([f, a, o]) => nsbind.spawn(f as string, a as string[], o as nsbind.SpawnOptions),
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
};

/** Options that are often valid, so that fuzzing reaches the clone and the child's setup. */
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
      propagation: or(fc.constantFrom('private', 'slave', 'shared', 'unchanged')),
      root: or(fc.constantFrom('/', '/nonexistent', scratch)),
      cwd: or(fc.constantFrom('/', '/tmp', '/nonexistent')),
      env: or(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 })),
      uid: or(fc.nat(70000)),
      gid: or(fc.nat(70000)),
      timeOffsets: or(fc.record({ monotonic: fc.integer({ min: -100, max: 100000 }) }, { requiredKeys: [] })),
      stdio: or(fc.constantFrom('ignore', 'inherit', 'pipe', ['ignore', 'ignore', 'ignore', 0])),
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
  if (result instanceof Subprocess && result !== child) spawned.push(result);
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
    before = fdCount();
    threads = new Map(NAMESPACE_TYPES.map((t) => [t, threadNamespaces(t)]));
  });
  const cwd = process.cwd();
  afterAll(async () => {
    process.chdir(cwd);
    child?.kill('SIGKILL');
    await child?.exited;
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
        }),
        { numRuns: fuzz.runs ?? RUNS },
      );
      await Promise.all(spawned.splice(0).map((c) => c.exited));
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
