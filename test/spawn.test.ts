import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespace, type NamespaceType, spawn } from '../lib/index.js';
import { compileC } from './support/cc.js';
import {
  type Fixture,
  fdCount,
  fixture,
  isRoot,
  itRoot,
  NOBODY,
  nsLink,
  output,
  runNode,
  thrown,
  zombies,
} from './support/env.js';
import { runInjected } from './support/inject.js';

const sh = (script: string, options = {}) =>
  spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], ...options });

describe('spawn: new namespaces', () => {
  itRoot('uts: hostname and domain name inside, a different uts inode, the host untouched', async () => {
    const child = sh('hostname; domainname; readlink /proc/self/ns/uts', {
      namespaces: ['uts'],
      hostname: 'box',
      domainname: 'lan',
    });
    const out = await output(child);
    const [name, domain, link] = out.stdout.trim().split('\n');
    expect(out.code).toBe(0);
    expect(name).toBe('box');
    expect(domain).toBe('lan');
    expect(link).not.toBe(nsLink('/proc/self/ns/uts'));
    expect(hostname()).not.toBe('box');
  });

  itRoot('net: only lo', async () => {
    const dev = await output(sh('tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d " "', { namespaces: ['net'] }));
    expect(dev.stdout.trim().split('\n')).toEqual(['lo']);
  });

  itRoot('pid + mountProc: the child is pid 1 and sees a private /proc; the host /proc is untouched', async () => {
    const hostMounts = readFileSync('/proc/self/mountinfo', 'latin1');
    const out = await output(
      sh('echo $$; ls /proc | grep -c "^[0-9]"; grep " /proc " /proc/self/mountinfo | wc -l', {
        namespaces: ['pid'],
        mountProc: true,
      }),
    );
    const [pid, procs] = out.stdout.trim().split('\n').map(Number);
    expect(pid).toBe(1);
    expect(procs).toBeLessThanOrEqual(4); // sh, ls, grep (and wc)
    expect(readFileSync('/proc/self/mountinfo', 'latin1')).toBe(hostMounts);
  });

  itRoot("net + mountSys: /sys shows the new namespace's devices (only lo); the host /sys is untouched", async () => {
    const hostMounts = readFileSync('/proc/self/mountinfo', 'latin1');
    const out = await output(
      sh('ls /sys/class/net; grep -c " /sys " /proc/self/mountinfo', { namespaces: ['net'], mountSys: true }),
    );
    expect(out.stdout.trim().split('\n')).toEqual(['lo', '1']); // the old /sys detached, not covered
    expect(readFileSync('/proc/self/mountinfo', 'latin1')).toBe(hostMounts);
  });

  // Under a user namespace the copied /sys is locked: the new sysfs goes on top, read-only if that one is.
  const sysOnTop = `const { spawn } = require(process.env.NSBIND);
    spawn('/bin/sh', ['-c', 'ls /sys/class/net; awk \\'$5 == "/sys" { n++; o = $6 } END { print n, substr(o, 1, 2) }\\' /proc/self/mountinfo'],
      { namespaces: ['user', 'net'], mapRootUser: true, mountSys: true, stdio: ['ignore', 'inherit', 'inherit'] });`;

  it('unprivileged: mountSys over a locked /sys', () => {
    expect(runNode(sysOnTop, { asNobody: isRoot }).trim().split('\n')).toEqual(['lo', '2 rw']);
  });

  itRoot('mountSys over a locked read-only /sys: read-only too', () => {
    const readOnlySys = [
      'unshare',
      '--mount',
      'sh',
      '-c',
      'mount -o remount,bind,ro /sys && exec "$@"',
      'sh',
      ...NOBODY,
    ];
    expect(runNode(sysOnTop, { prefix: readOnlySys }).trim().split('\n')).toEqual(['lo', '2 ro']);
  });

  it('user: mapRootUser maps our own uid and gid to 0 and denies setgroups', async () => {
    const out = await output(
      sh('id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups', {
        namespaces: ['user'],
        mapRootUser: true,
      }),
    );
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).join(' '));
    const uid = process.geteuid!();
    const gid = process.getegid!();
    expect(lines).toEqual(['0', '0', `0 ${uid} 1`, `0 ${gid} 1`, 'deny']);
  });

  it('unprivileged: a user namespace with uts and net works for nobody (maps 65534 to 0)', () => {
    const script = `const { spawn } = require(process.env.NSBIND);
      const c = spawn('/bin/sh', ['-c', 'hostname; id -u; cat /proc/self/uid_map; tail -n +3 /proc/self/net/dev | cut -d: -f1'],
        { namespaces: ['user', 'uts', 'net'], mapRootUser: true, hostname: 'nobody-box', stdio: ['ignore', 'inherit', 'inherit'] });
      c.exited.then((s) => console.log(JSON.stringify(s)));`;
    const out = runNode(script, { asNobody: isRoot })
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).join(' '));
    expect(out).toEqual([
      'nobody-box',
      '0',
      `0 ${isRoot ? 65534 : process.geteuid!()} 1`,
      'lo',
      '{"code":0,"signal":null}',
    ]);
  });

  itRoot('user: uid and gid ranges written by root', async () => {
    const child = sh('cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; sleep 0', {
      namespaces: ['user'],
      uidMap: [{ inside: 0, outside: 100000, count: 65536 }],
      gidMap: [
        { inside: 0, outside: 200000, count: 1000 },
        { inside: 1000, outside: 300000, count: 1 },
      ],
    });
    const lines = (await output(child)).stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).join(' '));
    expect(lines).toEqual(['0 100000 65536', '0 200000 1000', '1000 300000 1', 'allow']);
  });

  itRoot('time: offsets are visible in /proc/uptime inside', async () => {
    const out = await output(
      sh('cat /proc/uptime; readlink /proc/self/ns/time', { timeOffsets: { boottime: 86400, monotonic: 3600 } }),
    );
    const [uptime, link] = out.stdout.trim().split('\n');
    const host = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    expect(Number(uptime!.split(' ')[0]) - host).toBeGreaterThan(86000);
    expect(link).not.toBe(nsLink('/proc/self/ns/time'));
  });

  itRoot('chroot: the child sees only the new root', async () => {
    const rootfs = mkdtempSync(join(tmpdir(), 'nsbind-root-'));
    try {
      const probe = compileC('lsroot', readFileSync(new URL('./fixtures/lsroot.c', import.meta.url), 'latin1'), [
        '-static',
      ]);
      copyFileSync(probe, join(rootfs, 'lsroot'));
      chmodSync(join(rootfs, 'lsroot'), 0o755);
      mkdirSync(join(rootfs, 'work'));
      const out = await output(
        spawn('/lsroot', [], { root: rootfs, cwd: '/work', namespaces: ['mnt'], stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      expect(out.stdout.trim().split('\n').sort()).toEqual(['cwd=/work', 'lsroot', 'work']);
    } finally {
      rmSync(rootfs, { recursive: true });
    }
  });
});

describe('spawn: joining namespaces of a running process', () => {
  let box: Fixture;
  let userBox: Fixture;
  let pidBox: Fixture;
  beforeAll(async () => {
    if (!isRoot) return;
    box = await fixture(['--net', '--uts', '--ipc', '--mount', '--time'], { setup: 'hostname joined-box' });
    userBox = await fixture(['--user', '--map-root-user', '--uts'], { asNobody: true });
    pidBox = await fixture(['--pid', '--fork']);
  });
  afterAll(async () => {
    await box?.stop();
    await userBox?.stop();
    await pidBox?.stop();
  });

  itRoot("net, uts, ipc, mnt and time by path and handle: the child's inodes equal the target's", async () => {
    const types: NamespaceType[] = ['net', 'uts', 'ipc', 'mnt', 'time'];
    using net = Namespace.ofPid(box.pid, 'net');
    const join = {
      net,
      uts: `/proc/${box.pid}/ns/uts`,
      ipc: `/proc/${box.pid}/ns/ipc`,
      mnt: `/proc/${box.pid}/ns/mnt`,
      time: `/proc/${box.pid}/ns/time`,
    };
    const out = await output(sh(`hostname; for t in ${types.join(' ')}; do readlink /proc/self/ns/$t; done`, { join }));
    const [name, ...links] = out.stdout.trim().split('\n');
    expect(name).toBe('joined-box');
    expect(links).toEqual(types.map((t) => nsLink(`/proc/${box.pid}/ns/${t}`)));
    expect(net.closed).toBe(false); // the caller's handle stays the caller's
  });

  itRoot('user (made by nobody): the child becomes root inside, in its uts namespace', async () => {
    const out = await output(
      sh('id -u; readlink /proc/self/ns/user; readlink /proc/self/ns/uts', {
        join: { user: `/proc/${userBox.pid}/ns/user`, uts: `/proc/${userBox.pid}/ns/uts` },
      }),
    );
    expect(out.stdout.trim().split('\n')).toEqual([
      '0',
      nsLink(`/proc/${userBox.pid}/ns/user`),
      nsLink(`/proc/${userBox.pid}/ns/uts`),
    ]);
  });

  itRoot(
    'user with keepCredentials: the child keeps its ids (root outside: unmapped there, the overflow id)',
    async () => {
      const out = await output(
        sh('id -u; id -g; readlink /proc/self/ns/user; grep ^Uid /proc/self/status', {
          join: { user: `/proc/${userBox.pid}/ns/user` },
          keepCredentials: true,
        }),
      );
      const [uid, gid, user, status] = out.stdout.trim().split('\n');
      expect([uid, gid, user]).toEqual(['65534', '65534', nsLink(`/proc/${userBox.pid}/ns/user`)]);
      expect(status).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/); // nothing set: uid 0 has no mapping there
    },
  );

  itRoot(
    "pid: the child starts inside (two NSpid levels); the calling thread's pid_for_children is restored",
    async () => {
      const before = statSync('/proc/thread-self/ns/pid_for_children').ino;
      const out = await output(
        sh('grep NSpid /proc/self/status; readlink /proc/self/ns/pid', { join: { pid: `/proc/${pidBox.pid}/ns/pid` } }),
      );
      const [nspid, link] = out.stdout.trim().split('\n');
      expect(nspid!.split(/\s+/).slice(1)).toHaveLength(2);
      expect(link).toBe(nsLink(`/proc/${pidBox.pid}/ns/pid`));
      expect(statSync('/proc/thread-self/ns/pid_for_children').ino).toBe(before);
    },
  );

  itRoot('pid + killOnParentDeath: the command runs (from the joined namespace getppid() is 0 all along)', async () => {
    const out = await output(sh('echo ran', { join: { pid: `/proc/${pidBox.pid}/ns/pid` }, killOnParentDeath: true }));
    expect(out).toMatchObject({ code: 0, stdout: 'ran\n' });
  });

  itRoot('targets the caller is already in are skipped (joining our own user namespace is fine)', async () => {
    const out = await output(
      sh('readlink /proc/self/ns/user', { join: { user: '/proc/self/ns/user', net: '/proc/thread-self/ns/net' } }),
    );
    expect(out.stdout.trim()).toBe(nsLink('/proc/self/ns/user'));
  });

  itRoot('a refused join fails with step setns:TYPE and leaves no child', () => {
    const before = zombies().length;
    // inside a new user namespace the child has no rights over the host-owned net namespace
    const err = thrown(() =>
      sh('true', { namespaces: ['user'], mapRootUser: true, join: { net: `/proc/${box.pid}/ns/net` } }),
    );
    expect(err).toMatchObject({ code: 'EPERM', step: 'setns:net', syscall: 'setns', path: `/proc/${box.pid}/ns/net` });
    expect(err.hint).toMatch(/a new user namespace owns no existing namespace/);
    expect(zombies().length).toBe(before);
  });
});

describe('spawn: setup failures are typed, synchronous, and leave nothing behind', () => {
  it('exec: ENOENT and EACCES', () => {
    const fds = fdCount();
    expect(thrown(() => spawn('/nonexistent/program'))).toMatchObject({
      code: 'ENOENT',
      step: 'exec',
      syscall: 'execve',
      path: '/nonexistent/program',
    });
    // looked up in PATH (a directory we may not search would make it EACCES, as execvp does)
    expect(thrown(() => spawn('nsbind-no-such-command', [], { env: { PATH: '/usr/bin:/bin' } }))).toMatchObject({
      code: 'ENOENT',
      step: 'exec',
    });
    const dir = mkdtempSync(join(tmpdir(), 'nsbind-exec-'));
    const plain = join(dir, 'not-executable');
    writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
    expect(thrown(() => spawn(plain))).toMatchObject({ code: 'EACCES', step: 'exec' });
    rmSync(dir, { recursive: true });
    expect(thrown(() => spawn('/tmp'))).toMatchObject({ code: 'EACCES', step: 'exec' });
    expect(thrown(() => spawn('/nonexistent/program')).message).toBe(
      "ENOENT: no such file or directory, execve '/nonexistent/program'",
    );
    expect(zombies()).toEqual([]);
    expect(fdCount()).toBe(fds);
  });

  it('chdir and setuid', () => {
    expect(thrown(() => spawn('/bin/true', [], { cwd: '/nonexistent' }))).toMatchObject({
      code: 'ENOENT',
      step: 'chdir',
      path: '/nonexistent',
    });
    // 4242 is not mapped in a mapRootUser namespace
    expect(thrown(() => spawn('/bin/true', [], { namespaces: ['user'], mapRootUser: true, uid: 4242 }))).toMatchObject({
      code: 'EINVAL',
      step: 'setuid',
    });
    expect(thrown(() => spawn('/bin/true', [], { namespaces: ['user'], mapRootUser: true, gid: 4242 }))).toMatchObject({
      code: 'EINVAL',
      step: 'setgid',
    });
    expect(zombies()).toEqual([]);
  });

  it('unprivileged: clone EPERM with a hint; uid_map EPERM for ids that are not ours', () => {
    const out = runNode(
      `const { spawn } = require(process.env.NSBIND);
      const r = [];
      for (const o of [{ namespaces: ['net'] }, { namespaces: ['user'], uidMap: [{ inside: 0, outside: 0, count: 1 }] }]) {
        try { spawn('/bin/true', [], o); r.push('spawned'); } catch (e) { r.push({ code: e.code, step: e.step, hint: e.hint }); }
      }
      console.log(JSON.stringify(r));`,
      { asNobody: isRoot },
    );
    const [clone, map] = JSON.parse(out);
    expect(clone).toMatchObject({ code: 'EPERM', step: 'clone' });
    expect(clone.hint).toMatch(/mapRootUser/);
    expect(map).toMatchObject({ code: 'EPERM', step: 'uid_map' });
    expect(map.hint).toMatch(/your own uid/);
  });

  it('unprivileged: mounting /proc or /sys without a pid or net namespace of our own: step mount:/proc, mount:/sys', () => {
    const out = runNode(
      `const { spawn } = require(process.env.NSBIND);
      for (const o of [{ mountProc: true }, { mountSys: true }]) {
        try { spawn('/bin/true', [], { namespaces: ['user'], mapRootUser: true, ...o }); console.log('{}'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, step: e.step, path: e.path, hint: e.hint })); }
      }`,
      { asNobody: isRoot },
    );
    const [proc, sys] = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(proc).toMatchObject({
      code: 'EPERM',
      step: 'mount:/proc',
      path: '/proc',
      hint: expect.stringMatching(/add 'pid'/),
    });
    expect(sys).toMatchObject({
      code: 'EPERM',
      step: 'mount:/sys',
      path: '/sys',
      hint: expect.stringMatching(/add 'net'/),
    });
  });

  itRoot('chroot, mount:/proc, mount:/sys, timens_offsets, sethostname, uid_map', async () => {
    expect(thrown(() => spawn('/bin/true', [], { root: '/nonexistent' }))).toMatchObject({
      code: 'ENOENT',
      step: 'chroot',
      path: '/nonexistent',
    });
    const empty = mkdtempSync(join(tmpdir(), 'nsbind-empty-'));
    try {
      expect(thrown(() => spawn('/bin/true', [], { root: empty, mountProc: true }))).toMatchObject({
        code: 'ENOENT',
        step: 'mount:/proc',
      });
      expect(thrown(() => spawn('/bin/true', [], { root: empty, mountSys: true }))).toMatchObject({
        code: 'ENOENT',
        step: 'mount:/sys',
        path: '/sys',
      });
    } finally {
      rmSync(empty, { recursive: true });
    }
    expect(thrown(() => spawn('/bin/true', [], { timeOffsets: { boottime: -1e9 } }))).toMatchObject({
      step: 'timens_offsets',
      path: '/proc/self/timens_offsets',
    });
    const userBox = await fixture(['--user', '--map-root-user'], { asNobody: true });
    try {
      // the new uts namespace belongs to our user namespace; after joining nobody's, the child has no rights over it
      expect(
        thrown(() =>
          spawn('/bin/true', [], {
            namespaces: ['uts'],
            hostname: 'x',
            join: { user: `/proc/${userBox.pid}/ns/user` },
          }),
        ),
      ).toMatchObject({ code: 'EPERM', step: 'sethostname' });
    } finally {
      await userBox.stop();
    }
    expect(
      thrown(() =>
        spawn('/bin/true', [], {
          namespaces: ['user'],
          uidMap: [
            { inside: 0, outside: 1000, count: 10 },
            { inside: 5, outside: 5000, count: 1 },
          ],
        }),
      ),
    ).toMatchObject({ code: 'EINVAL', step: 'uid_map' });
    expect(zombies()).toEqual([]);
  });
});

describe('spawn: ids, fds and every way the child can end before exec', () => {
  itRoot('uid and gid of 2^31 and more: the child runs as them (unsigned 32-bit all the way)', async () => {
    const out = await output(sh('id -u; id -g', { uid: 2 ** 31 + 7, gid: 2 ** 32 - 2 }));
    expect(out.stdout.trim().split('\n')).toEqual([String(2 ** 31 + 7), String(2 ** 32 - 2)]);
  });

  it('a uid or gid of 2^31 without a mapping fails (EINVAL), the child is not left as it was', () => {
    const options = { namespaces: ['user'] as NamespaceType[], mapRootUser: true };
    expect(thrown(() => spawn('/bin/true', [], { ...options, uid: 2 ** 31 }))).toMatchObject({
      code: 'EINVAL',
      step: 'setuid',
    });
    expect(thrown(() => spawn('/bin/true', [], { ...options, gid: 2 ** 31 }))).toMatchObject({
      code: 'EINVAL',
      step: 'setgid',
    });
    expect(zombies()).toEqual([]);
  });

  it("a stdio entry naming a closed fd: EBADF (step stdio) before the clone, never one of spawn's own fds", () => {
    const fds = fdCount();
    for (const first of ['inherit', 'ignore', 'pipe'] as const) {
      const closed = openSync('/dev/null', 'r'); // the lowest free fd, which spawn would make next
      closeSync(closed);
      const err = thrown(() => spawn('/bin/sleep', ['1'], { stdio: [first, 'inherit', 'inherit', closed] }));
      expect(err).toMatchObject({
        code: 'EBADF',
        step: 'stdio',
        syscall: 'fcntl',
        hint: `stdio entry 3 names fd ${closed}, which is not open in this process.`,
      });
    }
    expect(zombies()).toEqual([]);
    expect(fdCount()).toBe(fds);
  });

  it('killOnParentDeath: the child dies with the process that spawned it (also in a new or joined pid namespace)', async () => {
    const pidBox = isRoot ? await fixture(['--pid', '--fork']) : undefined;
    const options = [
      {},
      { namespaces: ['user', 'pid'], mapRootUser: true },
      ...(pidBox ? [{ join: { pid: `/proc/${pidBox.pid}/ns/pid` } }] : []),
    ];
    try {
      const script = `const { spawn } = require(process.env.NSBIND);
        const options = ${JSON.stringify(options)};
        console.log(JSON.stringify(options.map((o) => spawn('sleep', ['1000'], { ...o, killOnParentDeath: true, stdio: 'ignore' }).pid)));
        process.kill(process.pid, 'SIGKILL');`;
      let stdout = '';
      try {
        runNode(script);
      } catch (e) {
        stdout = (e as { stdout: string }).stdout; // it died of its SIGKILL
      }
      const pids: number[] = JSON.parse(stdout);
      expect(pids).toHaveLength(options.length);
      for (const pid of pids) execFileSync('tail', [`--pid=${pid}`, '-f', '/dev/null'], { timeout: 20_000 }); // gone
    } finally {
      await pidBox?.stop(); // only now: it ends its pid namespace, and every process there
    }
  });

  it('the go-ahead after the id maps never comes: the child reports step sync, it does not exit silently', () => {
    const script = `const { spawn } = require(process.env.NSBIND);
      try { spawn('/bin/true', [], { namespaces: ['user'], mapRootUser: true, stdio: 'ignore' }); console.log('{}'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, step: e.step, syscall: e.syscall })); }`;
    expect(JSON.parse(runInjected(script, 'sync-eof'))).toEqual({ code: 'EPIPE', step: 'sync', syscall: 'read' });
  });

  it('a join target that cannot be opened fails at its step (setns:TYPE)', () => {
    expect(thrown(() => spawn('/bin/true', [], { join: { net: '/nonexistent' } }))).toMatchObject({
      code: 'ENOENT',
      syscall: 'open',
      path: '/nonexistent',
      step: 'setns:net',
    });
  });

  it('unprivileged: uid and gid without privilege name CAP_SETUID and CAP_SETGID; a refused join names no new user namespace', async () => {
    const target = await fixture(['--user', '--map-root-user', '--net'], { asNobody: isRoot });
    try {
      const script = `const { spawn } = require(process.env.NSBIND);
        for (const o of [{ uid: 0 }, { gid: 0 }, { join: { net: '/proc/${target.pid}/ns/net' } }]) {
          try { spawn('/bin/true', [], o); console.log('{}'); }
          catch (e) { console.log(JSON.stringify({ code: e.code, step: e.step, hint: e.hint })); }
        }`;
      const [uid, gid, join] = runNode(script, { asNobody: isRoot })
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(uid).toMatchObject({ code: 'EPERM', step: 'setuid', hint: expect.stringMatching(/CAP_SETUID/) });
      expect(gid).toMatchObject({ code: 'EPERM', step: 'setgid', hint: expect.stringMatching(/CAP_SETGID/) });
      expect(join).toMatchObject({ code: 'EPERM', step: 'setns:net' });
      expect(join.hint).toMatch(/join its user namespace too \(options\.join\.user\)/);
      for (const e of [uid, gid, join]) expect(e.hint).not.toMatch(/CAP_SYS_ADMIN.*new user namespace: |mapRootUser/);
      expect(uid.hint).not.toMatch(/CAP_SYS_ADMIN/);
    } finally {
      await target.stop();
    }
  });

  it('a join fd numbered 128 (CLONE_NEWTIME) still gets the CLONE_VM clone; only a time join copies', async () => {
    const target = await fixture(['--user', '--map-root-user', '--net', '--time'], { asNobody: isRoot });
    try {
      const script = `const { Namespace, spawn } = require(process.env.NSBIND);
        const held = [];
        let net = Namespace.open('/proc/${target.pid}/ns/net');
        while (net.fd < 128) { held.push(net); net = Namespace.open('/proc/${target.pid}/ns/net'); }
        console.log('fd ' + net.fd);
        const user = '/proc/${target.pid}/ns/user';
        spawn('/bin/true', [], { join: { user, net }, stdio: 'ignore' });
        spawn('/bin/true', [], { join: { user, time: '/proc/${target.pid}/ns/time' }, stdio: 'ignore' });`;
      const [fd, vm, copy] = runInjected(script, 'clone').trim().split('\n');
      const CLONE_VM = 0x100;
      expect(fd).toBe('fd 128');
      expect(Number.parseInt(vm!.split(' ')[1]!, 16) & CLONE_VM).toBe(CLONE_VM);
      expect(Number.parseInt(copy!.split(' ')[1]!, 16) & CLONE_VM).toBe(0);
    } finally {
      await target.stop();
    }
  });

  it('an executable file without #! runs under /bin/sh, as child_process and unshare(1) run it (also through PATH)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsbind-script-'));
    try {
      const script = join(dir, 'no-shebang');
      writeFileSync(script, 'printf "%s|" "$0" "$@"; echo\n', { mode: 0o755 });
      const ours = async (file: string, env?: Record<string, string>) =>
        (await output(spawn(file, ['a b', 'c'], { env, stdio: ['ignore', 'pipe', 'pipe'] }))).stdout;
      const node = (file: string, env?: Record<string, string>) =>
        spawnSync(file, ['a b', 'c'], { env, encoding: 'utf8' }).stdout;
      const unshare = (file: string, env?: Record<string, string>) =>
        execFileSync('unshare', ['--user', file, 'a b', 'c'], { env: { ...process.env, ...env }, encoding: 'utf8' });
      expect(await ours(script)).toBe(`${script}|a b|c|\n`);
      expect(await ours(script)).toBe(node(script));
      expect(await ours(script)).toBe(unshare(script));
      const path = { PATH: `${dir}:/usr/bin:/bin` };
      expect(await ours('no-shebang', path)).toBe(`${script}|a b|c|\n`);
      expect(await ours('no-shebang', path)).toBe(node('no-shebang', path));
      expect(await ours('no-shebang', path)).toBe(unshare('no-shebang', path));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
