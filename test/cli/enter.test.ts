import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES } from '../../lib/index.js';
import { nsbind, oneLineError } from '../support/cli.js';
import { type Fixture, fixture, isRoot, itRoot, NOBODY, nsLink } from '../support/env.js';
import { until } from '../support/ip.js';

/** Run as nobody in the root pass too: these work unprivileged. */
const unprivileged = { asNobody: isRoot };

function lines(args: string[], options = {}): string[] {
  const r = nsbind(['enter', ...args], options);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n');
}

const readlinks = (types: readonly string[]) => types.map((t) => `readlink /proc/self/ns/${t}`).join('; ');

describe('nsbind enter', () => {
  let box: Fixture; // root's: every type but user new, its own /proc and hostname
  let userBox: Fixture; // nobody's: user (root mapped to nobody), net, uts
  beforeAll(async () => {
    if (isRoot) {
      const flags = ['--net', '--uts', '--ipc', '--mount', '--pid', '--fork', '--mount-proc', '--cgroup', '--time'];
      box = await fixture(flags, { setup: 'hostname enter-box' });
    }
    userBox = await fixture(['--user', '--map-root-user', '--net', '--uts'], {
      asNobody: isRoot,
      setup: 'hostname nobody-box',
    });
  });
  afterAll(async () => {
    await box?.stop();
    await userBox?.stop();
  });

  itRoot('--all: the command is in every namespace of the target (inode equality), at / of its mounts', () => {
    const out = lines([
      '-t',
      String(box.pid),
      '--all',
      '--',
      'sh',
      '-c',
      `hostname; pwd; ${readlinks(NAMESPACE_TYPES)}`,
    ]);
    expect(out).toEqual(['enter-box', '/', ...NAMESPACE_TYPES.map((t) => nsLink(`/proc/${box.pid}/ns/${t}`))]);
  });

  itRoot("--net alone: the target's network namespace and none of its others", () => {
    const out = lines([
      '-t',
      String(box.pid),
      '--net',
      '--',
      'sh',
      '-c',
      `${readlinks(['net', 'uts', 'mnt'])}; tail -n +3 /proc/self/net/dev | cut -d: -f1`,
    ]);
    expect(out.map((l) => l.trim())).toEqual([
      nsLink(`/proc/${box.pid}/ns/net`),
      nsLink('/proc/self/ns/uts'),
      nsLink('/proc/self/ns/mnt'),
      'lo',
    ]);
  });

  itRoot("--pid: the command starts inside the target's pid namespace (two NSpid levels)", () => {
    const [nspid, link] = lines([
      '-t',
      String(box.pid),
      '-p',
      '--',
      'sh',
      '-c',
      'grep NSpid /proc/self/status; readlink /proc/self/ns/pid',
    ]);
    expect(nspid!.split(/\s+/).slice(1)).toHaveLength(2);
    expect(link).toBe(nsLink(`/proc/${box.pid}/ns/pid`));
  });

  it('--all into a user namespace of our own (the rootless case): root there, in its net and uts, the rest skipped', () => {
    const out = lines(
      ['-t', String(userBox.pid), '-a', 'sh', '-c', `id -u; hostname; ${readlinks(['user', 'net', 'uts', 'ipc'])}`],
      unprivileged,
    );
    expect(out).toEqual([
      '0',
      'nobody-box',
      ...['user', 'net', 'uts'].map((t) => nsLink(`/proc/${userBox.pid}/ns/${t}`)),
      nsLink('/proc/self/ns/ipc'),
    ]);
  });

  it("no command: $SHELL as a login shell (argv0 -sh), as nsenter(1) runs it; the exit status is the command's", () => {
    const env = { SHELL: '/bin/sh' };
    const input = 'echo "$0"; hostname; exit 7\n';
    const shell = nsbind(['enter', '-t', String(userBox.pid), '-U', '-u'], { ...unprivileged, env, input });
    expect(shell).toMatchObject({ status: 7, stdout: '-sh\nnobody-box\n' });
    // (nsenter 2.38 fails its setgroups under setgroups "deny": it keeps our credentials here)
    const nsenter = ['nsenter', '--preserve-credentials', '-t', String(userBox.pid), '-U', '-u'];
    const [file, ...args] = [...(isRoot ? NOBODY : []), ...nsenter];
    const util = spawnSync(file!, args, { encoding: 'utf8', env: { ...process.env, ...env }, input });
    expect({ status: util.status, stdout: util.stdout }).toEqual({ status: 7, stdout: shell.stdout });
    expect(
      nsbind(['enter', '-t', String(userBox.pid), '-U', '--', 'sh', '-c', 'kill -TERM $$'], unprivileged).status,
    ).toBe(128 + 15);
  });

  it('bad input: one line, exit 2', () => {
    for (const [args, line] of [
      [['--net'], 'nsbind enter: missing -t PID (for --net)'],
      [['-a'], 'nsbind enter: missing -t PID (for --all)'],
      [['-t', '1', '-n', '-w', '-W', '/'], 'nsbind enter: --wd and --wdns are mutually exclusive'],
      [['-t', '1', '-n', '-N', '3'], "nsbind enter: --net-socket is not supported (see 'nsbind enter --help')"],
      [['-t', 'abc', '--net'], "nsbind enter: invalid PID 'abc'"],
      [
        ['-t', String(process.pid)],
        "nsbind enter: nothing to enter: give --all or namespace options (see 'nsbind enter --help')",
      ],
      [['-t', String(process.pid), '--mnt'], "nsbind enter: unknown option '--mnt'"],
    ] as const) {
      const r = nsbind(['enter', ...args]);
      expect(oneLineError(r)).toBe(line);
      expect(r.status).toBe(2);
    }
  });

  it('a process that does not exist: one line, exit 1', () => {
    const r = nsbind(['enter', '-t', '2147483647', '--net', '--', 'true']);
    expect(oneLineError(r)).toBe(
      "nsbind enter: ENOENT: no such file or directory, open '/proc/2147483647/ns/net' (step setns:net)",
    );
    expect(r.status).toBe(1);
  });

  it('unprivileged, a namespace its user namespace owns without --user: EPERM naming the step, with the hint', () => {
    const r = nsbind(['enter', '-t', String(userBox.pid), '--net', '--', 'true'], unprivileged);
    expect(oneLineError(r)).toBe(
      `nsbind enter: EPERM: operation not permitted, setns '/proc/${userBox.pid}/ns/net' (step setns:net) — joining needs CAP_SYS_ADMIN in the user namespace that owns the target: add --user (-U), or use --all.`,
    );
    expect(r.status).toBe(1);
  });

  itRoot("as nobody, a process of root's: EACCES, one line", () => {
    const r = nsbind(['enter', '-t', String(box.pid), '--net', '--', 'true'], { asNobody: true });
    expect(oneLineError(r)).toMatch(
      new RegExp(
        `^nsbind enter: EACCES: permission denied, open '/proc/${box.pid}/ns/net' \\(step setns:net\\) — reading another process`,
      ),
    );
    expect(r.status).toBe(1);
  });

  /** nsbind enter ARGS and nsenter ARGS side by side, the same user: the same output and status. */
  function same(args: string[], options: { asNobody?: boolean } = {}): string {
    const ours = nsbind(['enter', ...args], options);
    const [file, ...rest] = [...(options.asNobody ? NOBODY : []), 'nsenter', ...args];
    const theirs = spawnSync(file!, rest, { encoding: 'utf8' });
    // (the sanitizer pass's libasan, preloaded into the command too, cannot read /proc/self/exe after -r DIR)
    expect(ours.stderr.replace(/^==\d+==WARNING: reading executable name failed.*\n/gm, '')).toBe('');
    expect({ status: ours.status, stdout: ours.stdout }).toEqual({ status: theirs.status, stdout: theirs.stdout });
    return ours.stdout;
  }

  it('--TYPE=FILE and -nFILE (no -t needed), and -t PID with FILE forms: the namespaces of the files, as nsenter', () => {
    const p = userBox.pid;
    const show = ['sh', '-c', `id -u; hostname; ${readlinks(['user', 'uts', 'net'])}`];
    const files = [`--user=/proc/${p}/ns/user`, `--uts=/proc/${p}/ns/uts`, '--preserve-credentials', '-t', String(p)];
    const out = same([...files, '--', ...show], unprivileged)
      .trim()
      .split('\n');
    expect(out.slice(1)).toEqual([
      'nobody-box',
      ...['user', 'uts'].map((t) => nsLink(`/proc/${p}/ns/${t}`)),
      nsLink('/proc/self/ns/net'),
    ]);
    same(
      [`-U/proc/${p}/ns/user`, `-u/proc/${p}/ns/uts`, '-n', '-t', String(p), '--preserve-credentials', '--', ...show],
      unprivileged,
    );
    // a file alone, without -t: as root there, in what it holds
    expect(
      lines(
        [`--user=/proc/${p}/ns/user`, `--net=/proc/${p}/ns/net`, '--', 'sh', '-c', `id -u; ${readlinks(['net'])}`],
        unprivileged,
      ),
    ).toEqual(['0', nsLink(`/proc/${p}/ns/net`)]);
  });

  it('--preserve-credentials: your ids as the user namespace maps them (none: the overflow id), as nsenter keeps them', async () => {
    const args = ['-U', '--preserve-credentials', '--', 'sh', '-c', 'id -u; id -g'];
    expect(same(['-t', String(userBox.pid), ...args], unprivileged)).toBe('0\n0\n'); // nobody is root there
    const unmapped = await fixture(['--user', '--uts'], { asNobody: isRoot });
    try {
      expect(same(['-t', String(unmapped.pid), ...args], unprivileged)).toBe('65534\n65534\n');
    } finally {
      await unmapped.stop();
    }
  });

  itRoot("-S/-G (ids and follow), -r/-w (PID's, or DIR) and -W DIR: as nsenter", async () => {
    const dirBox = await fixture(['--mount', '--uts', '--pid', '--fork', '--mount-proc'], {
      setup: 'mkdir -p /tmp/nsbind-enter-wd && mount -t tmpfs wd /tmp/nsbind-enter-wd && cd /tmp/nsbind-enter-wd',
    });
    try {
      const t = ['-t', String(dirBox.pid)];
      same([...t, '-u', '-S', '1000', '-G', '1000', '--', 'id']);
      // follow (nsenter 2.40; 2.38 has no follow): the owner of /proc/PID
      const owner = statSync(`/proc/${dirBox.pid}`);
      expect(lines([...t, '-u', '-S', 'follow', '-G', 'follow', '--', 'sh', '-c', 'id -u; id -g'])).toEqual([
        String(owner.uid),
        String(owner.gid),
      ]);
      expect(same([...t, '-m', '-w', 'pwd'])).toBe('/tmp/nsbind-enter-wd\n'); // its working directory, in its mounts
      same([...t, '-m', '-r', '-w', 'pwd']);
      same([...t, '-m', '-W', '/etc', 'pwd']);
      same([...t, '-m', '-w/etc', 'pwd']);
      expect(same([...t, '-m', '-r', 'sh', '-c', 'ls /proc | grep -c "^[0-9]"'])).toMatch(/^[1-5]\n$/); // its own /proc
    } finally {
      await dirBox.stop();
    }
    expect(existsSync('/tmp/nsbind-enter-wd') && readdirSync('/tmp/nsbind-enter-wd')).toEqual([]); // its tmpfs went with it
    rmdirSync('/tmp/nsbind-enter-wd');
  });

  it("-e/--env: the target's environment (/proc/PID/environ) instead of ours", async () => {
    const envBox = await fixture(['--user', '--uts'], { asNobody: isRoot, setup: 'export NSB_TARGET=theirs' });
    try {
      const env = nsbind(
        ['enter', '-t', String(envBox.pid), '-e', '-U', '--preserve-credentials', '--', '/usr/bin/env'],
        {
          ...unprivileged,
          env: { NSB_OURS: 'ours' },
        },
      );
      expect(env.stdout.split('\n')).toContain('NSB_TARGET=theirs');
      expect(env.stdout).not.toContain('NSB_OURS');
      const mine = readFileSync(`/proc/${envBox.pid}/environ`, 'latin1').split('\0').filter(Boolean).sort();
      expect(env.stdout.trim().split('\n').sort()).toEqual(mine);
    } finally {
      await envBox.stop();
    }
  });

  itRoot("-c/--join-cgroup: the command starts in the target's cgroup (cgroup v2)", async () => {
    const mount = readFileSync('/proc/self/mountinfo', 'latin1')
      .split('\n')
      .find((l) => / - cgroup2 /.test(l))
      ?.split(' ')[4];
    expect(mount).toBeDefined();
    const dir = `${mount}/nsbind-test-${process.pid}`;
    mkdirSync(dir);
    const cgBox = await fixture(['--uts']);
    try {
      writeFileSync(`${dir}/cgroup.procs`, String(cgBox.pid));
      const out = lines(['-t', String(cgBox.pid), '-u', '-c', '--', 'sh', '-c', 'grep "^0::" /proc/self/cgroup']);
      expect(out).toEqual([`0::/nsbind-test-${process.pid}`]);
    } finally {
      await cgBox.stop();
      await until('the cgroup empty', () => readFileSync(`${dir}/cgroup.procs`, 'latin1') === '');
      rmdirSync(dir);
    }
  });
});
