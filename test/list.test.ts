import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listNamespaces,
  NAMESPACE_TYPES,
  Namespace,
  NamespaceError,
  type NamespaceInfo,
  persist,
  release,
} from '../lib/index.js';
import { type Fixture, fixture, isRoot, itRoot } from './support/env.js';
import { lsns, ownInodes } from './support/lsns.js';
import { removeScratch, scratchDir } from './support/mounts.js';

// lsns's columns for what listNamespaces reports under other names
const COLUMNS = 'NS,TYPE,NPROCS,PID,USER,COMMAND,PPID,UID,PNS,ONS';

function asLsns(n: NamespaceInfo) {
  return {
    ns: n.inode,
    type: n.type,
    nprocs: n.nprocs,
    pid: n.pid,
    user: n.user,
    command: n.command,
    ppid: n.ppid,
    uid: n.uid,
    pns: n.parentInode ?? 0,
    ons: n.userNamespaceInode ?? 0,
  };
}

/** listNamespaces and lsns agree on every namespace of `pids` that this process is not in. */
function expectSameAsLsns(...pids: number[]) {
  const inodes = ownInodes(...pids);
  expect(inodes.length).toBeGreaterThan(0);
  const theirs = lsns(['-o', COLUMNS]).filter((r) => inodes.includes(r.ns));
  const ours = listNamespaces()
    .filter((n) => inodes.includes(n.inode))
    .map(asLsns);
  expect(ours).toEqual(theirs);
  expect(ours.map((r) => r.ns)).toEqual(inodes);
}

describe('listNamespaces', () => {
  let userns: Fixture;
  beforeAll(async () => {
    userns = await fixture(['--user', '--map-root-user', '--net', '--uts', '--ipc']);
  });
  afterAll(async () => {
    await userns?.stop();
  });

  it('matches lsns on a util-linux fixture: inode, type, nprocs, pid, user, command, ppid, uid, parent, owner', () => {
    expectSameAsLsns(userns.pid);
    const rows = listNamespaces().filter((n) => ownInodes(userns.pid).includes(n.inode));
    expect(rows.map((r) => r.type).sort()).toEqual(['ipc', 'net', 'user', 'uts']);
    expect(rows.every((r) => r.command === 'sleep 1000' && r.nprocs === 1 && r.pid === userns.pid)).toBe(true);
  });

  it('ids and relations come from the nsfs ioctls', () => {
    const byType = new Map(listNamespaces({ pid: userns.pid }).map((n) => [n.type, n]));
    using ourUser = Namespace.current('user');
    for (const type of NAMESPACE_TYPES) {
      using ns = Namespace.ofPid(userns.pid, type);
      expect(byType.get(type)).toMatchObject({ inode: ns.inode, id: ns.id(), persistent: false, mounts: [] });
    }
    const user = byType.get('user')!;
    expect(user.parentInode).toBe(ourUser.inode);
    for (const type of ['net', 'uts', 'ipc'] as const) expect(byType.get(type)!.userNamespaceInode).toBe(user.inode);
    expect(byType.get('net')!.parentInode).toBeUndefined(); // only pid and user namespaces have one
  });

  it('filters by process and by type', () => {
    const mine = listNamespaces({ pid: process.pid });
    expect(mine.map((n) => n.type).sort()).toEqual([...NAMESPACE_TYPES].sort());
    for (const n of mine)
      expect(n.inode).toBe(Number(readlinkSync(`/proc/self/ns/${n.type}`).slice(n.type.length + 2, -1)));
    for (const n of mine) expect(n.pid).toBeLessThanOrEqual(process.pid);

    expect(new Set(listNamespaces({ type: 'net' }).map((n) => n.type))).toEqual(new Set(['net']));
    expect(new Set(listNamespaces({ type: ['uts', 'ipc'] }).map((n) => n.type))).toEqual(new Set(['uts', 'ipc']));
    const inodes = listNamespaces().map((n) => n.inode);
    expect(inodes).toEqual([...inodes].sort((a, b) => a - b)); // lsns's order
  });

  it('skips processes whose links it may not read (EACCES), as lsns does', () => {
    const unreadable = new Set<number>();
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        readlinkSync(`/proc/${name}/ns/net`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EACCES') unreadable.add(Number(name));
      }
    }
    const rows = listNamespaces();
    expect(rows.some((n) => n.pid !== undefined && unreadable.has(n.pid))).toBe(false);
    if (isRoot && unreadable.has(1)) expect(lsns().some((r) => r.pid === 1)).toBe(false); // PID 1 here, for lsns too
  });

  it('processes that exit during the scan are no error', async () => {
    const churn = spawn('sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => churn.once('exit', resolve));
    try {
      using net = Namespace.current('net');
      for (let i = 0; i < 30; i++)
        expect(listNamespaces({ type: 'net' }).some((n) => n.inode === net.inode)).toBe(true);
    } finally {
      churn.kill('SIGKILL');
      await exited;
    }
  });

  it('validates its options', () => {
    expect(() => listNamespaces({ type: 'network' as never })).toThrow(TypeError);
    expect(() => listNamespaces({ type: ['net', 'x'] as never })).toThrow(TypeError);
    expect(() => listNamespaces({ pid: 0 })).toThrow(RangeError);
    expect(() => listNamespaces({ pid: '1' as never })).toThrow(TypeError);
    expect(() => listNamespaces(null as never)).toThrow(TypeError);
    try {
      listNamespaces({ pid: 0x7fffffff });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NamespaceError);
      expect((e as NamespaceError).code).toBe('ENOENT');
    }
  });

  describe('as root', () => {
    let forked: Fixture;
    let nobody: Fixture;
    beforeAll(async () => {
      if (!isRoot) return;
      forked = await fixture(['--pid', '--fork', '--ipc', '--mount']);
      nobody = await fixture(['--user', '--map-root-user', '--uts'], { asNobody: true });
    });
    afterAll(async () => {
      await forked?.stop();
      await nobody?.stop();
    });

    itRoot('matches lsns: two processes in one namespace, a forked pid namespace, a namespace owned by nobody', () => {
      expectSameAsLsns(forked.pid, forked.outer, nobody.pid);
      const rows = new Map(listNamespaces().map((n) => [n.inode, n]));
      using ipc = Namespace.ofPid(forked.pid, 'ipc');
      expect(rows.get(ipc.inode)).toMatchObject({ nprocs: 2, pid: forked.outer, ppid: process.pid });
      expect(rows.get(ipc.inode)!.command).toBe(
        'unshare --pid --fork --ipc --mount sh -c echo ready && exec sleep 1000',
      );
      using user = Namespace.ofPid(nobody.pid, 'user');
      expect(rows.get(user.inode)).toMatchObject({ uid: 65534, user: 'nobody' });
    });

    itRoot('a namespace only a bind mount keeps: listed, marked persistent, its creator as user', async () => {
      const dir = scratchDir('list');
      const target = join(dir, 'net');
      const box = await fixture(['--user', '--map-root-user', '--net'], { asNobody: true });
      let inode: number;
      try {
        using ns = Namespace.ofPid(box.pid, 'net');
        inode = ns.inode;
        persist(ns, target);
        await box.stop();
        const row = listNamespaces({ type: 'net' }).find((n) => n.inode === inode);
        expect(row).toMatchObject({
          persistent: true,
          nprocs: 0,
          mounts: [target],
          uid: 65534,
          user: 'nobody',
          id: ns.id(),
        });
        expect(row).toMatchObject({ pid: undefined, ppid: undefined, command: undefined });
        expect(listNamespaces({ type: 'uts' }).some((n) => n.inode === inode)).toBe(false);
        expect(listNamespaces({ pid: process.pid }).some((n) => n.inode === inode)).toBe(false);
        release(target);
        expect(listNamespaces({ type: 'net' }).some((n) => n.inode === inode)).toBe(false);
      } finally {
        await box.stop();
        removeScratch(dir);
      }
    });
  });
});
