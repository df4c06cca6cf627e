import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Namespace, type SpawnOptions, spawn } from '../lib/index.js';
import { fdCount, itRoot, nsLink, output, zombies } from './support/env.js';

/** An array of `length` with only `values` set: the rest are holes. */
function sparse(length: number, values: Record<number, unknown>): unknown[] {
  const a = new Array(length);
  for (const [i, v] of Object.entries(values)) a[Number(i)] = v;
  return a;
}

const bad: [string, unknown, unknown, unknown, typeof TypeError | typeof RangeError][] = [
  ['file not a string', 42, [], {}, TypeError],
  ['empty file', '', [], {}, RangeError],
  ['NUL in file', '/bin/\0sh', [], {}, RangeError],
  ['newline in file', '/bin/sh\n', [], {}, RangeError],
  ['args not an array', '/bin/true', 'x', {}, TypeError],
  ['NUL in an argument', '/bin/true', ['a\0b'], {}, RangeError],
  ['non-string argument', '/bin/true', [1], {}, TypeError],
  ['options not an object', '/bin/true', [], 'x', TypeError],
  ['unknown option (typo)', '/bin/true', [], { mapRootUsr: true }, TypeError],
  ['unknown namespace name', '/bin/true', [], { namespaces: ['network'] }, TypeError],
  ['namespaces not an array', '/bin/true', [], { namespaces: 'net' }, TypeError],
  ['new and joined net', '/bin/true', [], { namespaces: ['net'], join: { net: '/proc/self/ns/net' } }, TypeError],
  ['join with an unknown type', '/bin/true', [], { join: { network: '/proc/self/ns/net' } }, TypeError],
  ['join target of a wrong kind', '/bin/true', [], { join: { net: 3 } }, TypeError],
  ['join path with a newline', '/bin/true', [], { join: { net: '/proc/self/ns/net\n' } }, RangeError],
  ['hostname without a new uts', '/bin/true', [], { hostname: 'box' }, TypeError],
  ['domainname without a new uts', '/bin/true', [], { domainname: 'lan' }, TypeError],
  ['hostname with a newline', '/bin/true', [], { namespaces: ['uts'], hostname: 'a\nb' }, RangeError],
  ['hostname with NUL', '/bin/true', [], { namespaces: ['uts'], hostname: 'a\0b' }, RangeError],
  ['hostname too long', '/bin/true', [], { namespaces: ['uts'], hostname: 'x'.repeat(65) }, RangeError],
  ['mapRootUser without a new user', '/bin/true', [], { mapRootUser: true }, TypeError],
  [
    'mapRootUser and uidMap',
    '/bin/true',
    [],
    { namespaces: ['user'], mapRootUser: true, uidMap: [{ inside: 0, outside: 0, count: 1 }] },
    TypeError,
  ],
  ['uidMap without a new user', '/bin/true', [], { uidMap: [{ inside: 0, outside: 0, count: 1 }] }, TypeError],
  ['empty uidMap', '/bin/true', [], { namespaces: ['user'], uidMap: [] }, RangeError],
  [
    'uidMap count 0',
    '/bin/true',
    [],
    { namespaces: ['user'], uidMap: [{ inside: 0, outside: 0, count: 0 }] },
    RangeError,
  ],
  [
    'uidMap negative',
    '/bin/true',
    [],
    { namespaces: ['user'], uidMap: [{ inside: -1, outside: 0, count: 1 }] },
    RangeError,
  ],
  [
    'uidMap fraction',
    '/bin/true',
    [],
    { namespaces: ['user'], uidMap: [{ inside: 0.5, outside: 0, count: 1 }] },
    RangeError,
  ],
  [
    'uidMap string (line injection)',
    '/bin/true',
    [],
    { namespaces: ['user'], uidMap: [{ inside: '0 0 1\n1', outside: 0, count: 1 }] },
    TypeError,
  ],
  [
    'uidMap extra key',
    '/bin/true',
    [],
    { namespaces: ['user'], uidMap: [{ inside: 0, outside: 0, count: 1, extra: 1 }] },
    TypeError,
  ],
  [
    'uidMap past the last id',
    '/bin/true',
    [],
    { namespaces: ['user'], uidMap: [{ inside: 4294967294, outside: 0, count: 5 }] },
    RangeError,
  ],
  [
    'too many map lines',
    '/bin/true',
    [],
    { namespaces: ['user'], gidMap: Array.from({ length: 341 }, (_, i) => ({ inside: i, outside: i, count: 1 })) },
    RangeError,
  ],
  ['setgroups bogus', '/bin/true', [], { namespaces: ['user'], setgroups: 'maybe' }, TypeError],
  ['mountSys not a boolean', '/bin/true', [], { mountSys: 1 }, TypeError],
  ['mountSys with a joined mnt', '/bin/true', [], { mountSys: true, join: { mnt: '/proc/self/ns/mnt' } }, TypeError],
  ['loopback not a boolean', '/bin/true', [], { namespaces: ['net'], loopback: 1 }, TypeError],
  ['loopback without a new net', '/bin/true', [], { loopback: true }, TypeError],
  ['loopback with a joined net', '/bin/true', [], { loopback: true, join: { net: '/proc/self/ns/net' } }, TypeError],
  ['propagation without a new mnt', '/bin/true', [], { propagation: 'private' }, TypeError],
  [
    'mountProc with shared propagation (would reach the host)',
    '/bin/true',
    [],
    { mountProc: true, propagation: 'shared' },
    TypeError,
  ],
  ['mountProc with unchanged propagation', '/bin/true', [], { mountProc: true, propagation: 'unchanged' }, TypeError],
  [
    'mountSys with shared propagation (would reach the host)',
    '/bin/true',
    [],
    { mountSys: true, propagation: 'shared' },
    TypeError,
  ],
  ['propagation bogus', '/bin/true', [], { namespaces: ['mnt'], propagation: 'rprivate' }, TypeError],
  ['timeOffsets unknown clock', '/bin/true', [], { timeOffsets: { realtime: 5 } }, TypeError],
  ['timeOffsets NaN', '/bin/true', [], { timeOffsets: { boottime: Number.NaN } }, RangeError],
  [
    'timeOffsets with a joined time ns',
    '/bin/true',
    [],
    { timeOffsets: { boottime: 1 }, join: { time: '/proc/self/ns/time' } },
    TypeError,
  ],
  ['root with a newline', '/bin/true', [], { root: '/tmp\n' }, RangeError],
  ['cwd not a string', '/bin/true', [], { cwd: 1 }, TypeError],
  ['env name with =', '/bin/true', [], { env: { 'A=B': 'x' } }, RangeError],
  ['env value with NUL', '/bin/true', [], { env: { A: 'x\0y' } }, RangeError],
  ['env value not a string', '/bin/true', [], { env: { A: 1 } }, TypeError],
  ['uid negative', '/bin/true', [], { uid: -1 }, RangeError],
  ['uid too large', '/bin/true', [], { uid: 2 ** 32 }, RangeError],
  ['gid a string', '/bin/true', [], { gid: '0' }, TypeError],
  ['killOnParentDeath not boolean', '/bin/true', [], { killOnParentDeath: 1 }, TypeError],
  ['killOnParentDeath an unknown signal', '/bin/true', [], { killOnParentDeath: 'SIGNOPE' }, TypeError],
  ['keepCredentials without join.user', '/bin/true', [], { keepCredentials: true }, TypeError],
  ['killOnParentDeath SIGSTOP', '/bin/true', [], { killOnParentDeath: 'SIGSTOP' }, TypeError],
  ['stdio unknown', '/bin/true', [], { stdio: 'pipes' }, TypeError],
  ['stdio negative fd', '/bin/true', [], { stdio: ['ignore', -1, 'ignore'] }, RangeError],
  ['stdio a stream without an fd', '/bin/true', [], { stdio: ['ignore', new PassThrough()] }, TypeError],
  ['timeout negative', '/bin/true', [], { timeout: -1 }, RangeError],
  ['timeout not a number', '/bin/true', [], { timeout: '10' }, TypeError],
  ['killSignal unknown', '/bin/true', [], { killSignal: 'SIGNOPE' }, TypeError],
  ['signal not an AbortSignal', '/bin/true', [], { signal: { aborted: false } }, TypeError],
  // holes: a TypeError, never an abort or a dropped entry
  ['args with a hole', '/bin/true', sparse(2, { 1: 'x' }), {}, TypeError],
  ['args with a hole at the end', '/bin/true', sparse(2, { 0: 'x' }), {}, TypeError],
  ['stdio with a hole', '/bin/true', [], { stdio: sparse(3, { 0: 'ignore', 2: 'ignore' }) }, TypeError],
  [
    'namespaces with a hole',
    '/bin/true',
    [],
    { namespaces: sparse(3, { 0: 'user', 2: 'net' }), mapRootUser: true },
    TypeError,
  ],
  [
    'uidMap with a hole',
    '/bin/true',
    [],
    {
      namespaces: ['user'],
      uidMap: sparse(3, { 0: { inside: 0, outside: 0, count: 1 }, 2: { inside: 1, outside: 1, count: 1 } }),
    },
    TypeError,
  ],
  ['a huge sparse args array', '/bin/true', new Array(2 ** 32 - 1), {}, RangeError],
  ['a huge sparse stdio array', '/bin/true', [], { stdio: new Array(2 ** 31) }, RangeError],
  // the kernel takes a map in one write of less than a page: 340 lines of ~17 bytes are more
  [
    'uidMap longer than a page',
    '/bin/true',
    [],
    {
      namespaces: ['user'],
      uidMap: Array.from({ length: 340 }, (_, i) => ({ inside: i * 10, outside: 1_000_000_000 + i * 10, count: 1 })),
    },
    RangeError,
  ],
  ['uid 2^32 - 1, which is (uid_t)-1', '/bin/true', [], { uid: 2 ** 32 - 1 }, RangeError],
];

describe('spawn option validation: before anything is opened or cloned', () => {
  it.each(bad)('%s', (_, file, args, options, kind) => {
    const fds = fdCount();
    expect(() => spawn(file as string, args as string[], options as SpawnOptions)).toThrow(kind);
    expect(fdCount()).toBe(fds);
    expect(zombies()).toEqual([]);
  });

  it('a frozen stdio array works and no stdio array is changed', async () => {
    const frozen = Object.freeze(['ignore', 'pipe'] as const);
    const out = await output(spawn('/bin/sh', ['-c', 'echo out; echo err >&2'], { stdio: frozen }));
    expect(out).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' }); // fd 2 defaults to 'pipe'
    const short: ('ignore' | 'pipe')[] = ['ignore'];
    await spawn('/bin/true', [], { stdio: short }).closed;
    expect(short).toEqual(['ignore']);
  });

  it('an array Proxy is read once per element: it cannot pass the check and then show a hole or another value', async () => {
    const reads: string[] = [];
    const shifty = (values: string[]) => {
      const seen = new Set<PropertyKey>();
      return new Proxy(values, {
        has: (target, key) => {
          if (seen.has(key)) return false; // asked again: now a hole
          seen.add(key);
          return Reflect.has(target, key);
        },
        get: (target, key) => {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads.push(key);
          return Reflect.get(target, key);
        },
      });
    };
    const child = spawn('/bin/echo', shifty(['a', 'b']), { stdio: ['ignore', 'pipe', 'inherit'] });
    expect(reads).toEqual(['0', '1']);
    expect((await output(child)).stdout).toBe('a b\n');
  });

  itRoot('a map just within a page is written whole', async () => {
    // 4089 bytes of map lines: just under the page the kernel takes in one write
    const gidMap = Array.from({ length: 247 }, (_, i) => ({ inside: i, outside: 1_000_000_000 + i * 10, count: 1 }));
    expect(gidMap.map((e) => `${e.inside} ${e.outside} ${e.count}\n`).join('').length).toBe(4089);
    const child = spawn('/bin/sh', ['-c', 'wc -l < /proc/self/gid_map'], {
      namespaces: ['user'],
      gidMap,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect((await output(child)).stdout.trim()).toBe('247');
  });

  it('a handle of the wrong type for join is a TypeError', () => {
    using uts = Namespace.current('uts');
    expect(() => spawn('/bin/true', [], { join: { net: uts } })).toThrow(/join.net is a uts namespace/);
  });

  itRoot('mountProc implies a new mount namespace, timeOffsets a new time namespace', async () => {
    const child = spawn('/bin/sh', ['-c', 'readlink /proc/self/ns/mnt /proc/self/ns/time'], {
      mountProc: true,
      propagation: 'slave',
      timeOffsets: { monotonic: 5 },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const out = await output(child);
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split('\n')).not.toContain(nsLink('/proc/self/ns/mnt'));
    expect(out.stdout.trim().split('\n')).not.toContain(nsLink('/proc/self/ns/time'));
  });
});
