import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CLONE_NEWIPC,
  CLONE_NEWUTS,
  Namespace,
  NamespaceError,
  type NamespaceType,
  setns,
  unshare,
} from '../lib/index.js';
import { fdCount, isRoot, itRoot, runNode, threadNamespaces } from './support/env.js';

const TYPES: NamespaceType[] = ['uts', 'ipc', 'net', 'mnt', 'cgroup'];

describe('unshare (calling thread only)', () => {
  const saved = new Map<NamespaceType, Namespace>();
  beforeEach(() => {
    for (const t of TYPES) saved.set(t, Namespace.current(t));
  });
  afterEach(() => {
    // put the main thread back: mnt needs CLONE_FS unshared, which unshare(mnt) already did
    for (const [t, ns] of saved) {
      using cur = Namespace.current(t);
      if (!cur.equals(ns)) setns(ns, t);
      ns.close();
      if (t === 'mnt') process.chdir(process.cwd()); // setns(mnt) moves the thread to "/"; process.cwd() is cached
    }
    saved.clear();
  });

  itRoot('moves the calling thread into a new uts and ipc namespace; the other threads stay', () => {
    const before = threadNamespaces('uts');
    const tid = Number(readFileSync('/proc/thread-self/stat', 'latin1').split(' ')[0]);
    unshare(['uts', 'ipc']);
    const after = threadNamespaces('uts');
    expect(after.get(tid)).not.toBe(before.get(tid));
    expect(statSync('/proc/thread-self/ns/ipc').ino).not.toBe(saved.get('ipc')!.inode);
    for (const [other, ino] of after) if (other !== tid && before.has(other)) expect(ino).toBe(before.get(other));
    expect(after.size).toBeGreaterThan(1); // Node really is multithreaded
  });

  itRoot('accepts CLONE_* numbers and a single name', () => {
    unshare(CLONE_NEWUTS | CLONE_NEWIPC);
    expect(statSync('/proc/thread-self/ns/uts').ino).not.toBe(saved.get('uts')!.inode);
    const first = statSync('/proc/thread-self/ns/uts').ino;
    unshare('uts');
    expect(statSync('/proc/thread-self/ns/uts').ino).not.toBe(first);
  });

  itRoot('a new net namespace shows only lo to this thread; setns restores', () => {
    unshare(['net']);
    const devices = readFileSync('/proc/thread-self/net/dev', 'latin1')
      .split('\n')
      .slice(2)
      .filter(Boolean)
      .map((l) => l.split(':')[0]!.trim());
    expect(devices).toEqual(['lo']);
    setns(saved.get('net')!);
    expect(statSync('/proc/thread-self/ns/net').ino).toBe(saved.get('net')!.inode);
  });

  itRoot('a new mount namespace: the main thread sees a mount made in it, the libuv pool does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsbind-unshare-'));
    try {
      unshare(['mnt']);
      using mine = Namespace.current('mnt');
      expect(mine.equals(saved.get('mnt')!)).toBe(false);
      // child_process forks from the calling thread, so mount(8) runs in our new namespace
      execFileSync('mount', ['--make-rprivate', '/']);
      execFileSync('mount', ['-t', 'tmpfs', 'nsbind-test', dir]);
      writeFileSync(join(dir, 'inside'), 'hello');
      expect(readFileSync(join(dir, 'inside'), 'utf8')).toBe('hello'); // main thread
      await expect(readFile(join(dir, 'inside'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' }); // pool thread
      expect(mine.mntInfo().nrMounts).toBe(saved.get('mnt')!.mntInfo().nrMounts + 1);
    } finally {
      setns(saved.get('mnt')!);
      process.chdir(process.cwd()); // setns(mnt) moved this thread to "/"; process.cwd() is cached
      rmSync(dir, { recursive: true });
    }
  });

  it('user namespaces fail with EINVAL and a hint to use spawn', () => {
    try {
      unshare(['user']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NamespaceError);
      const err = e as NamespaceError;
      expect(err).toMatchObject({ code: 'EINVAL', errno: -22, syscall: 'unshare' });
      expect(err.message).toBe('EINVAL: invalid argument, unshare');
      expect(err.hint).toMatch(/multithreaded.*spawn/s);
    }
  });

  it('unprivileged: EPERM with a hint about CAP_SYS_ADMIN and user namespaces', () => {
    const script = `const { unshare } = require(process.env.NSBIND);
      try { unshare(['net']); console.log('no error'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, hint: e.hint, message: e.message })); }`;
    const out = JSON.parse(isRoot ? runNode(script, { asNobody: true }) : runNode(script));
    expect(out).toMatchObject({
      name: 'NamespaceError',
      code: 'EPERM',
      errno: -1,
      syscall: 'unshare',
      message: 'EPERM: operation not permitted, unshare',
    });
    expect(out.hint).toMatch(/CAP_SYS_ADMIN.*mapRootUser/s);
  });

  itRoot('ENOSPC when a /proc/sys/user limit is reached, with a hint naming it', () => {
    // a user namespace of its own, where root may lower its own limit to 0
    const out = runNode(
      `const { unshare } = require(process.env.NSBIND);
      require('fs').writeFileSync('/proc/sys/user/max_uts_namespaces', '0');
      try { unshare(['uts']); } catch (e) { console.log(JSON.stringify({ code: e.code, hint: e.hint })); }`,
      { prefix: ['unshare', '--user', '--map-root-user'] },
    );
    const err = JSON.parse(out);
    expect(err.code).toBe('ENOSPC');
    expect(err.hint).toMatch(/max_\*_namespaces/);
  });

  it('validates flags before any syscall', () => {
    const before = fdCount();
    expect(() => unshare(['network' as never])).toThrow(TypeError);
    expect(() => unshare(-1)).toThrow(RangeError);
    expect(() => unshare(1.5)).toThrow(RangeError);
    expect(() => unshare(Number.NaN)).toThrow(RangeError);
    expect(() => unshare(2 ** 32)).toThrow(RangeError);
    expect(() => unshare(0x1)).toThrow(/bits unshare\(2\) does not take: 0x1/);
    expect(() => unshare(0x400)).toThrow(/CLONE_FILES is refused.*libuv pool/); // CLONE_FILES
    expect(() => unshare(null as never)).toThrow(TypeError);
    expect(() => unshare({} as never)).toThrow(TypeError);
    expect(() => unshare(1n as never)).toThrow(TypeError);
    expect(fdCount()).toBe(before);
    if (!isRoot) return;
    unshare(0); // no flags: a no-op
    using uts = Namespace.current('uts');
    expect(uts.equals(saved.get('uts')!)).toBe(true);
  });
});
