import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLONE_NEWNET,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  Namespace,
  type NamespaceType,
  Pidfd,
  setns,
} from '../lib/index.js';
import { type Fixture, fdCount, fixture, isRoot, itRoot, runNode, thrown } from './support/env.js';

const ino = (type: NamespaceType) => statSync(`/proc/thread-self/ns/${type}`).ino;

describe('setns (calling thread only)', () => {
  let box: Fixture; // util-linux: new net, uts, mnt, time namespaces
  let userBox: Fixture; // a user namespace made by nobody, owning net and uts
  const home = new Map<NamespaceType, Namespace>();
  beforeAll(async () => {
    for (const t of ['net', 'uts', 'user'] as const) home.set(t, Namespace.current(t));
    if (!isRoot) return;
    box = await fixture(['--net', '--uts', '--mount', '--time']);
    userBox = await fixture(['--user', '--map-root-user', '--net', '--uts'], { asNobody: true });
  });
  afterEach(() => {
    for (const t of ['net', 'uts'] as const) if (ino(t) !== home.get(t)!.inode) setns(home.get(t)!);
  });
  afterAll(async () => {
    for (const ns of home.values()) ns.close();
    await box?.stop();
    await userBox?.stop();
  });

  itRoot('joins by handle, by path and by fd, and back', () => {
    using net = Namespace.ofPid(box.pid, 'net');
    setns(net);
    expect(ino('net')).toBe(net.inode);
    setns(home.get('net')!);
    expect(ino('net')).toBe(home.get('net')!.inode);

    setns(`/proc/${box.pid}/ns/uts`, 'uts');
    expect(ino('uts')).toBe(statSync(`/proc/${box.pid}/ns/uts`).ino);
    setns(home.get('uts')!.fd, CLONE_NEWUTS);
    expect(ino('uts')).toBe(home.get('uts')!.inode);
  });

  itRoot('a pidfd with an OR-mask joins several namespaces at once', () => {
    using pidfd = Pidfd.open(box.pid);
    setns(pidfd, CLONE_NEWNET | CLONE_NEWUTS);
    expect(ino('net')).toBe(statSync(`/proc/${box.pid}/ns/net`).ino);
    expect(ino('uts')).toBe(statSync(`/proc/${box.pid}/ns/uts`).ino);
    setns(home.get('net')!);
    setns(home.get('uts')!);
    setns(pidfd.fd, ['net', 'uts']); // raw pidfd number and type names work too
    expect(ino('net')).toBe(statSync(`/proc/${box.pid}/ns/net`).ino);
  });

  itRoot('a pidfd join is all or nothing: a refused user namespace leaves net and uts alone', () => {
    using pidfd = Pidfd.open(userBox.pid);
    const err = thrown(() => setns(pidfd, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS));
    expect(err.code).toBe('EINVAL');
    expect(err.hint).toMatch(/multithreaded/);
    expect(ino('net')).toBe(home.get('net')!.inode);
    expect(ino('uts')).toBe(home.get('uts')!.inode);
  });

  itRoot('nstype mismatch is EINVAL from the kernel, with the path in the message', () => {
    const path = `/proc/${box.pid}/ns/net`;
    const err = thrown(() => setns(path, 'uts'));
    expect(err).toMatchObject({ code: 'EINVAL', syscall: 'setns', path });
    expect(err.message).toBe(`EINVAL: invalid argument, setns '${path}'`);
    expect(ino('net')).toBe(home.get('net')!.inode);
  });

  itRoot('user namespace: EINVAL with a hint that Node is multithreaded', () => {
    const err = thrown(() => setns(`/proc/${userBox.pid}/ns/user`));
    expect(err.code).toBe('EINVAL');
    expect(err.hint).toMatch(/multithreaded.*spawn/s);
    // a raw fd without nstype: the hint still knows it is a user namespace
    using user = Namespace.ofPid(userBox.pid, 'user');
    expect(thrown(() => setns(user.fd)).hint).toMatch(/user namespace/);
  });

  itRoot('mount namespace: EINVAL with a hint about shared filesystem state', () => {
    const err = thrown(() => setns(`/proc/${box.pid}/ns/mnt`, 'mnt'));
    expect(err.code).toBe('EINVAL');
    expect(err.hint).toMatch(/unshare\(CLONE_FS\)/);
  });

  itRoot('time namespace: EUSERS with a hint to use spawn', () => {
    const err = thrown(() => setns(`/proc/${box.pid}/ns/time`));
    expect(err).toMatchObject({ code: 'EUSERS', errno: -87 });
    expect(err.message).toBe(`EUSERS: too many users, setns '/proc/${box.pid}/ns/time'`);
    expect(err.hint).toMatch(/single-threaded.*spawn/s);
  });

  itRoot('pid namespace: only pid_for_children moves; children forked from this thread land inside', async () => {
    const pidBox = await fixture(['--pid', '--fork']);
    using ours = Namespace.current('pid');
    try {
      using target = Namespace.ofPid(pidBox.pid, 'pid');
      setns(target);
      expect(statSync('/proc/thread-self/ns/pid').ino).toBe(ours.inode); // the thread itself stays
      expect(statSync('/proc/thread-self/ns/pid_for_children').ino).toBe(target.inode);
      // child_process forks from this thread: the child is pid 2 inside (the fixture's shell is 1)
      const status = execFileSync('cat', ['/proc/self/status'], { encoding: 'utf8' });
      const nspid = status
        .split('\n')
        .find((l) => l.startsWith('NSpid:'))!
        .split(/\s+/)
        .slice(1);
      expect(nspid).toHaveLength(2);
      expect(Number(nspid[1])).toBeGreaterThan(1);
    } finally {
      setns(ours);
      await pidBox.stop();
    }
    expect(statSync('/proc/thread-self/ns/pid_for_children').ino).toBe(ours.inode);
  });

  it("unprivileged: EPERM joining even our own namespace; EACCES reading a root process's links", async () => {
    const root = isRoot ? await fixture(['--uts']) : undefined;
    try {
      const out = runNode(
        `const { setns, Namespace } = require(process.env.NSBIND);
        const out = [];
        try { setns('/proc/self/ns/net'); } catch (e) { out.push({ code: e.code, syscall: e.syscall, hint: e.hint }); }
        try { Namespace.ofPid(${root?.pid ?? 1}, 'uts'); } catch (e) { out.push({ code: e.code, syscall: e.syscall, hint: e.hint, path: e.path }); }
        console.log(JSON.stringify(out));`,
        { asNobody: isRoot },
      );
      const [perm, acces] = JSON.parse(out);
      expect(perm).toMatchObject({ code: 'EPERM', syscall: 'setns' });
      expect(perm.hint).toMatch(/CAP_SYS_ADMIN/);
      expect(acces).toMatchObject({ code: 'EACCES', syscall: 'open', path: `/proc/${root?.pid ?? 1}/ns/uts` });
      expect(acces.hint).toMatch(/ptrace/);
    } finally {
      await root?.stop();
    }
  });

  it('validates arguments before any syscall', () => {
    const before = fdCount();
    expect(() => setns(undefined as never)).toThrow(TypeError);
    expect(() => setns({} as never)).toThrow(TypeError);
    expect(() => setns(-1)).toThrow(RangeError);
    expect(() => setns(0.5)).toThrow(RangeError);
    expect(() => setns(Number.NaN)).toThrow(RangeError);
    expect(() => setns('')).toThrow(RangeError);
    expect(() => setns('/proc/self/ns/net\0')).toThrow(RangeError);
    expect(() => setns(home.get('net')!, 'network' as never)).toThrow(TypeError);
    expect(() => setns(home.get('net')!, 0x1)).toThrow(RangeError);
    expect(() => setns(home.get('net')!, -1)).toThrow(RangeError);
    using pidfd = Pidfd.open(process.pid);
    expect(() => setns(pidfd)).toThrow(/needs nstype/);
    expect(fdCount()).toBe(before + 1);
  });

  itRoot('keeps no fd over thousands of round trips and failures', () => {
    using net = Namespace.ofPid(box.pid, 'net');
    const before = fdCount();
    for (let i = 0; i < 5000; i++) {
      setns(net);
      setns(home.get('net')!);
      setns(`/proc/${box.pid}/ns/uts`);
      setns(home.get('uts')!);
      try {
        setns(`/proc/${box.pid}/ns/net`, 'uts');
      } catch {
        // EINVAL: the path's fd must be closed on this path too
      }
    }
    expect(fdCount()).toBe(before);
    expect(ino('net')).toBe(home.get('net')!.inode);
  });
});
