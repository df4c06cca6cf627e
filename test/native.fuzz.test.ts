// The raw binding (lib/native.ts) fuzzed directly, below the TypeScript layer
// that normally checks its arguments: the glue checks them itself. Any value
// in any position yields a result, a TypeError or a RangeError (or the
// input's own exception) — never an abort, a crash, an act on an unconverted
// value (close(undefined) closing fd 0), or an fd left over.
import { fstatSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, NAMESPACE_TYPES } from '../lib/index.js';
import { type NativeBinding, type NativeSpawnRequest, native } from '../lib/native.js';
import { fdCount, runNode } from './support/env.js';

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
const throwingGetter = Object.defineProperty({}, 'file', {
  get: () => {
    throw new InputTrap('getter');
  },
});

const RUNS = Number(process.env.NSBIND_FUZZ_RUNS ?? 1500);
const SPAWN_RUNS = Math.ceil(RUNS / 5);

const sparse = (length: number) => new Array(length);
const MS_PRIVATE = 1 << 18;
/** Values wrong in kind or range for every parameter of the binding, and some right ones. */
const hostile = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom<unknown>(
      undefined,
      null,
      true,
      '',
      '0',
      'a\0b',
      -1,
      -0,
      0.5,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53,
      Number.NaN,
      Infinity,
      -Infinity,
      10n,
      Symbol('s'),
      {},
      [],
      sparse(3),
      Object.assign(sparse(3), { 0: 1, 2: 3 }),
      { valueOf: () => 0 },
      { toString: () => '/proc/self/ns/net' },
      () => 0,
      trap,
      new Date(0),
      new Uint8Array(4),
      Object.create(null),
    ),
    fc.anything({ withBigInt: true, withBoxedValues: true, withSparseArray: true, withNullPrototype: true }),
  );

/** An fd number the glue must never act on: out of range, or not an integer at all. */
const notAnFd = () => hostile().filter((v) => !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31));
const ownFd = 'OWN_FD'; // replaced by an fd of our own, a namespace file
const pathLike = () =>
  fc.oneof(
    hostile(),
    fc.constantFrom('/proc/self/ns/net', '/proc/thread-self/ns/uts', '/proc/self/status', '/nonexistent', '/dev/null'),
  );
/** One of these values, or a hostile one. */
const orHostile = (...values: unknown[]) => fc.oneof(fc.constantFrom(...values), hostile());
const fdArg = () => fc.oneof(notAnFd(), fc.constant(ownFd));
const requestId = () => fc.oneof(hostile(), fc.nat(20), fc.constant(native.requests.NS_GET_NSTYPE.id));
/** The arguments, or 0 to 4 values none of which could name an fd (close() must only ever close ours). */
const args = (...items: fc.Arbitrary<unknown>[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.tuple(...items) },
    { weight: 1, arbitrary: fc.array(notAnFd(), { maxLength: 4 }) },
  );

/**
 * Requests that are nearly valid, so that many reach nsb_spawn and the child. What could change
 * this host is confined: a hostname, propagation or a mount only with their own new namespace.
 */
function request(): fc.Arbitrary<unknown> {
  const or = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 30, arbitrary: valid }, { weight: 1, arbitrary: hostile() });
  const strings = fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 });
  const base = fc.record({
    file: or(fc.constantFrom('/bin/true', '/nonexistent', 'true', '')),
    argv: or(strings),
    envp: or(strings),
    path: or(fc.constantFrom(undefined, '/usr/bin:/bin', '')),
    cloneFlags: or(fc.constantFrom(0, CLONE_NEWUSER, CLONE_NEWNET | CLONE_NEWUTS, CLONE_NEWPID, 0x80)),
    newTime: or(fc.boolean()),
    join: or(
      fc.array(
        fc.record({
          fd: or(fc.constantFrom(0, 1, 2, 128)),
          nstype: or(fc.constantFrom(CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUSER, 0x80, 3)),
        }),
        { maxLength: 3 },
      ),
    ),
    hostname: or(fc.constantFrom(undefined, 'fuzz')),
    propagation: or(fc.constantFrom(0, 1 << 18, 1 << 19, 1 << 20, 3)),
    mountProc: or(fc.boolean()),
    mountSys: or(fc.boolean()),
    loopback: or(fc.constantFrom(undefined, true, false)),
    newRoot: or(fc.constantFrom(undefined, true, false)),
    mounts: or(
      fc.constantFrom<unknown>(
        undefined,
        [],
        [{ type: 'tmpfs', target: '/t', mode: 0o1777, size: 1 << 20 }],
        [
          { type: 'bind', source: '/usr', target: '/usr', readonly: true },
          { type: 'proc', target: '/proc' },
        ],
        [
          { type: 'file', target: '/f', data: new Uint8Array(3), readonly: true },
          { type: 'dev', target: '/dev' },
        ],
        [
          { type: 'symlink', source: 'usr/bin', target: '/bin' },
          { type: 'dir', target: '/d', mode: 0o700 },
        ],
        [{ type: 'bind', source: '/nonexistent', target: '/' }],
        [{ type: 'bogus', target: '/x' }],
        [{ type: 'dir', target: 'relative' }],
        [{ type: 'tmpfs', target: '/t', mode: 0o10000 }],
      ),
    ),
    root: or(fc.constantFrom(undefined, '/nonexistent')),
    cwd: or(fc.constantFrom(undefined, '/', '/nonexistent')),
    setsid: or(fc.boolean()),
    keepCredentials: or(fc.constantFrom(undefined, true, false)),
    uid: or(fc.constantFrom(undefined, 0, 65534, 2 ** 31, 2 ** 32 - 2)),
    gid: or(fc.constantFrom(undefined, 0, 65534, 2 ** 31)),
    pdeathsig: or(fc.constantFrom(0, 9)),
    stdio: or(
      fc.array(fc.constantFrom<unknown>('devnull', 'pipe:read', 'pipe:write', 'socketpair', 0, 1, 2, 999), {
        maxLength: 4,
      }),
    ),
    uidMap: or(fc.constantFrom(undefined, '0 0 1\n', 'x'.repeat(5000))),
    rlimits: or(
      fc.constantFrom(
        undefined,
        [{ resource: 7, soft: 64, hard: 64 }],
        [{ resource: 0, soft: -1, hard: 5 }],
        [{ resource: 16, soft: 0, hard: 0 }],
      ),
    ),
    groups: or(fc.constantFrom(undefined, [], [0, 65534], [2 ** 32 - 1])),
    capabilities: or(fc.constantFrom(undefined, [], [12, 21], [64])),
    noNewPrivileges: or(fc.constantFrom(undefined, true, false)),
    seccomp: or(
      fc.constantFrom(undefined, Buffer.from([6, 0, 0, 0, 0, 0, 0xff, 0x7f]), Buffer.alloc(8), Buffer.alloc(9)),
    ),
    cgroup: or(fc.constantFrom(undefined, '/nonexistent', '/tmp')),
    paused: or(fc.constantFrom(undefined, true, false)),
    init: or(fc.constantFrom(undefined, '/nonexistent', join(dirname(native.path), 'nsbind-init'))),
  });
  return fc.oneof({ weight: 10, arbitrary: base.map(confine) }, { weight: 1, arbitrary: hostile() });
}

function confine(r: Partial<Record<keyof NativeSpawnRequest, unknown>>): unknown {
  let flags = typeof r.cloneFlags === 'number' && Number.isInteger(r.cloneFlags) ? r.cloneFlags : 0;
  if (r.hostname !== undefined) flags |= CLONE_NEWUTS;
  if (r.propagation || r.mountProc || r.mountSys || r.newRoot) flags |= CLONE_NEWNS;
  if (r.mountProc || r.mountSys || r.newRoot) r.propagation = MS_PRIVATE; // else new mounts could propagate here
  if (flags !== r.cloneFlags && (r.hostname !== undefined || r.propagation || r.mountProc || r.mountSys || r.newRoot))
    r.cloneFlags = flags;
  return r;
}

type Fuzz = { args: fc.Arbitrary<unknown[]>; runs?: number };

const CATALOG: Record<string, Fuzz> = {
  open: { args: args(pathLike()) },
  dup: { args: args(fc.oneof(hostile(), fc.nat(64))) },
  close: { args: args(fdArg()) },
  unshare: { args: args(hostile().filter((v) => v !== 0 && !(typeof v === 'number' && v > 0 && v < 2 ** 31))) },
  setns: { args: args(fdArg(), fc.oneof(hostile(), fc.constantFrom(0, CLONE_NEWNET))) },
  pidfdOpen: { args: args(fc.oneof(hostile(), fc.constant(process.pid))) },
  related: { args: args(fdArg(), requestId()) },
  childNamespace: {
    args: args(fdArg(), orHostile(CLONE_NEWNET, CLONE_NEWPID, 0), orHostile(false, true), orHostile(false, true)),
  },
  queryInt: { args: args(fdArg(), requestId(), fc.oneof(hostile(), fc.nat())) },
  ownerUid: { args: args(fdArg()) },
  queryU64: { args: args(fdArg(), requestId()) },
  mntQuery: { args: args(fdArg(), requestId()) },
  openCwd: { args: fc.array(hostile(), { maxLength: 2 }) },
  fchdir: { args: args(notAnFd()) },
  errnoName: { args: args(fc.oneof(hostile(), fc.nat(200))) },
  userName: { args: args(fc.oneof(hostile(), fc.constantFrom(0, 65534, 2 ** 32 - 1))) },
  spawn: {
    args: args(
      fc.oneof({ weight: 10, arbitrary: request() }, { weight: 1, arbitrary: fc.constant(throwingGetter) }),
      fc.oneof({ weight: 10, arbitrary: fc.constant(() => {}) }, { weight: 1, arbitrary: hostile() }),
    ),
    runs: SPAWN_RUNS,
  },
  // waits here for each child (which is reaped before it returns), feeding it input, with a timeout
  spawnSync: {
    args: args(
      request(),
      orHostile(new Uint8Array(0), Buffer.from('input')),
      orHostile(0, 50),
      orHostile(0, 1024),
      orHostile(9, 15),
    ),
    runs: SPAWN_RUNS,
  },
  processNamespaces: { args: args(orHostile(process.pid, 1, 2 ** 31 - 1), orHostile(true, false)) },
  heldNamespace: { args: args(orHostile(process.pid), fdArg()) },
  socketAt: { args: args(fdArg(), orHostile(-1), orHostile(1, 2, 10), orHostile(1, 2), orHostile(0)) },
  netlinkOpen: { args: args(fdArg(), orHostile(-1)) },
  netlinkRequest: { args: args(fdArg(), orHostile(new Uint8Array(16))) },
  bindSocket: {
    args: args(fdArg(), orHostile(new Uint8Array(16), new Uint8Array(1)), orHostile(true), orHostile(-1, 0, 1)),
  },
  connectSocket: { args: args(fdArg(), orHostile(new Uint8Array(16), new Uint8Array(200))) },
  socketNetns: { args: args(fdArg()) },
  // host names that resolve from /etc/hosts or not at all: nothing is sent to a DNS server
  lookup: {
    args: args(
      fdArg(),
      fc.oneof(
        hostile().filter((v) => typeof v !== 'string'),
        fc.constantFrom('localhost', '127.0.0.1', '::1', '', 'a\0b'),
      ),
      orHostile(0, 4, 6),
      orHostile(0),
    ),
  },
  // Mounts: the directory is never a real one (an fd of ours on a namespace file, ENOTDIR), a name with
  // '/' is refused by C, and makeSharedMountpoint gets no string that could name a directory here.
  openDir: { args: args(pathLike()) },
  disown: { args: args(fdArg()) },
  persistAt: {
    args: args(fc.oneof(fdArg(), fc.constant(-1)), fdArg(), orHostile('x', '.', '..', 'a/b'), orHostile(false, true)),
  },
  releaseAt: { args: args(fdArg(), orHostile('x', '.', '..', 'a/b')) },
  unlinkAt: { args: args(fdArg(), orHostile('x', '..'), orHostile(-1, 0, 2 ** 53), orHostile(-1, 1)) },
  makeSharedMountpoint: {
    args: args(
      fc.oneof(
        hostile().filter((v) => typeof v !== 'string'),
        fc.constant('/nonexistent/nsbind-fuzz'),
      ),
    ),
  },
  kill: { args: args(fc.oneof(hostile(), fc.nat(64)), fc.oneof(hostile(), fc.constant(0))) },
  resume: { args: args(fc.oneof(hostile(), fc.nat(64))) },
  ref: { args: args(fc.oneof(hostile(), fc.nat(64)), hostile()) },
};

const own: number[] = [];
const lookups: Promise<unknown>[] = []; // answers still to come (each holds a copy of its fd)
let running = 0; // children spawned here and not yet reaped
let allReaped = () => {};
/** Swap OWN_FD for a namespace fd of ours, opened for this call. */
function bind(values: unknown[]): unknown[] {
  return values.map((v) => {
    if (v !== ownFd) return v;
    const raw = native.open('/proc/thread-self/ns/net');
    if (typeof raw === 'number') throw new Error(`open: ${raw}`);
    own.push(raw[0]);
    return raw[0];
  });
}

/** Give back what a successful call handed over: fds, pipe ends. */
function dispose(name: string, result: unknown): void {
  if (
    Array.isArray(result) &&
    typeof result[0] === 'number' &&
    result[0] >= 0 &&
    !['errnoName', 'persistAt', 'releaseAt'].includes(name)
  )
    native.close(result[0]);
  const fdResult = ['pidfdOpen', 'openCwd', 'openDir', 'socketAt', 'netlinkOpen', 'socketNetns', 'heldNamespace'];
  if (result instanceof Promise) lookups.push(result);
  if (fdResult.includes(name) && typeof result === 'number' && result >= 0) native.close(result);
  if (name === 'spawn' && result && typeof result === 'object' && 'pidfd' in result) {
    running++;
    native.resume((result as { pidfd: number }).pidfd); // a paused child goes on (-ESRCH for the others)
    for (const fd of (result as unknown as { stdio: number[] }).stdio) if (fd >= 0) native.close(fd);
  }
}

describe('fuzz: the raw binding, any input', () => {
  let before = 0;
  const thread = () => [...NAMESPACE_TYPES].map((t) => statSync(`/proc/thread-self/ns/${t}`).ino).join(' ');
  let namespaces = '';
  beforeAll(() => {
    before = fdCount();
    namespaces = thread();
  });

  it('covers every function of the binding', () => {
    // methods are not enumerable: list every own property
    const functions = Object.getOwnPropertyNames(native).filter(
      (k) => typeof native[k as keyof NativeBinding] === 'function',
    );
    expect(functions.filter((f) => !(f in CATALOG))).toEqual([]);
  });

  for (const [name, fuzz] of Object.entries(CATALOG)) {
    it(`${name}: a result, a TypeError or a RangeError; no fd left, the thread where it was`, async () => {
      const fn = (native as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
      fc.assert(
        fc.property(fuzz.args, (values) => {
          const call = name === 'spawn' && typeof values[1] === 'function' ? count(values) : values;
          try {
            dispose(name, fn.apply(native, bind(call)));
          } catch (e) {
            if (!(e instanceof TypeError || e instanceof RangeError || e instanceof InputTrap)) throw e;
          } finally {
            for (const fd of own.splice(0)) native.close(fd);
          }
          fstatSync(0); // fd 0 is never closed by a bad fd argument
          expect(thread()).toBe(namespaces);
        }),
        { numRuns: fuzz.runs ?? RUNS },
      );
      await Promise.all(lookups.splice(0));
      if (running > 0) await new Promise<void>((resolve) => (allReaped = resolve));
      expect(fdCount()).toBe(before);
    }, 300_000);
  }
});

/** A spawn call whose onExit counts the children still running (every one is reaped before the next test). */
function count(values: unknown[]): unknown[] {
  return [values[0], () => --running === 0 && allReaped(), ...values.slice(2)];
}

describe('the glue checks its own arguments', () => {
  it('close(undefined), close() and close of a non-integer close nothing (fd 0 stays open)', () => {
    const fds = fdCount();
    const close = native.close as (...a: unknown[]) => unknown;
    for (const args of [[undefined], [], ['0'], [0.5], [-1], [2 ** 31], [null], [{ valueOf: () => 0 }], [0, 1]]) {
      const error = (() => {
        try {
          close(...args);
        } catch (e) {
          return e;
        }
      })();
      expect(error instanceof TypeError || error instanceof RangeError, String(args)).toBe(true);
    }
    fstatSync(0);
    expect(fdCount()).toBe(fds);
  });

  it('every function refuses a wrong argument count with a TypeError', () => {
    for (const name of Object.keys(CATALOG)) {
      const fn = (native as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
      expect(() => fn.apply(native, new Array(7).fill(0)), name).toThrow(/expected \d arguments, got 7/);
    }
  });

  it('spawn: a malformed request is a TypeError or RangeError, before anything is cloned', () => {
    const ok: NativeSpawnRequest = {
      file: '/bin/true',
      argv: ['true'],
      envp: [],
      cloneFlags: 0,
      newTime: false,
      join: [],
      propagation: 0,
      mountProc: false,
      mountSys: false,
      setsid: false,
      pdeathsig: 0,
      stdio: ['devnull', 'devnull', 'devnull'],
    };
    const bad: [Record<string, unknown>, typeof TypeError | typeof RangeError][] = [
      [{ join: [3, CLONE_NEWNET] }, TypeError], // the old flat [fd, type, …] array
      [{ join: Array.from({ length: 9 }, () => ({ fd: 0, nstype: CLONE_NEWNET })) }, RangeError],
      [{ argv: sparse(2) }, TypeError],
      [{ argv: sparse(2 ** 32 - 1) }, RangeError],
      [{ stdio: sparse(2) }, TypeError],
      [{ stdio: ['pipe'] }, TypeError],
      [{ stdio: new Array(1025).fill('devnull') }, RangeError],
      [{ uid: -1 }, RangeError],
      [{ uid: 2 ** 32 - 1 }, RangeError], // (uid_t)-1 is "unchanged": absent, never a value
      [{ gid: 2 ** 31 + 0.5 }, RangeError],
      [{ uid: '0' }, TypeError],
      [{ newTime: 1 }, TypeError],
      [{ file: 'a\0b' }, RangeError],
      [{ cloneFlags: undefined }, TypeError],
      [{ pdeathsig: 65 }, RangeError],
      [{ rlimits: [{ resource: 16, soft: 0, hard: 0 }] }, RangeError],
      [{ rlimits: [{ resource: 7, soft: 2, hard: 1 }] }, RangeError],
      [{ rlimits: [{ resource: 7, soft: 2 ** 53, hard: 2 ** 53 }] }, RangeError],
      [{ rlimits: [7] }, TypeError],
      [{ groups: [-1] }, RangeError],
      [{ groups: sparse(2) }, TypeError],
      [{ capabilities: [64] }, RangeError],
      [{ noNewPrivileges: 1 }, TypeError],
      [{ seccomp: Buffer.alloc(9) }, RangeError],
      [{ seccomp: Buffer.alloc(4097 * 8) }, RangeError],
      [{ seccomp: new Uint16Array(4) }, TypeError],
      [{ cgroup: 7 }, TypeError],
    ];
    const fds = fdCount();
    for (const [change, kind] of bad)
      expect(() => native.spawn({ ...ok, ...change } as NativeSpawnRequest, () => {}), Object.keys(change)[0]).toThrow(
        kind,
      );
    expect(fdCount()).toBe(fds);
  });

  it('spawn: C keeps its own limits (an id map of a page or more, a join type twice, lo without a new net, a new root without its own mount namespace): no clone, no fd', () => {
    const request = {
      file: '/bin/true',
      argv: ['true'],
      envp: [],
      cloneFlags: CLONE_NEWUSER,
      newTime: false,
      join: [],
      propagation: 0,
      mountProc: false,
      mountSys: false,
      setsid: false,
      pdeathsig: 0,
      stdio: [],
    };
    const fds = fdCount();
    const EINVAL = -constants.errno.EINVAL;
    const long = '0 0 1\n'.repeat(Math.ceil((native.limits.idMap + 1) / 6));
    expect(native.spawn({ ...request, uidMap: long }, () => {})).toEqual({
      errno: EINVAL,
      step: 'uid_map',
      aux: -1,
      pid: -1,
    });
    const twice = [
      { fd: 0, nstype: CLONE_NEWNET },
      { fd: 1, nstype: CLONE_NEWNET },
    ];
    expect(native.spawn({ ...request, cloneFlags: 0, join: twice }, () => {})).toEqual({
      errno: EINVAL,
      step: 'request',
      aux: -1,
      pid: -1,
    });
    expect(native.spawn({ ...request, loopback: true }, () => {})).toEqual({
      errno: EINVAL,
      step: 'request',
      aux: -1,
      pid: -1,
    });
    // a new root only in a new mount namespace with private or slave propagation, and valid entries
    const sandbox = { ...request, newRoot: true, mounts: [{ type: 'tmpfs' as const, target: '/t' }] };
    for (const change of [
      {},
      { cloneFlags: CLONE_NEWUSER | CLONE_NEWNS, propagation: 1 << 20 },
      { cloneFlags: CLONE_NEWUSER | CLONE_NEWNS, propagation: MS_PRIVATE, mountProc: true },
      {
        cloneFlags: CLONE_NEWUSER | CLONE_NEWNS,
        propagation: MS_PRIVATE,
        mounts: [{ type: 'tmpfs' as const, target: '/' }],
      },
      {
        cloneFlags: CLONE_NEWUSER | CLONE_NEWNS,
        propagation: MS_PRIVATE,
        mounts: [{ type: 'bind' as const, target: '/u' }],
      },
      { newRoot: false },
    ])
      expect(
        native.spawn({ ...sandbox, ...change }, () => {}),
        JSON.stringify(change),
      ).toEqual({
        errno: EINVAL,
        step: 'request',
        aux: -1,
        pid: -1,
      });
    expect(fdCount()).toBe(fds);
  });

  it('an onExit callback that throws is an uncaught exception of the process (never lost, never an abort)', () => {
    const script = `const { native } = require(process.env.NSBIND.replace(/index\\.js$/, 'native.js'));
      process.on('uncaughtException', (e) => console.log('uncaught: ' + e.message));
      native.spawn({ file: '/bin/true', argv: ['true'], envp: [], cloneFlags: 0, newTime: false, join: [], propagation: 0,
        mountProc: false, mountSys: false, setsid: false, pdeathsig: 0, stdio: [] }, () => { throw new Error('from onExit'); });`;
    expect(runNode(script).trim()).toBe('uncaught: from onExit');
  });
});

describe("netlinkRequest on a real NETLINK_ROUTE socket (of this thread's namespace; read-only requests)", () => {
  const NLM_F_REQUEST = 0x1;
  const NLM_F_ACK = 0x4;
  const NLM_F_DUMP = 0x300;
  const RTM_GETLINK = 18;
  const ETIMEDOUT = -constants.errno.ETIMEDOUT;
  const EINVAL = -constants.errno.EINVAL;
  /** Header fields over `body`, copied `offset` bytes into a fresh buffer (any alignment). */
  const message = (h: { len?: number; type: number; flags: number; seq?: number }, body: Uint8Array, offset = 0) => {
    const b = Buffer.alloc(offset + 16 + body.length);
    const m = b.subarray(offset);
    m.writeUInt32LE(h.len ?? m.length, 0);
    m.writeUInt16LE(h.type, 4);
    m.writeUInt16LE(h.flags, 6);
    m.writeUInt32LE(h.seq ?? 1, 8);
    m.set(body, 16);
    return m;
  };
  const ifinfomsg = new Uint8Array(16);
  let fd = -1;
  beforeAll(() => {
    const ns = native.open('/proc/thread-self/ns/net');
    if (typeof ns === 'number') throw new Error(`open: ${ns}`);
    const made = native.netlinkOpen(ns[0], -1);
    native.close(ns[0]);
    if (typeof made !== 'number') throw new Error(`netlinkOpen: ${made[0]}`);
    fd = made;
    return () => native.close(fd);
  });

  it('any alignment: a dump and a request sent from an odd offset are answered', () => {
    for (const offset of [1, 2, 3]) {
      const dump = native.netlinkRequest(
        fd,
        message({ type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP }, ifinfomsg, offset),
      );
      expect(Buffer.isBuffer(dump) && dump.readUInt16LE(4), `offset ${offset}`).toBe(16); // RTM_NEWLINK: lo at least
      const lo = Buffer.from(ifinfomsg);
      lo.writeInt32LE(1, 4);
      const one = native.netlinkRequest(
        fd,
        message({ type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_ACK }, lo, offset),
      );
      expect(Buffer.isBuffer(one) && one.readInt32LE(16 + 4)).toBe(1);
    }
  });

  it('what the kernel would leave unanswered is EINVAL at once: no ack asked, lengths that are not the bytes sent', () => {
    const get = { type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_ACK };
    const lo = Buffer.from(ifinfomsg);
    lo.writeInt32LE(1, 4);
    for (const m of [
      message({ ...get, flags: NLM_F_REQUEST }, lo), // answered, but never acked: the reader would wait
      message({ ...get, flags: NLM_F_ACK }, lo), // not a request: dropped unanswered
      message({ ...get, len: 48 }, lo), // more than was sent: dropped
      Buffer.concat([message({ ...get, len: 32 }, lo), message(get, lo)]), // two requests, two answers
    ])
      expect(native.netlinkRequest(fd, m)).toEqual([EINVAL]);
  });

  it('any header over any bytes: an answer or an error, never the reader left waiting (ETIMEDOUT)', () => {
    const getTypes = fc.integer({ min: 4, max: 40 }).map((k) => 2 + 4 * k); // RTM_GET*: 18, 22, …
    fc.assert(
      fc.property(
        fc.oneof(getTypes, fc.integer({ min: 0, max: 15 })), // or a control type (NOOP, ERROR, DONE…)
        fc.integer({ min: 0, max: 0xffff }),
        fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 300 })),
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 3 }),
        (type, flags, len, body, offset) => {
          const r = native.netlinkRequest(fd, message({ type, flags, len }, body, offset));
          if (Buffer.isBuffer(r)) return;
          expect(r[0]).toBeLessThan(0);
          expect(r[0]).not.toBe(ETIMEDOUT);
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
  }, 120_000);
});
