import { execFileSync, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES, Namespace } from '../../lib/index.js';
import { CLI, nsbind, oneLineError } from '../support/cli.js';
import { type Fixture, fixture, itRoot } from '../support/env.js';
import { removeScratch, scratchDir } from '../support/mounts.js';

function info(args: string[]) {
  const r = nsbind(['info', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('nsbind info', () => {
  let box: Fixture;
  beforeAll(async () => {
    box = await fixture(['--user', '--map-root-user', '--net']);
  });
  afterAll(async () => {
    await box?.stop();
  });

  it('PATH --json: type, inode, id, owning user namespace and its creator, parent', () => {
    using net = Namespace.ofPid(box.pid, 'net');
    using user = Namespace.ofPid(box.pid, 'user');
    using ourUser = Namespace.current('user');
    const path = `/proc/${box.pid}/ns/net`;
    expect(JSON.parse(info([path, '--json']))).toEqual({
      path,
      type: 'net',
      ns: net.inode,
      id: Number(net.id()),
      ons: user.inode,
      owner_uid: user.ownerUid(),
      owner_user: expect.any(String),
      pns: null,
      mounts: [],
      nr_mounts: null,
      mnt_ns_id: null,
    });
    const u = JSON.parse(info([`/proc/${box.pid}/ns/user`, '--json']));
    expect(u).toMatchObject({
      type: 'user',
      ns: user.inode,
      pns: ourUser.inode,
      ons: ourUser.inode,
      owner_uid: process.geteuid!(),
    });
  });

  it('a mount namespace: its mount count and id', () => {
    using mnt = Namespace.current('mnt');
    const out = JSON.parse(info(['/proc/self/ns/mnt', '--json']));
    expect(out.nr_mounts).toBe(mnt.mntInfo().nrMounts);
    expect(out.mnt_ns_id).toBe(Number(mnt.mntnsId()));
  });

  it('PATH as text: one labelled line per known fact', () => {
    using net = Namespace.ofPid(box.pid, 'net');
    const text = info([`/proc/${box.pid}/ns/net`]);
    expect(text).toMatch(new RegExp(`^inode +${net.inode}$`, 'm'));
    expect(text).toMatch(/^type +net$/m);
    expect(text).not.toMatch(/parent ns/); // none for a network namespace
  });

  it('PID: every namespace of the process, matching /proc/PID/ns', () => {
    const out = JSON.parse(info([String(box.pid), '--json']));
    expect(out.pid).toBe(box.pid);
    const byPath = new Map(out.namespaces.map((n: { path: string; type: string; ns: number }) => [n.path, n]));
    for (const type of NAMESPACE_TYPES) {
      expect(byPath.get(`/proc/${box.pid}/ns/${type}`)).toMatchObject({
        type,
        ns: Number(readlinkSync(`/proc/${box.pid}/ns/${type}`).slice(type.length + 2, -1)),
      });
    }
    const table = info([String(box.pid)])
      .trimEnd()
      .split('\n');
    expect(table[0]).toMatch(/^TYPE +NS +ID +ONS OWNER +PNS PATH$/);
    expect(table.length).toBeGreaterThanOrEqual(1 + NAMESPACE_TYPES.length);
  });

  it('bad input: one line each, exit non-zero', () => {
    expect(oneLineError(nsbind(['info', '/etc/hostname']))).toBe(
      "nsbind info: EINVAL: invalid argument, open '/etc/hostname' — this file is not a namespace file (nsfs), like /proc/PID/ns/net or a bind mount of one.",
    );
    expect(oneLineError(nsbind(['info', '/nonexistent']))).toBe(
      "nsbind info: ENOENT: no such file or directory, open '/nonexistent'",
    );
    expect(oneLineError(nsbind(['info', '2147483647']))).toMatch(
      /^nsbind info: ENOENT: no such file or directory, open '\/proc\/2147483647\/ns\/cgroup'/,
    );
    expect(oneLineError(nsbind(['info', '0']))).toBe("nsbind info: invalid PID '0'");
    expect(oneLineError(nsbind(['info', 'a', 'b']))).toBe("nsbind info: unexpected argument 'b'");
  });

  it('a FIFO: EINVAL in one line, at once (the open does not wait for a writer)', () => {
    const dir = scratchDir('info-fifo');
    try {
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      const r = spawnSync(process.execPath, [CLI, 'info', join(dir, 'fifo')], { encoding: 'utf8', timeout: 10_000 });
      expect(r.signal).toBe(null); // not killed by the timeout
      expect(oneLineError({ status: r.status, stdout: r.stdout, stderr: r.stderr })).toMatch(
        /^nsbind info: EINVAL: invalid argument, open '.*\/fifo' — this file is not a namespace file/,
      );
    } finally {
      removeScratch(dir);
    }
  });

  itRoot('a process it may not inspect: EACCES in one line (PID 1 here)', (ctx) => {
    try {
      readlinkSync('/proc/1/ns/net');
      ctx.skip('PID 1 is readable on this machine');
    } catch {
      // unreadable, as expected here
    }
    expect(oneLineError(nsbind(['info', '1']))).toMatch(
      /^nsbind info: EACCES: permission denied, open '\/proc\/1\/ns\/cgroup'/,
    );
  });
});
