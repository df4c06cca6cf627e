// spawn's mounts: a sandbox whose root is built from nothing, checked against
// bubblewrap running the same sandbox side by side (as root and as nobody),
// and escape attempts that must fail.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Mount, type NamespaceType, spawn } from '../lib/index.js';
import { bwrap, mountRows, normalListing } from './support/bwrap.js';
import { isRoot, itRoot, NOBODY, output, thrown, zombies } from './support/env.js';
import { removeScratch, scratchDir } from './support/mounts.js';

const scratch = scratchDir('sandbox');
afterAll(() => removeScratch(scratch));

/** The sandbox of the issue: a read-only /usr, links to it, tmpfs, proc, dev, a dir and a read-only file. */
const SANDBOX: Mount[] = [
  { type: 'bind', source: '/usr', target: '/usr', readonly: true },
  { type: 'symlink', source: 'usr/lib', target: '/lib' },
  { type: 'symlink', source: 'usr/lib64', target: '/lib64' },
  { type: 'symlink', source: 'usr/bin', target: '/bin' },
  { type: 'tmpfs', target: '/tmp', size: 64 << 20, mode: 0o1777 },
  { type: 'proc', target: '/proc' },
  { type: 'dev', target: '/dev' },
  { type: 'dir', target: '/run', mode: 0o700 },
  { type: 'file', target: '/etc/hostname', data: 'box\n', readonly: true },
  { type: 'file', target: '/etc/motd', data: 'hello\n', mode: 0o600 },
];
const USER: NamespaceType[] = ['user', 'mnt', 'pid', 'net', 'ipc', 'uts'];

const SECTIONS = [
  'ls -la /',
  'ls -la /dev',
  'findmnt -J -o TARGET,FSTYPE,VFS-OPTIONS,FS-OPTIONS',
  'cat /etc/hostname /etc/motd',
  'touch /usr/x /etc/hostname /tmp/x /etc/new 2>&1; echo $?',
  'for p in /proc/[0-9]*; do read c < $p/comm; echo $c; done', // builtins only: no process but sh
  'for p in /work /root /home /srv /var; do test -e $p && echo $p; done; echo none',
  'ls -a /',
  'ls -a /proc/1/root/',
  'cd /.. && ls -a',
  'stat -c %d:%i / /.. /proc/1/root/ | sort -u',
  'ls /proc/self/fd', // 0-2 and ls's own: no fd of the setup is left
];
const SCRIPT = SECTIONS.join('; echo @@; ');

const BASE: Mount[] = SANDBOX.slice(0, 4); // /usr and its links: enough to run sh and coreutils
const WITH_PROC: Mount[] = [...BASE, { type: 'proc', target: '/proc' }]; // and findmnt

function options(namespaces: NamespaceType[], mounts: Mount[], root?: string) {
  return {
    namespaces,
    ...(namespaces.includes('user') ? { mapRootUser: true } : {}),
    mounts,
    ...(root ? { root } : {}),
    env: { PATH: '/usr/bin' },
  };
}

async function inNsbind(namespaces: NamespaceType[], mounts: Mount[], script = SCRIPT, root?: string) {
  return output(spawn('/bin/sh', ['-c', script], options(namespaces, mounts, root)));
}

const hostMounts = () => readFileSync('/proc/self/mountinfo', 'utf8');

describe('spawn mounts: the same sandbox as bubblewrap', () => {
  const compare = async (namespaces: NamespaceType[]) => {
    const ours = await inNsbind(namespaces, SANDBOX);
    const theirs = bwrap(namespaces, SANDBOX, SCRIPT, scratch);
    expect(ours).toMatchObject({ code: 0, stderr: '' });
    expect(theirs).toMatchObject({ status: 0, stderr: '' });
    const [a, b] = [ours.stdout, theirs.stdout].map((s) => s.split('@@\n'));
    // what is in /, and in /dev
    expect(normalListing(a[0]!)).toEqual(normalListing(b[0]!));
    expect(normalListing(a[1]!)).toEqual(normalListing(b[1]!));
    // the mount table: types, ro, nosuid, nodev, noexec, the superblocks' options
    expect(mountRows(a[2]!)).toEqual(mountRows(b[2]!));
    // file data; read-only writes fail with EROFS, the writable ones work
    expect(a[3]).toBe('box\nhello\n');
    expect(a[3]).toBe(b[3]);
    expect(a[4]).toBe(b[4]);
    expect(a[4]).toMatch(/'\/usr\/x': Read-only file system\n.*'\/etc\/hostname': Read-only file system\n1\n$/);
    // no host path but what mounts put there
    expect(a[6]).toBe('none\n');
    expect(b[6]).toBe('none\n');
    // /proc shows the sandbox's pid namespace alone: sh (bwrap has its own init besides)
    expect(a[5]).toBe('sh\n');
    expect(b[5]).toBe('bwrap\nsh\n');
    // pid 1's root, / and /.. are all the new root: the old one is gone
    for (const out of [a, b]) {
      expect(out[8]).toBe(out[7]);
      expect(out[9]).toBe(out[7]);
      expect(out[10]!.trim().split('\n')).toHaveLength(1);
    }
    expect(a[11]).toBe('0\n1\n2\n3\n'); // (bwrap passes on what its caller leaks to it: not compared)
    return mountRows(a[2]!);
  };

  it('with a user namespace (unprivileged too): listings, mount table, read-only, visibility', async () => {
    const table = await compare(USER);
    expect(table.find((m) => m.target === '/usr')?.['vfs-options']).toMatch(/^ro,nosuid,nodev/);
    expect(table.find((m) => m.target === '/etc/hostname')?.['vfs-options']).toMatch(/^ro,/);
    expect(table.map((m) => m.target)).toEqual(
      [
        '/',
        '/usr',
        '/tmp',
        '/proc',
        ...(isRoot ? ['/proc/irq', '/proc/bus'] : []),
        '/dev',
        '/dev/null',
        '/dev/zero',
        '/dev/full',
        '/dev/random',
        '/dev/urandom',
        '/dev/tty',
        '/dev/pts',
        '/dev/shm',
        '/etc/hostname',
      ].sort((x, y) => x.localeCompare(y)),
    );
  });

  itRoot('without a user namespace, as root', async () => {
    await compare(['mnt', 'pid', 'net', 'ipc', 'uts']);
  });
});

describe('spawn mounts: escapes', () => {
  it('a hostile symlink in a target leads inside the new root, never out of it (bwrap refuses it)', async () => {
    const evil = join(scratch, 'evil');
    mkdirSync(evil);
    symlinkSync('/etc', join(evil, 'abs'));
    symlinkSync('../../../../../../../etc', join(evil, 'rel'));
    const tag = `nsbind-escape-${process.pid}`;
    const mounts: Mount[] = [
      ...WITH_PROC,
      { type: 'dir', target: '/etc' },
      { type: 'bind', source: evil, target: '/work' },
      { type: 'dir', target: `/work/abs/${tag}-dir` },
      { type: 'tmpfs', target: `/work/rel/${tag}-tmpfs` },
      { type: 'file', target: `/work/abs/${tag}-file`, data: 'inside\n' },
    ];
    const before = hostMounts();
    try {
      const out = await inNsbind(USER, mounts, `ls /etc; findmnt -n -o TARGET /etc/${tag}-tmpfs; cat /etc/${tag}-file`);
      expect(out).toMatchObject({ code: 0, stderr: '' });
      expect(out.stdout).toBe(`${tag}-dir\n${tag}-file\n${tag}-tmpfs\n/etc/${tag}-tmpfs\ninside\n`);
      const theirs = bwrap(USER, mounts, 'true', scratch);
      expect(theirs.status).toBe(1);
      expect(theirs.stderr).toMatch(/Can't mkdir/);
    } finally {
      for (const suffix of ['dir', 'tmpfs', 'file']) {
        expect(existsSync(`/etc/${tag}-${suffix}`), `/etc/${tag}-${suffix} on the host`).toBe(false);
      }
    }
    expect(hostMounts()).toBe(before);
    expect(readlinkSync(join(evil, 'abs'))).toBe('/etc');
  });

  it('the old root is unreachable: no mount of it is left in the child, none of its fds', async () => {
    const child = spawn('/bin/sh', ['-c', 'read x'], { ...options(USER, BASE), stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const table = readFileSync(`/proc/${child.pid}/mountinfo`, 'utf8').trim().split('\n');
      expect(table.map((l) => l.split(' ')[4])).toEqual(['/', '/usr']);
      expect(readFileSync(`/proc/${child.pid}/mountinfo`, 'utf8')).not.toMatch(/ \/proc | \/sys /);
    } finally {
      child.stdin!.end('\n');
      await child.exited;
    }
  });
});

describe('spawn mounts: escapes without capabilities', () => {
  it('capabilities: [] (what bwrap keeps for an unprivileged caller): umount, remount, mount, pivot_root, unshare, ptrace of the parent fail alike', async () => {
    // PTRACE_ATTACH (16) of the process that started the sandbox, by its pid outside: no such process inside
    const ptrace = `import ctypes, os; l = ctypes.CDLL(None, use_errno=True); r = l.ptrace(16, ${process.pid}, 0, 0); print(r, os.strerror(ctypes.get_errno()))`;
    const script = [
      'umount -l /usr 2>&1; echo $?',
      'mount -o remount,rw,bind /usr 2>&1; echo $?',
      'mount -t tmpfs none /mnt 2>&1; echo $?',
      'touch /usr/x 2>&1; echo $?',
      'umount -l / 2>&1; echo $?',
      'mkdir /mnt/old; /usr/sbin/pivot_root /mnt /mnt/old 2>&1; echo $?',
      '/usr/bin/unshare -m true 2>&1; echo $?',
      `/usr/bin/python3 -c '${ptrace}'`,
    ].join('; ');
    const mounts: Mount[] = [...WITH_PROC, { type: 'dir', target: '/mnt' }];
    const ours = await output(spawn('/bin/sh', ['-c', script], { ...options(USER, mounts), capabilities: [] }));
    const theirs = bwrap(USER, mounts, script, scratch, undefined, isRoot ? NOBODY : []);
    expect(ours).toMatchObject({ code: 0, stderr: '' });
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout.match(/^\d+$/gm)).toEqual(['32', '32', '32', '1', '32', '1', '1']);
    expect(ours.stdout).toMatch(/^-1 No such process$/m);
  });
});

describe('spawn mounts: what each entry makes', () => {
  it('root: DIR is the base (bound, as bwrap --bind DIR /), mount points made in it', async () => {
    // one base each (bwrap 0.8 refuses a symlink that is there already)
    const [mine, bwraps] = ['root-nsbind', 'root-bwrap'].map((name) => {
      const dir = join(scratch, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'hello'), 'from the base\n');
      return dir;
    }) as [string, string];
    const script = 'cat /hello; ls -la /; findmnt -J -o TARGET,FSTYPE,VFS-OPTIONS,FS-OPTIONS';
    const ours = await inNsbind(USER, WITH_PROC, script, mine);
    const theirs = bwrap(USER, WITH_PROC, script, scratch, bwraps);
    expect(ours).toMatchObject({ code: 0, stderr: '' });
    expect(theirs).toMatchObject({ status: 0, stderr: '' });
    expect(ours.stdout.startsWith('from the base\n')).toBe(true);
    const json = (s: string) => s.slice(s.indexOf('{'));
    const listing = (s: string) => normalListing(s.slice(0, s.indexOf('{')));
    expect(listing(ours.stdout)).toEqual(listing(theirs.stdout));
    expect(mountRows(json(ours.stdout))).toEqual(mountRows(json(theirs.stdout)));
    expect(readdirSync(mine).sort()).toEqual(readdirSync(bwraps).sort()); // mount points made in the base, as bwrap does
  });

  it('file data is written byte for byte; entries apply in order (a file on an earlier tmpfs)', async () => {
    const data = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 256);
    const mounts: Mount[] = [
      ...WITH_PROC,
      { type: 'tmpfs', target: '/a' },
      { type: 'file', target: '/a/bytes', data, mode: 0o640 },
      { type: 'dir', target: '/a/b/c', mode: 0o711 },
    ];
    const out = await inNsbind(
      USER,
      mounts,
      'sha256sum /a/bytes; stat -c "%a %n" /a/bytes /a/b /a/b/c; findmnt -n -o FSTYPE /a',
    );
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const sum = createHash('sha256').update(data).digest('hex');
    expect(out.stdout).toBe(`${sum}  /a/bytes\n640 /a/bytes\n755 /a/b\n711 /a/b/c\ntmpfs\n`);
  });
});

describe('spawn mounts: with init', () => {
  it('init: true runs nsbind-init as pid 1 in the sandbox, as bwrap has an init of its own', async () => {
    const out = await output(
      spawn('/bin/sh', ['-c', 'cat /proc/1/comm; echo $$'], { ...options(USER, WITH_PROC), init: true }),
    );
    expect(out).toMatchObject({ code: 0, stdout: 'nsbind-init\n2\n', stderr: '' });
  });
});

describe('spawn mounts: failures', () => {
  it('a missing source: step mount:<target>, naming the source; no child, no mount left', () => {
    const absent = join(scratch, 'absent');
    const before = hostMounts();
    const error = thrown(() =>
      spawn('/bin/true', [], options(USER, [{ type: 'bind', source: absent, target: '/usr' }])),
    );
    expect(error).toMatchObject({ code: 'ENOENT', step: 'mount:/usr', syscall: 'open_tree', path: absent });
    expect(error.message).toBe(`ENOENT: no such file or directory, open_tree '${absent}'`);
    expect(error.hint).toMatch(/source of the bind on \/usr does not exist/);
    expect(zombies()).toEqual([]);
    expect(hostMounts()).toBe(before);
  });

  it('a mount point under a read-only bind: EROFS, with what to do', () => {
    const error = thrown(() => spawn('/bin/true', [], options(USER, [...BASE, { type: 'dir', target: '/usr/new' }])));
    expect(error).toMatchObject({ code: 'EROFS', step: 'mount:/usr/new', syscall: 'mkdirat', path: '/usr/new' });
    expect(error.hint).toMatch(/on a read-only mount/);
  });

  it('proc in a user namespace without a pid namespace of its own: EPERM, the hint says why', () => {
    const error = thrown(() => spawn('/bin/true', [], options(['user', 'mnt'], [{ type: 'proc', target: '/proc' }])));
    expect(error).toMatchObject({ code: 'EPERM', step: 'mount:/proc', path: '/proc' });
    expect(error.hint).toMatch(/pid namespace owned by it \(add 'pid' to options.namespaces\)/);
  });

  itRoot('root needs no user namespace: a mount namespace alone will do', async () => {
    const out = await inNsbind(['mnt'], BASE, 'ls /; id -u');
    expect(out).toMatchObject({ code: 0, stdout: 'bin\nlib\nlib64\nusr\n0\n', stderr: '' });
  });

  it('bad entries are a TypeError or RangeError before anything is cloned', () => {
    const bad: [unknown, typeof TypeError | typeof RangeError][] = [
      ['/usr', TypeError],
      [[{ type: 'overlay', target: '/x' }], TypeError],
      [[{ type: 'bind', target: '/x' }], TypeError],
      [[{ type: 'bind', source: '/usr', target: 'usr' }], RangeError],
      [[{ type: 'tmpfs', target: '/' }], RangeError],
      [[{ type: 'tmpfs', target: '/a/../b' }], RangeError],
      [[{ type: 'tmpfs', target: '/a//b' }], RangeError],
      [[{ type: 'tmpfs', target: '/a/' }], RangeError],
      [[{ type: 'tmpfs', target: '/a', mode: 0o10000 }], RangeError],
      [[{ type: 'tmpfs', target: '/a', size: 0 }], RangeError],
      [[{ type: 'dir', target: '/a', size: 1 }], TypeError],
      [[{ type: 'file', target: '/a', data: 5 }], TypeError],
      [[{ type: 'bind', source: '/usr', target: '/usr', readonly: 'yes' }], TypeError],
      [[{ type: 'symlink', source: '', target: '/a' }], RangeError],
      [[{ type: 'proc', target: '/p\0' }], RangeError],
    ];
    for (const [mounts, kind] of bad)
      expect(() => spawn('/bin/true', [], { namespaces: USER, mapRootUser: true, mounts } as never)).toThrow(kind);
    const conflicts = [
      { mounts: [], mountProc: true },
      { mounts: [], mountSys: true },
      { mounts: [], propagation: 'shared' },
      { mounts: [], propagation: 'unchanged' },
      { mounts: [], join: { mnt: '/proc/self/ns/mnt' } },
    ];
    for (const o of conflicts) expect(() => spawn('/bin/true', [], o as never), JSON.stringify(o)).toThrow(TypeError);
    expect(zombies()).toEqual([]);
  });
});
