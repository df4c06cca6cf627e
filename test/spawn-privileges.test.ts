// spawn's privilege options: each compared with bubblewrap or util-linux
// (setpriv, prlimit) doing the same, side by side in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type SpawnOptions, spawn } from '../lib/index.js';
import { compileC } from './support/cc.js';
import { AS_INSTALLED, isRoot, itRoot, output, runNode, thrown } from './support/env.js';

const uid = process.geteuid!();
const gid = process.getegid!();
const scratch = mkdtempSync(join(tmpdir(), 'nsbind-privs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A shell script's output and exit status under nsbind. */
async function sh(script: string, options: SpawnOptions = {}) {
  return output(spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], ...options }));
}

/** The same under another tool (bwrap, setpriv, prlimit): its stdout, stderr and status. */
function tool(argv: string[], script: string, fds: number[] = []) {
  const r = spawnSync(argv[0]!, [...argv.slice(1), '/bin/sh', '-c', script], {
    encoding: 'utf8',
    env: AS_INSTALLED, // tools as installed, as the programs nsbind starts with env: AS_INSTALLED
    stdio: ['ignore', 'pipe', 'pipe', ...fds],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STATUS = 'grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status';
const CAPS = 'grep ^Cap /proc/self/status';
const BWRAP = ['bwrap', '--dev-bind', '/', '/'];
/** One uid and gid mapped as `inside`, as bwrap --unshare-user --uid/--gid map them. */
const mapAs = (inside: number): SpawnOptions => ({
  namespaces: ['user'],
  uidMap: [{ inside, outside: uid, count: 1 }],
  gidMap: [{ inside, outside: gid, count: 1 }],
});

describe('spawn: noNewPrivileges', () => {
  it('sets NoNewPrivs in the child only, as setpriv --no-new-privs does', async () => {
    const ours = await sh(STATUS, { noNewPrivileges: true });
    const theirs = tool(['setpriv', '--no-new-privs'], STATUS);
    expect(ours.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(ours.stdout).toBe(theirs.stdout);
    expect((await sh(STATUS)).stdout).toMatch(/^NoNewPrivs:\s+0$/m);
    expect(readFileSync('/proc/self/status', 'latin1')).toMatch(/^NoNewPrivs:\s+0$/m);
  });

  itRoot('a set-user-ID-root program run by uid 65534 stays 65534 with it, becomes 0 without', async () => {
    const euid = compileC(
      'euid',
      '#include <stdio.h>\n#include <unistd.h>\nint main(void){printf("%d\\n",(int)geteuid());return 0;}',
    );
    const setuid = join(scratch, 'euid');
    copyFileSync(euid, setuid);
    chownSync(setuid, 0, 0);
    chmodSync(setuid, 0o4755);
    chmodSync(scratch, 0o755);
    const run = async (options: SpawnOptions) =>
      (await output(spawn(setuid, [], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'], ...options })))
        .stdout;
    expect(await run({})).toBe('0\n');
    expect(await run({ noNewPrivileges: true })).toBe('65534\n');
    expect(tool(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs'], setuid).stdout).toBe(
      '65534\n',
    );
  });
});

describe('spawn: capabilities', () => {
  it('keeps exactly those named in all five sets, as bwrap --cap-drop ALL --cap-add (root in a new user namespace)', async () => {
    const ours = await sh(CAPS, { ...mapAs(0), capabilities: ['CAP_NET_ADMIN', 'sys_chroot'] });
    const theirs = tool(
      [
        ...BWRAP,
        '--unshare-user',
        '--uid',
        '0',
        '--gid',
        '0',
        '--cap-drop',
        'ALL',
        '--cap-add',
        'CAP_NET_ADMIN',
        '--cap-add',
        'CAP_SYS_CHROOT',
      ],
      CAPS,
    );
    expect(ours.stdout).toBe(theirs.stdout);
    const sets = ours.stdout.match(/^Cap\w+:\s+(\w+)$/gm)!;
    expect(sets).toHaveLength(5);
    for (const line of sets) expect(line).toMatch(/0000000000041000$/); // bits 12 and 18
  });

  it('keeps them across a non-zero uid (ambient), as bwrap --uid 65534 --cap-add', async () => {
    const ours = await sh(`${CAPS}; id -u`, { ...mapAs(65534), capabilities: ['net_admin'] });
    const theirs = tool(
      [
        ...BWRAP,
        '--unshare-user',
        '--uid',
        '65534',
        '--gid',
        '65534',
        '--cap-drop',
        'ALL',
        '--cap-add',
        'CAP_NET_ADMIN',
      ],
      `${CAPS}; id -u`,
    );
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toMatch(/^CapAmb:\s+0000000000001000$/m);
    expect(ours.stdout).toMatch(/^65534$/m);
  });

  it('[] drops all, as bwrap --cap-drop ALL; without the option root in the user namespace keeps everything', async () => {
    const ours = await sh(CAPS, { ...mapAs(0), capabilities: [] });
    const theirs = tool([...BWRAP, '--unshare-user', '--uid', '0', '--gid', '0', '--cap-drop', 'ALL'], CAPS);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toMatch(/^CapBnd:\s+0{16}$/m);
    const all = (await sh(CAPS, mapAs(0))).stdout;
    expect(all).toMatch(/^CapEff:\s+0*1f+$/m);
  });

  itRoot('as root, setuid to 65534 keeps them (PR_SET_KEEPCAPS and ambient), as setpriv does', async () => {
    const ours = await sh(`${CAPS}; id -u`, { uid: 65534, gid: 65534, capabilities: ['CAP_NET_ADMIN'] });
    const theirs = tool(
      [
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--inh-caps=-all,+net_admin',
        '--ambient-caps=-all,+net_admin',
        '--bounding-set=-all,+net_admin',
      ],
      `${CAPS}; id -u`,
    );
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toMatch(/^CapPrm:\s+0000000000001000$/m);
  });

  it('names its step: an unprivileged bounding-set drop needs CAP_SETPCAP; an unknown name is a RangeError', async () => {
    if (!isRoot) {
      const e = thrown(() => spawn('/bin/true', [], { capabilities: [] }));
      expect(e).toMatchObject({ code: 'EPERM', step: 'capabilities', syscall: 'prctl' });
      expect(e.hint).toMatch(/CAP_SETPCAP.*mapRootUser: true/);
    }
    expect(() => spawn('/bin/true', [], { capabilities: ['CAP_FLY'] })).toThrow(RangeError);
    expect(() => spawn('/bin/true', [], { capabilities: [12 as unknown as string] })).toThrow(TypeError);
  });
});

/** A classic BPF filter that answers EPERM to uname and mkdir(at): built here by hand. */
function blockUnameMkdir(): Buffer {
  const arch = { x64: [0xc000003e, [63, 83, 258]], arm64: [0xc00000b7, [160, 34]] } as const;
  const [audit, nrs] = arch[process.arch as keyof typeof arch];
  const insn: [number, number, number, number][] = [
    [0x20, 0, 0, 4], // ld [4]: arch
    [0x15, 1, 0, audit], // jeq arch → the syscall check
    [0x06, 0, 0, 0x7fff0000], // ret ALLOW (another arch)
    [0x20, 0, 0, 0], // ld [0]: nr
    ...nrs.map((nr, i): [number, number, number, number] => [0x15, nrs.length - i, 0, nr]),
    [0x06, 0, 0, 0x7fff0000], // ret ALLOW
    [0x06, 0, 0, 0x00050000 | 1], // ret ERRNO(EPERM)
  ];
  const b = Buffer.alloc(insn.length * 8);
  insn.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b.writeUInt8(jt, i * 8 + 2);
    b.writeUInt8(jf, i * 8 + 3);
    b.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return b;
}

/** The same rules exported by libseccomp (seccomp_export_bpf), an independent construction. */
function libseccompFilter(): Buffer {
  const exe = compileC(
    'export-bpf',
    `#include <errno.h>
#include <seccomp.h>
#include <unistd.h>
int main(void) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return 1;
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(uname), 0) < 0) return 2;
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mkdirat), 0) < 0) return 2;
  if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mkdir), 0) < 0) return 2;
  return seccomp_export_bpf(ctx, STDOUT_FILENO) < 0 ? 3 : 0;
}
`,
    ['-lseccomp'],
  );
  return execFileSync(exe);
}

describe('spawn: seccomp', () => {
  const probe = (dir: string) => `uname; echo "uname $?"; mkdir ${dir}/made; echo "mkdir $?"; ${STATUS}`;

  it('a filter built here blocks uname and mkdir with EPERM, as bwrap --seccomp FD with the same program', async () => {
    const filter = blockUnameMkdir();
    const file = join(scratch, 'filter.bpf');
    const dir = mkdtempSync(join(scratch, 'seccomp-'));
    chmodSync(scratch, 0o755);
    writeFileSync(file, filter);
    const ours = await sh(probe(dir), { noNewPrivileges: true, seccomp: filter });
    const fd = openSync(file, 'r');
    let theirs: ReturnType<typeof tool>;
    try {
      theirs = tool([...BWRAP, '--seccomp', '3'], probe(dir), [fd]);
    } finally {
      closeSync(fd);
    }
    expect(ours.stdout).toMatch(/^uname 1$/m);
    expect(ours.stdout).toMatch(/^mkdir 1$/m);
    expect(ours.stderr).toMatch(/uname: .*Operation not permitted/);
    expect(ours.stderr).toMatch(/mkdir: .*Operation not permitted/);
    expect(ours.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(ours.stdout).toMatch(/^Seccomp_filters:\s+1$/m);
    // bwrap keeps capabilities as root and always sets no_new_privs: compare what the filter decides
    const decided = (s: string) => s.split('\n').filter((l) => /^(uname|mkdir) |^Seccomp/.test(l));
    expect(decided(ours.stdout)).toEqual(decided(theirs.stdout));
    expect(ours.stderr).toBe(theirs.stderr);
    // without the filter both work
    expect((await sh(`uname >/dev/null; echo "uname $?"`)).stdout).toBe('uname 0\n');
  });

  it('a libseccomp-exported filter blocks the same calls', async () => {
    const dir = mkdtempSync(join(scratch, 'libseccomp-'));
    const ours = await sh(probe(dir), { noNewPrivileges: true, seccomp: libseccompFilter() });
    expect(ours.stdout).toMatch(/^uname 1$/m);
    expect(ours.stdout).toMatch(/^mkdir 1$/m);
    expect(ours.stdout).toMatch(/^Seccomp:\s+2$/m);
  });

  it('without no_new_privs and CAP_SYS_ADMIN: EACCES at step seccomp, with a hint; a malformed program: EINVAL', () => {
    const e = thrown(() => spawn('/bin/true', [], { ...mapAs(0), capabilities: [], seccomp: blockUnameMkdir() }));
    expect(e).toMatchObject({ code: 'EACCES', step: 'seccomp', syscall: 'seccomp' });
    expect(e.hint).toMatch(/noNewPrivileges: true/);
    const bad = thrown(() => spawn('/bin/true', [], { noNewPrivileges: true, seccomp: Buffer.alloc(8) }));
    expect(bad).toMatchObject({ code: 'EINVAL', step: 'seccomp' });
    expect(() => spawn('/bin/true', [], { seccomp: Buffer.alloc(7) })).toThrow(RangeError);
    expect(() => spawn('/bin/true', [], { seccomp: Buffer.alloc(4097 * 8) })).toThrow(RangeError);
    expect(() => spawn('/bin/true', [], { seccomp: [1] as unknown as Buffer })).toThrow(TypeError);
  });
});

describe('spawn: rlimits', () => {
  it('sets each limit as prlimit(1) does: /proc/PID/limits and ulimit agree', async () => {
    const script = 'cat /proc/self/limits; ulimit -n; ulimit -Hn; ulimit -t';
    const ours = await sh(script, {
      rlimits: { nofile: 256, nproc: 64, cpu: { soft: 10, hard: 20 }, core: 0, as: 2 ** 32, fsize: Infinity },
      env: AS_INSTALLED, // a preloaded libasan needs more address space than 4 GiB
    });
    const theirs = tool(
      ['prlimit', '--nofile=256', '--nproc=64', '--cpu=10:20', '--core=0', `--as=${2 ** 32}`, '--fsize=unlimited'],
      script,
    );
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toMatch(/^Max open files\s+256\s+256\s+files/m);
    expect(ours.stdout).toMatch(/^Max cpu time\s+10\s+20\s+seconds/m);
    expect(ours.stdout).toMatch(/\n256\n256\n10\n$/);
    expect(readFileSync('/proc/self/limits', 'latin1')).not.toMatch(/^Max cpu time\s+10\s/m);
  });

  it('a failure names its limit: nofile above nr_open is EPERM at step rlimit:nofile', () => {
    const nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'latin1'));
    const e = thrown(() => spawn('/bin/true', [], { rlimits: { nofile: nrOpen + 1 } }));
    expect(e).toMatchObject({ code: 'EPERM', step: 'rlimit:nofile', syscall: 'prlimit' });
    expect(e.hint).toMatch(/nr_open/);
    expect(() => spawn('/bin/true', [], { rlimits: { files: 1 } as never })).toThrow(TypeError);
    expect(() => spawn('/bin/true', [], { rlimits: { nofile: { soft: 9, hard: 8 } } })).toThrow(RangeError);
    expect(() => spawn('/bin/true', [], { rlimits: { nofile: -1 } })).toThrow(RangeError);
    expect(() => spawn('/bin/true', [], { rlimits: { nofile: { soft: 1 } } as never })).toThrow(TypeError);
  });
});

describe('spawn: groups', () => {
  itRoot('sets the supplementary groups before the id change, as setpriv --groups', async () => {
    const ours = await sh('id -G', { uid: 65534, gid: 65534, groups: [5, 6] });
    const theirs = tool(['setpriv', '--groups=5,6', '--reuid=65534', '--regid=65534'], 'id -G');
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toBe('65534 5 6\n');
  });

  itRoot("in a new user namespace with setgroups 'allow' and a gid map", async () => {
    const range = [{ inside: 0, outside: 0, count: 65536 }];
    const ours = await sh('id -G', {
      namespaces: ['user'],
      uidMap: range,
      gidMap: range,
      setgroups: 'allow',
      groups: [7],
    });
    expect(ours.stdout).toBe('0 7\n');
  });

  it("names its step; a new user namespace without setgroups 'allow' and a gid map is a TypeError", () => {
    if (!isRoot) {
      const e = thrown(() => spawn('/bin/true', [], { groups: [] }));
      expect(e).toMatchObject({ code: 'EPERM', step: 'setgroups', syscall: 'setgroups' });
      expect(e.hint).toMatch(/CAP_SETGID/);
    }
    expect(() => spawn('/bin/true', [], { namespaces: ['user'], mapRootUser: true, groups: [] })).toThrow(TypeError);
    expect(() => spawn('/bin/true', [], { groups: [2 ** 32 - 1] })).toThrow(RangeError);
  });
});

/** Where cgroup v2 is mounted and this process's cgroup in it. */
function cgroup2(): { mount: string; own: string } {
  const mount = readFileSync('/proc/self/mountinfo', 'latin1')
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2')![4]!;
  const own = readFileSync('/proc/self/cgroup', 'latin1').match(/^0::(.*)$/m)![1]!;
  return { mount, own };
}

/** Once cgroup.events says "populated 0" (the kernel updates it after the last process is released). */
async function unpopulated(dir: string): Promise<void> {
  const events = join(dir, 'cgroup.events');
  const empty = () => /^populated 0$/m.test(readFileSync(events, 'latin1'));
  if (empty()) return;
  await new Promise<void>((resolve) => {
    const watcher = watch(events, () => {
      if (!empty()) return;
      watcher.close();
      resolve();
    });
    if (empty()) {
      watcher.close();
      resolve();
    }
  });
}

describe('spawn: cgroup', () => {
  itRoot('starts the child in that cgroup v2 directory (clone3 CLONE_INTO_CGROUP)', async () => {
    const { mount, own } = cgroup2();
    const dir = join(mount, own, `nsbind-test-${process.pid}`);
    execFileSync('mkdir', [dir]);
    // shell builtins only: no other process joins the cgroup
    const child = spawn(
      '/bin/sh',
      ['-c', 'while read l; do case $l in 0::*) echo "$l";; esac; done < /proc/self/cgroup; read x'],
      {
        cgroup: dir,
        stdio: 'pipe',
      },
    );
    try {
      const seen = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d))));
      expect(seen).toBe(`0::${join(own, `nsbind-test-${process.pid}`)}\n`);
      expect(readFileSync(join(dir, 'cgroup.procs'), 'latin1')).toBe(`${child.pid}\n`);
      expect(readFileSync('/proc/self/cgroup', 'latin1')).toMatch(new RegExp(`^0::${own}$`, 'm')); // we stay where we were
    } finally {
      child.kill('SIGKILL');
      await child.exited;
      await unpopulated(dir);
      execFileSync('rmdir', [dir]);
    }
  });

  it('names its step: a missing dir (open), a directory that is no cgroup (clone3)', () => {
    const missing = thrown(() => spawn('/bin/true', [], { cgroup: join(scratch, 'none') }));
    expect(missing).toMatchObject({ code: 'ENOENT', step: 'cgroup', syscall: 'open', path: join(scratch, 'none') });
    const plain = thrown(() => spawn('/bin/true', [], { cgroup: scratch }));
    expect(plain).toMatchObject({ code: 'EBADF', step: 'cgroup', syscall: 'clone3' });
    expect(plain.hint).toMatch(/not a cgroup v2 directory/);
  });
});

describe('spawn: paused', () => {
  itRoot('a veth end moved into the paused child’s network namespace is there once it runs', async () => {
    const [host, peer] = [`nsbp${process.pid % 10000}a`, `nsbp${process.pid % 10000}b`];
    // shell builtins only: no other process joins the cgroup
    const child = spawn('/bin/sh', ['-c', `ip -o link show ${peer}`], {
      namespaces: ['net'],
      paused: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      execFileSync('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
      const mac = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', peer], { encoding: 'utf8' }))[0].address;
      execFileSync('ip', ['link', 'set', peer, 'netns', String(child.pid)]);
      child.resume();
      const seen = await output(child);
      expect(seen.code).toBe(0);
      expect(seen.stdout).toContain(`${peer}@`);
      expect(seen.stdout).toContain(`link/ether ${mac}`);
    } finally {
      child.kill('SIGKILL');
      spawnSync('ip', ['link', 'del', host]); // gone with the namespace, or soon after
    }
  });

  it('returns with the new namespaces made and the id maps written, before exec; resume() runs the rest', async () => {
    const { network } = await import('../lib/index.js');
    // shell builtins only: no other process joins the cgroup
    const child = spawn('/bin/sh', ['-c', 'cat /proc/self/uid_map; ip -o link show'], {
      namespaces: ['user', 'net'],
      mapRootUser: true,
      paused: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(child.paused).toBe(true);
    expect(readFileSync(`/proc/${child.pid}/uid_map`, 'latin1')).toMatch(new RegExp(`^\\s+0\\s+${uid}\\s+1$`, 'm'));
    // not exec'd yet: the clone still shares this process's memory, so its command line is ours
    expect(readFileSync(`/proc/${child.pid}/cmdline`)).toEqual(readFileSync('/proc/self/cmdline'));
    const net = network(child.namespace('net'));
    try {
      net.link.add({ name: 'box0', type: 'veth', peer: { name: 'box1' } });
    } finally {
      net.close();
    }
    child.resume();
    expect(child.paused).toBe(false);
    const seen = await output(child);
    expect(seen.stdout).toMatch(/^\s+0\s+\d+\s+1$/m);
    expect(seen.stdout).toMatch(/^\d+: box0@box1: /m);
    expect(() => child.resume()).toThrow(TypeError);
  });

  it('resume() throws the setup error spawn throws, and the killed child is reaped; kill() while paused works', async () => {
    const direct = thrown(() => spawn('/bin/true', [], { cwd: join(scratch, 'none') }));
    const child = spawn('/bin/true', [], { cwd: join(scratch, 'none'), paused: true, stdio: 'ignore' });
    const late = thrown(() => child.resume());
    expect({ code: late.code, step: late.step, path: late.path, message: late.message.replace(/\d+/g, '') }).toEqual({
      code: direct.code,
      step: 'chdir',
      path: direct.path,
      message: direct.message.replace(/\d+/g, ''),
    });
    expect((await child.exited).code).toBe(127);
    const killed = spawn('/bin/true', [], { paused: true, stdio: 'ignore' });
    expect(killed.kill('SIGKILL')).toBe(true);
    expect(await killed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(thrown(() => killed.resume()).code).toBe('ESRCH');
    expect(() => spawn('/bin/true', [], { paused: 1 as never })).toThrow(TypeError);
  });

  it('a child never resumed keeps no process running: it ends with the process that spawned it', () => {
    // the paused child holds our stdout: runNode returns once it is closed, i.e. once the child is gone
    const out = runNode(`const { spawn } = require(process.env.NSBIND);
      const c = spawn('/bin/sh', ['-c', 'echo ran'], { paused: true, stdio: ['ignore', 'inherit', 'inherit'] });
      console.log('pid ' + c.pid);`);
    expect(out).toMatch(/^pid \d+\n$/);
  });
});
