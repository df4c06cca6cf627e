import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeNamespace, Namespace, spawn } from '../lib/index.js';
import { fdCount, runNode } from './support/env.js';

const inode = (path: string) => statSync(path).ino;
const euid = process.geteuid!();

describe('describeNamespace', () => {
  it("this thread's net namespace: inode, id, the initial user namespace as owner (created by root), no parent", () => {
    const before = fdCount();
    using net = Namespace.current('net');
    expect(describeNamespace(net)).toEqual({
      type: 'net',
      inode: inode('/proc/thread-self/ns/net'),
      id: net.id(),
      parentInode: undefined, // only pid and user namespaces have one
      userNamespaceInode: inode('/proc/thread-self/ns/user'),
      ownerUid: 0,
      mount: undefined,
    });
    net.close();
    expect(fdCount()).toBe(before); // the owner's handle it opened is closed again
  });

  it('the initial user and pid namespaces: no parent visible (EPERM is no answer)', () => {
    using user = Namespace.current('user');
    using pid = Namespace.current('pid');
    expect(describeNamespace(user)).toMatchObject({ type: 'user', parentInode: undefined, ownerUid: 0 });
    expect(describeNamespace(pid)).toMatchObject({ type: 'pid', parentInode: undefined });
  });

  it("a mount namespace: NS_MNT_GET_INFO counts its mountinfo lines; its id is NS_GET_MNTNS_ID's", () => {
    using mnt = Namespace.current('mnt');
    const d = describeNamespace(mnt);
    expect(d.mount?.nrMounts).toBe(readFileSync('/proc/thread-self/mountinfo', 'latin1').trim().split('\n').length);
    expect(d.mount?.mntNsId).toBe(mnt.mntnsId());
    expect(d.id).toBe(mnt.mntnsId());
  });

  it("a child's new user, pid and net namespaces: parents, owner and creator (our uid)", async () => {
    const child = spawn('sleep', ['1000'], { namespaces: ['user', 'pid', 'net'], mapRootUser: true, stdio: 'ignore' });
    try {
      using user = child.namespace('user');
      using pid = child.namespace('pid');
      using net = child.namespace('net');
      expect(user.inode).not.toBe(inode('/proc/thread-self/ns/user'));
      expect(describeNamespace(user)).toMatchObject({
        type: 'user',
        inode: inode(`/proc/${child.pid}/ns/user`),
        parentInode: inode('/proc/thread-self/ns/user'),
        userNamespaceInode: inode('/proc/thread-self/ns/user'), // a user namespace is owned by its parent
        ownerUid: euid, // its creator
      });
      expect(describeNamespace(pid)).toMatchObject({
        inode: inode(`/proc/${child.pid}/ns/pid`),
        parentInode: inode('/proc/thread-self/ns/pid'),
        userNamespaceInode: user.inode,
        ownerUid: euid,
      });
      expect(describeNamespace(net)).toMatchObject({
        inode: inode(`/proc/${child.pid}/ns/net`),
        parentInode: undefined,
        userNamespaceInode: user.inode,
        ownerUid: euid,
      });
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
  });

  it('inside a user namespace of its own: the owner outside is no answer (EPERM from NS_GET_USERNS)', () => {
    // node runs in a new user namespace (unshare -r); its net namespace is still the host's, owned outside
    const out = runNode(
      `const { describeNamespace, Namespace } = require(process.env.NSBIND);
      const d = describeNamespace(Namespace.current('net'));
      console.log(JSON.stringify([d.type, d.userNamespaceInode ?? null, d.ownerUid ?? null, typeof d.id]));`,
      { prefix: ['unshare', '--map-root-user'] },
    );
    expect(JSON.parse(out)).toEqual(['net', null, null, 'bigint']);
  });

  it('errors other than "no answer" are thrown: a closed handle is EBADF', () => {
    const ns = Namespace.current('uts');
    ns.close();
    expect(() => describeNamespace(ns)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
