// nsbind run's bwrap flags (lib/cli/sandbox-flags.ts): the same flags through
// bwrap and through nsbind, side by side.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, nsbind, oneLineError, startNsbind } from '../support/cli.js';
import { isRoot, PACKAGE_DIR } from '../support/env.js';

const CAPS = 'grep ^Cap /proc/self/status';
const scratch = mkdtempSync(join(tmpdir(), 'nsbind-sandbox-flags-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A program with fd 3 open on `file`: its output and status. */
function withFd3(argv: string[], file: string) {
  const fd = openSync(file, 'r');
  try {
    const r = spawnSync(argv[0]!, argv.slice(1), {
      cwd: PACKAGE_DIR,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe', fd],
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

/** ret ERRNO(EPERM) for uname, ALLOW for the rest (the arch left unchecked: this host's). */
function blockUname(): Buffer {
  const nr = process.arch === 'arm64' ? 160 : 63;
  const insns = [
    [0x20, 0, 0, 0],
    [0x15, 0, 1, nr],
    [0x06, 0, 0, 0x00050001],
    [0x06, 0, 0, 0x7fff0000],
  ];
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code!, i * 8);
    b.writeUInt8(jt!, i * 8 + 2);
    b.writeUInt8(jf!, i * 8 + 3);
    b.writeUInt32LE(k! >>> 0, i * 8 + 4);
  });
  return b;
}

describe('nsbind run: bwrap flags', () => {
  /** bwrap as root in a new user namespace over the whole tree, with capability FLAGS, printing CAPS. */
  const bwrapCaps = (flags: string[]) =>
    spawnSync(
      'bwrap',
      ['--unshare-user', '--uid', '0', '--gid', '0', '--dev-bind', '/', '/', ...flags, 'sh', '-c', CAPS],
      { encoding: 'utf8' },
    );

  it('--cap-drop ALL --cap-add: the five capability sets bwrap leaves', () => {
    const flags = ['--cap-drop', 'ALL', '--cap-add', 'CAP_NET_ADMIN', '--cap-add', 'sys_chroot'];
    const ours = nsbind(['run', '-r', ...flags, '--', 'sh', '-c', CAPS]);
    const theirs = bwrapCaps(flags.map((f) => (f === 'sys_chroot' ? 'CAP_SYS_CHROOT' : f)));
    expect(ours.status).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toMatch(/^CapAmb:\s+0000000000041000$/m);
    // a single drop: everything of our bounding set but that one (bwrap run by root does the same;
    // run unprivileged, it keeps only what --cap-add names)
    const one = nsbind(['run', '-r', '--cap-drop', 'net_raw', '--', 'sh', '-c', CAPS]).stdout;
    const bnd = BigInt(`0x${/^CapBnd:\s+(\w+)$/m.exec(readFileSync('/proc/self/status', 'latin1'))![1]}`);
    const want = (bnd & ~(1n << 13n)).toString(16).padStart(16, '0');
    expect(one.match(/^Cap\w+:\s+(\w+)$/gm)!.map((l) => l.split(/\s+/)[1])).toEqual(Array(5).fill(want));
    if (isRoot) {
      const bwrapOne = bwrapCaps(['--cap-drop', 'CAP_NET_RAW']);
      expect(one).toBe(bwrapOne.stdout);
    }
    expect(oneLineError(nsbind(['run', '--cap-add', 'CAP_FLY', 'true']))).toBe(
      "nsbind run: --cap-add: unknown capability 'CAP_FLY'",
    );
  });

  it('--seccomp FD: the program read from that fd blocks what it says, as with bwrap --seccomp FD', () => {
    const file = join(scratch, 'uname.bpf');
    writeFileSync(file, blockUname());
    const ours = withFd3(
      [
        process.execPath,
        CLI,
        'run',
        '--seccomp',
        '3',
        '--',
        'sh',
        '-c',
        'uname; echo "$?"; grep ^NoNewPrivs /proc/self/status',
      ],
      file,
    );
    const theirs = withFd3(
      [
        'bwrap',
        '--dev-bind',
        '/',
        '/',
        '--seccomp',
        '3',
        'sh',
        '-c',
        'uname; echo "$?"; grep ^NoNewPrivs /proc/self/status',
      ],
      file,
    );
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toMatch(/^1\nNoNewPrivs:\s+1\n$/);
    expect(ours.stderr).toMatch(/uname: .*Operation not permitted/);
    const closed = nsbind(['run', '--seccomp', '999', 'true']);
    expect(oneLineError(closed)).toMatch(/^nsbind run: --seccomp 999: cannot read the program \(EBADF\)$/);
  });

  it('--new-session: COMMAND leads a session of its own, as under bwrap --new-session', () => {
    const script = 'read -r _ _ _ _ _ sid _ < /proc/self/stat; [ "$sid" = "$$" ] && echo leader';
    expect(nsbind(['run', '--new-session', '--', 'sh', '-c', script]).stdout).toBe('leader\n');
    expect(
      spawnSync('bwrap', ['--dev-bind', '/', '/', '--new-session', 'sh', '-c', script], { encoding: 'utf8' }).stdout,
    ).toBe('leader\n');
    expect(nsbind(['run', '--', 'sh', '-c', script]).stdout).toBe('');
  });

  it('--die-with-parent: COMMAND dies with nsbind (it held our stdout: the output ends only then)', async () => {
    const running = await startNsbind(['run', '--die-with-parent', '--', 'sh', '-c', 'echo ready; exec sleep 1000']);
    process.kill(running.pid, 'SIGKILL');
    const r = await running.result; // resolves once every holder of the pipe is gone: sleep too
    expect(r.status).toBe(null);
  });
});
