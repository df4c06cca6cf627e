import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES, Namespace, NamespaceError, typeToFlag } from '../lib/index.js';
import { type Fixture, fdCount, fixture, isRoot, itRoot, nsLink, nspid, runNode } from './support/env.js';
import { removeScratch, scratchDir } from './support/mounts.js';

function linkOf(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '';
  }
}

describe('Namespace handles', () => {
  it.each(NAMESPACE_TYPES)("current(%s) names the thread's namespace: type, inode, dev, flag", (type) => {
    using ns = Namespace.current(type);
    const st = statSync(`/proc/thread-self/ns/${type}`);
    expect(ns.type).toBe(type);
    expect(ns.inode).toBe(st.ino);
    expect(ns.dev).toBe(st.dev);
    expect(ns.flag).toBe(typeToFlag(type));
    expect(String(ns)).toBe(nsLink(`/proc/thread-self/ns/${type}`));
    expect(ns.path).toBe(`/proc/thread-self/ns/${type}`);
    expect(ns.fd).toBeGreaterThan(2);
  });

  it('opens the fd close-on-exec', () => {
    using ns = Namespace.current('net');
    const flags = readFileSync(`/proc/self/fdinfo/${ns.fd}`, 'latin1').match(/flags:\s+(\d+)/)![1]!;
    expect(Number.parseInt(flags, 8) & 0o2000000).toBe(0o2000000); // O_CLOEXEC
  });

  it('ofPid and forChildren entries', () => {
    using a = Namespace.ofPid(process.pid, 'pid');
    using b = Namespace.ofPid(process.pid, 'pid', { forChildren: true });
    using t = Namespace.current('time', { forChildren: true });
    expect(a.equals(b)).toBe(true);
    expect(b.path).toBe(`/proc/${process.pid}/ns/pid_for_children`);
    expect(t.type).toBe('time');
    expect(() => Namespace.current('net', { forChildren: true })).toThrow(RangeError);
  });

  it('fromFd duplicates: the caller keeps its own fd', () => {
    using a = Namespace.current('uts');
    const b = Namespace.fromFd(a.fd);
    expect(b.fd).not.toBe(a.fd);
    expect(b.equals(a)).toBe(true);
    expect(b.path).toBeUndefined();
    b.close();
    expect(a.id()).toBeTypeOf('bigint'); // a's fd still works
  });

  it('close is idempotent; a closed handle throws EBADF NamespaceError', () => {
    const ns = Namespace.current('ipc');
    const fd = ns.fd;
    ns.close();
    ns.close();
    ns[Symbol.dispose]();
    expect(ns.closed).toBe(true);
    expect(linkOf(fd)).not.toMatch(/^ipc:/);
    expect(() => ns.fd).toThrow(NamespaceError);
    try {
      ns.id();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NamespaceError);
      expect((e as NamespaceError).code).toBe('EBADF');
      expect((e as NamespaceError).hint).toMatch(/closed/);
    }
  });

  it('equals compares device and inode, not fds', () => {
    using a = Namespace.current('net');
    using b = Namespace.open('/proc/self/ns/net');
    using c = Namespace.current('uts');
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(() => a.equals({} as Namespace)).toThrow(TypeError);
  });

  it('rejects files that are not namespaces', () => {
    for (const path of ['/etc/hostname', '/proc/self/status', '/dev/null']) {
      try {
        Namespace.open(path);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(NamespaceError);
        expect((e as NamespaceError).code).toBe('EINVAL');
        expect((e as NamespaceError).path).toBe(path);
        expect((e as NamespaceError).hint).toMatch(/not a namespace file/);
      }
    }
    expect(() => Namespace.open('/proc/self/ns/nope')).toThrow(
      /ENOENT: no such file or directory, open '\/proc\/self\/ns\/nope'/,
    );
  });

  it('a FIFO at any namespace path fails at once (EINVAL), never blocks the thread', () => {
    // In a process of its own, bounded: an open that blocks (O_RDONLY on a FIFO with no writer) gets it killed.
    const dir = scratchDir('fifo');
    try {
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const out = runNode(
        `const m = require(process.env.NSBIND);
        const fifo = ${JSON.stringify(fifo)};
        const calls = {
          open: () => m.Namespace.open(fifo),
          setns: () => m.setns(fifo),
          withNamespaces: () => m.withNamespaces({ net: fifo }, () => 1),
          join: () => m.spawn('/bin/true', [], { join: { net: fifo } }),
          release: () => m.release(fifo),
        };
        const seen = {};
        for (const [name, call] of Object.entries(calls)) {
          try { call(); seen[name] = 'no error'; } catch (e) { seen[name] = e.code + ' ' + e.syscall; }
        }
        console.log(JSON.stringify(seen));`,
        { seconds: 10, asNobody: isRoot },
      );
      expect(JSON.parse(out)).toEqual({
        open: 'EINVAL open',
        setns: 'EINVAL open',
        withNamespaces: 'EINVAL open',
        join: 'EINVAL open',
        release: 'EINVAL umount2', // opened O_PATH, not a namespace mount: left alone
      });
      expect(statSync(fifo).isFIFO()).toBe(true); // release left it alone
    } finally {
      removeScratch(dir);
    }
  });

  it('validates arguments before any syscall', () => {
    const before = fdCount();
    expect(() => Namespace.current('network' as never)).toThrow(TypeError);
    expect(() => Namespace.ofPid(0, 'net')).toThrow(RangeError);
    expect(() => Namespace.ofPid(-1, 'net')).toThrow(RangeError);
    expect(() => Namespace.ofPid(1.5, 'net')).toThrow(RangeError);
    expect(() => Namespace.ofPid(Number.NaN, 'net')).toThrow(RangeError);
    expect(() => Namespace.ofPid('1' as never, 'net')).toThrow(TypeError);
    expect(() => Namespace.fromFd(-1)).toThrow(RangeError);
    expect(() => Namespace.fromFd(2 ** 31)).toThrow(RangeError);
    expect(() => Namespace.fromFd(1n as never)).toThrow(TypeError);
    expect(() => Namespace.open('')).toThrow(RangeError);
    expect(() => Namespace.open('/proc/self/ns/net\0x')).toThrow(RangeError);
    expect(() => Namespace.open(42 as never)).toThrow(TypeError);
    expect(() => Namespace.current('pid', { forChildren: 'yes' as never })).toThrow(TypeError);
    expect(fdCount()).toBe(before);
  });

  it('NS_GET_ID: stable per namespace, distinct across namespaces, equal to the mount namespace id', async () => {
    const ids = NAMESPACE_TYPES.map((t) => {
      using a = Namespace.current(t);
      using b = Namespace.ofPid(process.pid, t);
      expect(a.id()).toBe(b.id());
      return a.id();
    });
    using mnt = Namespace.current('mnt');
    expect(mnt.id()).toBe(mnt.mntnsId());
    if (isRoot) {
      // ids are unique but not ordered: the kernel hands them out in per-CPU batches
      const fixtures = await Promise.all([1, 2, 3].map(() => fixture(['--uts'])));
      try {
        for (const f of fixtures) {
          using uts = Namespace.ofPid(f.pid, 'uts');
          ids.push(uts.id());
        }
      } finally {
        await Promise.all(fixtures.map((f) => f.stop()));
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toBeGreaterThan(0n);
  });

  it('NS_GET_OWNER_UID of our user namespace is the uid that created it (0 for the initial one)', () => {
    using user = Namespace.current('user');
    expect(user.ownerUid()).toBe(0);
    using net = Namespace.current('net');
    expect(() => net.ownerUid()).toThrow(expect.objectContaining({ code: 'EINVAL', request: 'NS_GET_OWNER_UID' }));
  });

  it('NS_GET_PARENT of the initial user namespace is outside our view: EPERM with a hint', () => {
    using user = Namespace.current('user');
    try {
      user.parent();
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'EPERM', syscall: 'ioctl', request: 'NS_GET_PARENT' });
      expect((e as NamespaceError).message).toBe(
        "EPERM: operation not permitted, ioctl NS_GET_PARENT '/proc/thread-self/ns/user'",
      );
      expect((e as NamespaceError).hint).toMatch(/outside/);
    }
    using uts = Namespace.current('uts');
    expect(() => uts.parent()).toThrow(
      expect.objectContaining({ code: 'EINVAL', hint: expect.stringMatching(/pid and user/) }),
    );
  });

  it('NS_GET_USERNS of every namespace of ours is our user namespace', () => {
    using user = Namespace.current('user');
    // the initial user namespace has no owner visible to us
    expect(() => user.userNamespace()).toThrow(expect.objectContaining({ code: 'EPERM', request: 'NS_GET_USERNS' }));
    for (const type of NAMESPACE_TYPES.filter((t) => t !== 'user')) {
      using ns = Namespace.current(type);
      using owner = ns.userNamespace();
      expect(owner.equals(user)).toBe(true);
    }
  });

  it('mount namespace: NS_GET_MNTNS_ID, NS_MNT_GET_INFO against /proc mountinfo', () => {
    using mnt = Namespace.current('mnt');
    const info = mnt.mntInfo();
    expect(info.mntNsId).toBe(mnt.mntnsId());
    expect(info.mntNsId).toBe(mnt.id());
    const lines = readFileSync('/proc/thread-self/mountinfo', 'latin1').trim().split('\n').length;
    expect(info.nrMounts).toBe(lines);
    using net = Namespace.current('net');
    expect(() => net.mntInfo()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => net.mntnsId()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('pid translation of our own pid in our own pid namespace', () => {
    using pidns = Namespace.current('pid');
    expect(pidns.pidInPidns(process.pid)).toBe(process.pid);
    expect(pidns.tgidInPidns(process.pid)).toBe(process.pid);
    expect(pidns.pidFromPidns(process.pid)).toBe(process.pid);
    expect(() => pidns.pidFromPidns(0)).toThrow(RangeError);
    using net = Namespace.current('net');
    expect(() => net.pidInPidns(process.pid)).toThrow(NamespaceError);
  });

  it('keeps no fd after thousands of open/query/error/close cycles', () => {
    const before = fdCount();
    for (let i = 0; i < 3000; i++) {
      using ns = Namespace.current(NAMESPACE_TYPES[i % NAMESPACE_TYPES.length]!);
      ns.id();
      try {
        ns.userNamespace().close();
      } catch {
        // EPERM for the initial user namespace
      }
      try {
        ns.parent().close();
      } catch {
        // EPERM / EINVAL: the error path must not leak either
      }
      try {
        Namespace.open('/etc/hostname');
      } catch {
        // not nsfs
      }
      Namespace.fromFd(ns.fd).close();
    }
    expect(fdCount()).toBe(before);
  });
});

describe('Namespace queries against util-linux made namespaces', () => {
  let userns: Fixture;
  let pidns: Fixture;
  let mntns: Fixture;
  beforeAll(async () => {
    if (!isRoot) return;
    userns = await fixture(['--user', '--map-root-user', '--net', '--uts'], { asNobody: true });
    pidns = await fixture(['--pid', '--fork', '--mount-proc']);
    mntns = await fixture(['--mount']);
  });
  afterAll(async () => {
    await userns?.stop();
    await pidns?.stop();
    await mntns?.stop();
  });

  itRoot('a user namespace made by nobody: ownerUid 65534, parent is ours, owns its net and uts', () => {
    using user = Namespace.ofPid(userns.pid, 'user');
    using ours = Namespace.current('user');
    expect(user.equals(ours)).toBe(false);
    expect(user.ownerUid()).toBe(65534);
    using parent = user.parent();
    expect(parent.equals(ours)).toBe(true);
    for (const type of ['net', 'uts'] as const) {
      using ns = Namespace.ofPid(userns.pid, type);
      using owner = ns.userNamespace();
      expect(owner.equals(user)).toBe(true);
      expect(String(ns)).toBe(nsLink(`/proc/${userns.pid}/ns/${type}`));
    }
    expect(readFileSync(`/proc/${userns.pid}/uid_map`, 'latin1').trim().split(/\s+/)).toEqual(['0', '65534', '1']);
  });

  itRoot('a pid namespace: parent is ours; pid translation matches NSpid in /proc/PID/status', () => {
    using child = Namespace.ofPid(pidns.pid, 'pid');
    using ours = Namespace.current('pid');
    using parent = child.parent();
    expect(parent.equals(ours)).toBe(true);
    const [hostPid, innerPid] = nspid(pidns.pid);
    expect(hostPid).toBe(pidns.pid);
    expect(innerPid).toBe(1);
    expect(child.pidFromPidns(1)).toBe(pidns.pid);
    expect(child.tgidFromPidns(1)).toBe(pidns.pid);
    expect(child.pidInPidns(pidns.pid)).toBe(1);
    expect(child.tgidInPidns(pidns.pid)).toBe(1);
    // our own pid is not visible inside the child namespace
    expect(() => child.pidInPidns(process.pid)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => child.pidFromPidns(424242)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  itRoot('a mount namespace: info matches its mountinfo; next/prev walk by id', () => {
    using mnt = Namespace.ofPid(mntns.pid, 'mnt');
    using ours = Namespace.current('mnt');
    expect(mnt.equals(ours)).toBe(false);
    const lines = readFileSync(`/proc/${mntns.pid}/mountinfo`, 'latin1').trim().split('\n').length;
    expect(mnt.mntInfo().nrMounts).toBe(lines);
    expect(mnt.mntnsId()).toBeGreaterThan(ours.mntnsId());
    using next = ours.mntNext();
    expect(next.type).toBe('mnt');
    expect(next.mntnsId()).toBeGreaterThan(ours.mntnsId());
    using back = next.mntPrev();
    expect(back.mntnsId()).toBeLessThan(next.mntnsId());
  });
});
