import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
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
import { native } from '../lib/native.js';
import { compileC } from './support/cc.js';
import { type Fixture, fixture, isRoot, itRoot, runNode } from './support/env.js';
import { foreignSocket, lsns, namedNetnsWithProcess, ownInodes } from './support/lsns.js';
import { netnsName, removeScratch, scratchDir } from './support/mounts.js';

/** Mounts a FUSE file system on argv[1] that never answers (not even FUSE_INIT) and keeps an fd on its root. */
const FUSE_SILENT = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char opts[128];
  int dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (argc != 2 || dev < 0) return 1;
  snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0", dev);
  if (mount("nsbind-test", argv[1], "fuse.nsbind-test", MS_NOSUID | MS_NODEV, opts) < 0) return 2;
  int root = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return 3;
  printf("ready %d\\n", root);
  fflush(stdout);
  pause();
  return 0;
}
`;

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

  it('the binding: what lsns reads of a process, the namespaces its fds hold; it checks its own arguments', () => {
    const links = NAMESPACE_TYPES.map((t) => Number(readlinkSync(`/proc/self/ns/${t}`).slice(t.length + 2, -1)));
    expect(native.processNamespaces(process.pid, false)).toEqual(links);
    using uts = Namespace.ofPid(userns.pid, 'uts'); // only an fd of ours holds it here
    const r = native.processNamespaces(process.pid, true) as number[];
    expect(r.slice(0, NAMESPACE_TYPES.length)).toEqual(links);
    const pairs = r.slice(NAMESPACE_TYPES.length);
    const at = pairs.findIndex((v, i) => i % 2 === 1 && v === uts.inode);
    expect(at).toBeGreaterThan(0);
    expect(fstatSync(pairs[at - 1]!).ino).toBe(uts.inode); // the fd it names is ours on that namespace
    expect(new Set(pairs.filter((_, i) => i % 2 === 1)).size).toBe(pairs.length / 2); // each namespace once
    const copy = native.heldNamespace(process.pid, pairs[at - 1]!);
    try {
      expect(fstatSync(copy).ino).toBe(uts.inode);
    } finally {
      native.close(copy);
    }
    expect(native.processNamespaces(2 ** 31 - 1, true)).toBe(-constants.errno.ENOENT); // no such process
    expect(native.heldNamespace(process.pid, 2 ** 31 - 1)).toBe(-constants.errno.EBADF); // no such fd
    const bad: [() => unknown, ErrorConstructor][] = [
      [() => (native.processNamespaces as (...a: unknown[]) => unknown)(), TypeError],
      [() => native.processNamespaces('1' as never, true), TypeError],
      [() => native.processNamespaces(process.pid, 1 as never), TypeError],
      [() => (native.processNamespaces as (...a: unknown[]) => unknown)(process.pid), TypeError],
      [() => native.processNamespaces(0, true), RangeError],
      [() => native.processNamespaces(2 ** 31, true), RangeError],
      [() => native.processNamespaces(Number.NaN, true), RangeError],
      [() => native.processNamespaces(1.5, true), RangeError],
      [() => (native.heldNamespace as (...a: unknown[]) => unknown)(process.pid), TypeError],
      [() => native.heldNamespace(process.pid, -1), RangeError],
      [() => native.heldNamespace(-1, 0), RangeError],
    ];
    for (const [call, type] of bad) expect(call).toThrow(type);
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
      expect(rows.get(ipc.inode)).toMatchObject({ nprocs: 2, pids: [forked.outer, forked.pid], pid: forked.outer });
      expect(rows.get(ipc.inode)!.ppid).toBe(process.pid);
      expect(rows.get(ipc.inode)!.command).toBe(
        'unshare --pid --fork --ipc --mount sh -c echo ready && exec sleep 1000',
      );
      using user = Namespace.ofPid(nobody.pid, 'user');
      expect(rows.get(user.inode)).toMatchObject({ uid: 65534, user: 'nobody' });
    });

    itRoot(
      'a namespace only a bind mount keeps: listed, persistent, its creator as user, with its owner (lsns 2.39)',
      async () => {
        const dir = scratchDir('list');
        const target = join(dir, 'net');
        const box = await fixture(['--user', '--map-root-user', '--net'], { asNobody: true });
        try {
          const [inode, id, owner] = (() => {
            using ns = Namespace.ofPid(box.pid, 'net');
            using user = ns.userNamespace();
            persist(ns, target);
            return [ns.inode, ns.id(), user.inode];
          })();
          await box.stop();
          const rows = listNamespaces();
          expect(rows.find((n) => n.inode === inode)).toMatchObject({
            type: 'net',
            persistent: true,
            nprocs: 0,
            pids: [],
            mounts: [target],
            uid: 65534,
            user: 'nobody',
            id,
            userNamespaceInode: owner,
          });
          expect(rows.find((n) => n.inode === inode)).toMatchObject({
            pid: undefined,
            ppid: undefined,
            command: undefined,
          });
          // the user namespace that owns it lives on through it, with no process: listed too, as lsns does
          expect(rows.find((n) => n.inode === owner)).toMatchObject({
            type: 'user',
            nprocs: 0,
            persistent: true,
            user: 'nobody',
          });
          expect(listNamespaces({ type: 'uts' }).some((n) => n.inode === inode)).toBe(false);
          expect(listNamespaces({ type: 'net' }).some((n) => n.inode === owner)).toBe(false); // -t net: no user rows
          expect(listNamespaces({ pid: process.pid }).some((n) => n.inode === inode)).toBe(false);
          release(target);
          const after = listNamespaces().map((n) => n.inode);
          expect(after).not.toContain(inode);
          expect(after).not.toContain(owner);
        } finally {
          await box.stop();
          removeScratch(dir);
        }
      },
    );

    itRoot(
      "a namespace only an open fd keeps (this process's handle): listed with its owner, gone once closed (lsns 2.41)",
      async () => {
        const box = await fixture(['--user', '--map-root-user', '--uts'], { asNobody: true });
        let inode: number;
        let owner: number;
        try {
          using uts = Namespace.ofPid(box.pid, 'uts');
          using user = uts.userNamespace();
          [inode, owner] = [uts.inode, user.inode];
          await box.stop();
          const rows = listNamespaces();
          expect(rows.find((n) => n.inode === inode)).toMatchObject({
            type: 'uts',
            nprocs: 0,
            persistent: true,
            mounts: [],
            user: 'nobody',
          });
          expect(rows.find((n) => n.inode === owner)).toMatchObject({ type: 'user', nprocs: 0, persistent: true });
          expect(listNamespaces({ type: 'user' }).find((n) => n.inode === owner)).toMatchObject({ nprocs: 0 }); // held too
        } finally {
          await box.stop();
        }
        const after = listNamespaces().map((n) => n.inode);
        expect(after).not.toContain(inode);
        expect(after).not.toContain(owner);
      },
    );

    itRoot('a network namespace only a socket keeps, in another process: listed (lsns 2.41, SIOCGSKNS)', async () => {
      const held = await foreignSocket();
      try {
        expect(readlinkSync(`/proc/${held.pid}/ns/net`)).not.toBe(`net:[${held.inode}]`); // not in it
        expect(listNamespaces({ type: 'net' }).find((n) => n.inode === held.inode)).toMatchObject({
          type: 'net',
          nprocs: 0,
          pid: undefined,
          command: undefined,
          user: 'root',
          persistent: true,
        });
        expect(listNamespaces({ type: 'uts' }).some((n) => n.inode === held.inode)).toBe(false);
      } finally {
        await held.stop();
      }
      expect(listNamespaces({ type: 'net' }).some((n) => n.inode === held.inode)).toBe(false);
    });

    itRoot('a bind mount of a namespace hidden under another mount (or being removed) is no error', () => {
      const name = netnsName();
      const dir = scratchDir('hidden');
      const [under, over] = [join(dir, 'ns'), join(dir, 'file')];
      writeFileSync(under, '');
      writeFileSync(over, 'not a namespace');
      execFileSync('ip', ['netns', 'add', name]);
      try {
        const inode = statSync(`/run/netns/${name}`).ino;
        execFileSync('mount', ['--bind', `/run/netns/${name}`, under]);
        execFileSync('ip', ['netns', 'delete', name]); // only the mount on `under` keeps it
        execFileSync('mount', ['--bind', over, under]); // mountinfo still lists the nsfs mount there
        expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(`net:[${inode}] ${under} `);
        const listed = listNamespaces();
        expect(listed.length).toBeGreaterThan(0);
        expect(listed.some((n) => n.mounts.includes(under) && n.inode !== inode)).toBe(false);
      } finally {
        spawnSync('ip', ['netns', 'delete', name]);
        removeScratch(dir);
      }
    });

    itRoot(
      'a file open on a FUSE server that never answers: the fd scan does not stat it (that would hang)',
      async () => {
        const dir = scratchDir('fuse');
        const holder = spawn(compileC('fuse-silent', FUSE_SILENT), [dir], { stdio: ['ignore', 'pipe', 'inherit'] });
        const exited = new Promise((resolve) => holder.once('exit', resolve));
        try {
          const fd = await new Promise<number>((resolve, reject) => {
            holder.stdout.once('data', (d: Buffer) => resolve(Number(/^ready (\d+)/.exec(String(d))?.[1])));
            holder.once('exit', (code) => reject(new Error(`the FUSE holder exited (${code})`)));
          });
          expect(readlinkSync(`/proc/${holder.pid}/fd/${fd}`)).toBe(dir); // stat of it would wait for the server
          const script = `const { listNamespaces } = require(process.env.NSBIND);
          console.log(JSON.stringify(listNamespaces().map((n) => n.inode)));`;
          const listed = JSON.parse(runNode(script, { seconds: 30 })) as number[];
          for (const type of NAMESPACE_TYPES) expect(listed).toContain(statSync(`/proc/${holder.pid}/ns/${type}`).ino);
        } finally {
          holder.kill('SIGKILL'); // its /dev/fuse fd closes: the connection is aborted
          await exited;
          removeScratch(dir);
        }
      },
    );

    itRoot(
      'as nobody: a bind-mounted network namespace with processes nobody cannot see is left out, as lsns leaves it out',
      async () => {
        const named = await namedNetnsWithProcess(netnsName());
        try {
          expect(listNamespaces({ type: 'net' }).find((n) => n.inode === named.inode)).toMatchObject({
            nprocs: 1,
            pid: named.pid,
            persistent: false,
          });
          const script = `console.log(JSON.stringify(require(process.env.NSBIND).listNamespaces({ type: 'net' }).map((n) => n.inode)))`;
          const asNobody: number[] = JSON.parse(runNode(script, { asNobody: true }));
          expect(asNobody.length).toBeGreaterThan(0);
          expect(asNobody).not.toContain(named.inode);
          expect(lsns(['-t', 'net'], { asNobody: true }).map((r) => r.ns)).not.toContain(named.inode);
        } finally {
          await named.stop();
        }
      },
    );
  });

  it('a user namespace no process is in but that owns listed ones: with `ancestors`, as lsns --tree=owner lists it', async () => {
    // the process leaves its first user namespace for a second one inside it
    const box = await fixture(['--user', '--map-root-user', 'unshare', '--user', '--map-root-user', '--net']);
    try {
      const [inner, outer] = (() => {
        using user = Namespace.ofPid(box.pid, 'user');
        using parent = user.parent(); // an fd of ours would keep it (and list it) too: closed before listing
        return [{ inode: user.inode }, { inode: parent.inode }];
      })();
      expect(listNamespaces().some((n) => n.inode === outer.inode)).toBe(false); // lsns without --tree: not there
      const rows = listNamespaces({ ancestors: true });
      expect(rows.find((n) => n.inode === outer.inode)).toMatchObject({ type: 'user', nprocs: 0, pids: [] });
      expect(rows.find((n) => n.inode === inner.inode)).toMatchObject({ parentInode: outer.inode, nprocs: 1 });
      expect(lsns(['--tree=owner']).find((r) => r.ns === outer.inode)).toMatchObject({ nprocs: 0, pid: null });
      expect(listNamespaces({ type: 'net', ancestors: true }).some((n) => n.inode === outer.inode)).toBe(false);
      expect(() => listNamespaces({ ancestors: 1 as never })).toThrow(TypeError);
    } finally {
      await box.stop();
    }
  });

  it("without the right to inspect every process: a namespace this process's fd alone keeps is left out", () => {
    // as nobody (directly in the unprivileged pass, in a child as root): processes it cannot see may be in it
    const script = `
      const { spawn } = require('node:child_process');
      const { listNamespaces, Namespace } = require(process.env.NSBIND);
      const box = spawn('unshare', ['--user', '--map-root-user', '--uts', 'sh', '-c', 'echo ready && exec sleep 1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
      box.stdout.once('data', () => {
        const ns = Namespace.ofPid(box.pid, 'uts');
        const seen = listNamespaces().some((n) => n.inode === ns.inode);
        box.kill('SIGKILL');
        box.once('exit', () => {
          console.log(JSON.stringify({ inode: ns.inode, seen, held: listNamespaces().some((n) => n.inode === ns.inode) }));
          ns.close();
        });
      });`;
    const r = JSON.parse(runNode(script, { asNobody: isRoot }));
    expect(r.seen).toBe(true); // while its process runs
    expect(r.held).toBe(false);
  });
});
