import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC } from '../support/cc.js';
import { CLI, nsbind, oneLineError, startNsbind } from '../support/cli.js';
import { isRoot, itRoot, NOBODY, ROOT_DIR, runNode } from '../support/env.js';
import { removeScratch, scratchDir } from '../support/mounts.js';

/** Run as nobody in the root pass too: these work unprivileged. */
const unprivileged = { asNobody: isRoot };
const ourUid = isRoot ? 65534 : process.geteuid!();

function lines(args: string[], options = {}): string[] {
  const r = nsbind(['run', ...args], options);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).join(' '));
}

describe('nsbind run: new namespaces', () => {
  itRoot("--hostname implies --uts: the name inside, the host's untouched", () => {
    expect(lines(['--hostname', 'run-box', '--', 'hostname'])).toEqual(['run-box']);
    expect(hostname()).not.toBe('run-box');
  });

  it('-r: root inside, mapped to our own uid; options end at the command without --', () => {
    expect(lines(['-r', 'sh', '-c', 'id -u; cat /proc/self/uid_map'], unprivileged)).toEqual(['0', `0 ${ourUid} 1`]);
    expect(lines(['-r', 'sh', '-c', 'echo "$1"', 'sh', '--help'], unprivileged)).toEqual(['--help']); // the command's flag
  });

  it('-r -n: only lo', () => {
    expect(lines(['-rn', '--', 'sh', '-c', 'tail -n +3 /proc/self/net/dev | cut -d: -f1'], unprivileged)).toEqual([
      'lo',
    ]);
  });

  it('-r --pid --mount-proc: the command is pid 1 and /proc shows only its namespace', () => {
    const [pid, procs] = lines(
      ['-r', '--pid', '--mount-proc', '--', 'sh', '-c', 'echo $$; ls /proc | grep -c "^[0-9]"'],
      unprivileged,
    ).map(Number);
    expect(pid).toBe(1);
    expect(procs).toBeLessThanOrEqual(3); // sh, ls, grep
  });

  itRoot('--pid --mount-proc without a user namespace: the host /proc is untouched', () => {
    const hostMounts = readFileSync('/proc/self/mountinfo', 'latin1');
    expect(lines(['--pid', '--mount-proc', '--', 'sh', '-c', 'echo $$'])).toEqual(['1']);
    expect(readFileSync('/proc/self/mountinfo', 'latin1')).toBe(hostMounts);
  });

  it('-r --boottime implies --time: /proc/uptime is a day ahead inside', () => {
    const [uptime] = lines(['-r', '--boottime', '86400', '--', 'cat', '/proc/uptime'], unprivileged);
    const host = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
    expect(Number(uptime!.split(' ')[0]) - host).toBeGreaterThan(86000);
  });

  it('-r --root DIR --wd: the command sees only DIR, from the working directory given', () => {
    const rootfs = scratchDir('run-root');
    try {
      const probe = compileC('lsroot', readFileSync(new URL('../fixtures/lsroot.c', import.meta.url), 'latin1'), [
        '-static',
      ]);
      copyFileSync(probe, join(rootfs, 'lsroot'));
      chmodSync(join(rootfs, 'lsroot'), 0o755);
      mkdirSync(join(rootfs, 'work'));
      expect(lines(['-r', '--root', rootfs, '--wd', '/work', '--', '/lsroot'], unprivileged).sort()).toEqual([
        'cwd=/work',
        'lsroot',
        'work',
      ]);
    } finally {
      removeScratch(rootfs);
    }
  });

  it('no command: $SHELL as a login shell (argv0 -sh), as unshare(1) runs it', () => {
    const options = { ...unprivileged, env: { SHELL: '/bin/sh' }, input: 'echo "$0"; id -u\n' };
    const r = nsbind(['run', '-r'], options);
    expect(r).toMatchObject({ status: 0, stdout: '-sh\n0\n' });
    const [file, ...args] = [...(isRoot ? NOBODY : []), 'unshare', '-r'];
    const util = spawnSync(file!, args, {
      encoding: 'utf8',
      env: { ...process.env, ...options.env },
      input: options.input,
    });
    expect(util.stdout).toBe(r.stdout);
  });
});

describe('nsbind run: exit status and signals', () => {
  it("the command's exit status, or 128+N when signal N ended it", () => {
    expect(nsbind(['run', '--', 'sh', '-c', 'exit 7'], unprivileged).status).toBe(7);
    expect(nsbind(['run', '--', 'sh', '-c', 'kill -TERM $$'], unprivileged).status).toBe(128 + 15);
    expect(nsbind(['run', '-r', '--', 'sh', '-c', 'kill -KILL $$'], unprivileged).status).toBe(128 + 9);
    expect(nsbind(['run', '--', 'sh', '-c', 'kill -40 $$'], unprivileged).status).toBe(128 + 40); // real-time: no name in Node
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const)(
    '%s sent to nsbind reaches the command',
    async (signal) => {
      const name = signal.slice(3);
      const script = `trap 'echo got ${name}; exit 3' ${name}; echo ready; for i in $(seq 200); do sleep 0.05; done`; // gone in 10 s regardless
      const cli = await startNsbind(['run', '-r', '--', 'sh', '-c', script], unprivileged);
      process.kill(cli.pid, signal);
      expect(await cli.result).toEqual({ status: 3, stdout: `ready\ngot ${name}\n`, stderr: '' });
    },
  );

  it('the signal handlers go once the command has exited, or failed to start', () => {
    const script = `const { runCommand } = require('./dist/cli/child.js');
      const listeners = () => ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'].map((s) => process.listenerCount(s)).join('');
      try { runCommand(['/nonexistent'], {}); } catch (e) { console.log(e.step, listeners()); }
      runCommand(['true'], {}).then((status) => console.log(status, listeners()));`;
    expect(runNode(script, unprivileged).trim().split('\n')).toEqual(['exec 000000', '0 000000']);
  });

  it('on a terminal, Ctrl-C reaches the command once (from the terminal, not passed on again)', async () => {
    // node counts every SIGINT it is delivered; script(1) gives nsbind and the command a terminal. After the
    // first SIGINT the command sends nsbind a SIGUSR1, which nsbind passes back: nsbind handles its SIGINT
    // before that SIGUSR1, so a SIGINT it passed on would arrive first (lower signals are delivered first).
    const counter = `let n = 0; const keep = setInterval(() => {}, 1e9); process.on('SIGINT', () => { if (++n === 1) process.kill(process.ppid, 'SIGUSR1'); }); process.on('SIGUSR1', () => { console.log('SIGINT ' + n); clearInterval(keep); }); console.log('ready');`;
    const tty = spawn(
      'script',
      ['-qec', `${process.execPath} ${CLI} run -- ${process.execPath} -e "${counter}"`, '/dev/null'],
      { cwd: ROOT_DIR, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    const closed = new Promise((resolve) => tty.once('close', resolve));
    tty.stdout.on('data', (d: Buffer) => {
      out += d;
      if (/ready\r?\n/.test(out) && tty.stdin.writableLength === 0 && !tty.stdin.writableEnded) tty.stdin.end('\x03');
    });
    await closed;
    expect(out).toMatch(/SIGINT 1\r?\n/);
  });
});

describe('nsbind run: bad input and failures', () => {
  it('bad input: one line, exit 2', () => {
    for (const [args, line] of [
      [['--bogus', 'true'], "nsbind run: unknown option '--bogus'"],
      [['--boottime', 'soon', 'true'], "nsbind run: invalid --boottime 'soon' (seconds)"],
      [['--hostname'], "nsbind run: option '--hostname <value>' argument missing"],
    ] as const) {
      const r = nsbind(['run', ...args]);
      expect(oneLineError(r)).toBe(line);
      expect(r.status).toBe(2);
    }
  });

  it('a command that is not found: 127; one that cannot be executed: 126', () => {
    // (a PATH entry nobody may search would make it EACCES, as execvp does)
    const missing = nsbind(['run', '--', 'nsbind-no-such-command'], {
      ...unprivileged,
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(oneLineError(missing)).toBe(
      "nsbind run: ENOENT: no such file or directory, execve 'nsbind-no-such-command' (step exec)",
    );
    expect(missing.status).toBe(127);
    const directory = nsbind(['run', '--', '/tmp'], unprivileged);
    expect(oneLineError(directory)).toBe("nsbind run: EACCES: permission denied, execve '/tmp' (step exec)");
    expect(directory.status).toBe(126);
  });

  it('a failed setup step: one line naming it, exit 1', () => {
    const r = nsbind(['run', '-r', '--root', '/nonexistent', '--', 'true'], unprivileged);
    expect(oneLineError(r)).toBe("nsbind run: ENOENT: no such file or directory, chroot '/nonexistent' (step chroot)");
    expect(r.status).toBe(1);
  });

  it('unprivileged, without a user namespace: EPERM with the hint to add -r, exit 1', () => {
    const r = nsbind(['run', '--net', '--', 'true'], unprivileged);
    expect(oneLineError(r)).toBe(
      'nsbind run: EPERM: operation not permitted, clone (step clone) — creating namespaces needs CAP_SYS_ADMIN; unprivileged users get it in a new user namespace: add --map-root-user (-r).',
    );
    expect(r.status).toBe(1);
  });

  it("hints name run's flags, never library calls or options", () => {
    const proc = nsbind(['run', '-r', '--mount-proc', '--', 'true'], unprivileged);
    expect(oneLineError(proc)).toBe(
      "nsbind run: EPERM: operation not permitted, mount '/proc' (step mount:/proc) — mounting proc in a user namespace needs a pid namespace owned by it (add --pid (-p)) and an existing, fully visible /proc.",
    );
    expect(oneLineError(nsbind(['run', '--root', '/', '--', 'true'], unprivileged))).toBe(
      "nsbind run: EPERM: operation not permitted, chroot '/' (step chroot) — chroot needs CAP_SYS_CHROOT; unprivileged users get it in a new user namespace: add --map-root-user (-r).",
    );
    for (const args of [['--net'], ['--root', '/'], ['-r', '--mount-proc']]) {
      const line = oneLineError(nsbind(['run', ...args, '--', 'true'], unprivileged));
      expect(line).toMatch(/ — /);
      expect(line).not.toMatch(/spawn\(|options\.|mapRootUser|namespaceLimits/);
    }
  });

  it('an executable file without #! runs under /bin/sh, as under unshare(1)', () => {
    const dir = scratchDir('run-script');
    try {
      const script = join(dir, 'no-shebang');
      writeFileSync(script, 'printf "%s|" "$0" "$@"; echo\n', { mode: 0o755 });
      const r = nsbind(['run', '--', script, 'a b'], unprivileged);
      expect(r).toMatchObject({ status: 0, stdout: `${script}|a b|\n` });
      const [file, ...args] = [...(isRoot ? NOBODY : []), 'unshare', '--user', script, 'a b'];
      expect(spawnSync(file!, args, { encoding: 'utf8' }).stdout).toBe(r.stdout);
    } finally {
      removeScratch(dir);
    }
  });
});

/** `nsbind run ARGS` and `unshare ARGS` side by side (as nobody with `asNobody`): both outputs, for the same bytes. */
function sideBySide(args: string[], options: { asNobody?: boolean; env?: Record<string, string> } = {}) {
  const ours = nsbind(['run', ...args], options);
  const [file, ...rest] = [...(options.asNobody ? NOBODY : []), 'unshare', ...args];
  const theirs = spawnSync(file!, rest, { encoding: 'utf8', env: { ...process.env, ...options.env } });
  expect(ours.stderr).toBe('');
  return { ours: ours.stdout, theirs: theirs.stdout, status: [ours.status, theirs.status] };
}

describe("nsbind run: unshare's id maps, credentials and environment", () => {
  const maps = 'id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups';

  it('-c/--map-current-user, --map-user/--map-group by id and by name: as unshare maps them', () => {
    for (const args of [
      ['-c'],
      ['--map-current-user'],
      ['--map-user=0', '--map-group=0'],
      ['--map-user', 'daemon', '--map-group', 'daemon'], // names, from /etc/passwd and /etc/group
      ['--map-user=1000'],
    ]) {
      const { ours, theirs, status } = sideBySide([...args, '--', 'sh', '-c', maps], unprivileged);
      expect(ours).toBe(theirs);
      expect(status).toEqual([0, 0]);
    }
    expect(oneLineError(nsbind(['run', '--map-user', 'no-such-user-here', 'true']))).toBe(
      "nsbind run: unknown user 'no-such-user-here' (not in /etc/passwd)",
    );
  });

  it('--setgroups allow|deny; allow with a single gid mapped is refused, as unshare refuses it', () => {
    const denied = nsbind(['run', '--setgroups=allow', '--map-group=0', 'true'], unprivileged);
    const [file, ...args] = [...(isRoot ? NOBODY : []), 'unshare', '--setgroups=allow', '--map-group=0', 'true'];
    const util = spawnSync(file!, args, { encoding: 'utf8' });
    expect(oneLineError(denied)).toBe(util.stderr.trim().replace(/^unshare:/, 'nsbind run:'));
    expect(nsbind(['run', '-U', '--setgroups', 'deny', 'cat', '/proc/self/setgroups'], unprivileged).stdout).toBe(
      'deny\n',
    );
    expect(oneLineError(nsbind(['run', '-U', '--setgroups', 'maybe', 'true']))).toBe(
      "nsbind run: unsupported --setgroups argument 'maybe' (allow or deny)",
    );
  });

  itRoot('--setgroups allow, -S/--setuid and -G/--setgid: as unshare', () => {
    const { ours, theirs } = sideBySide(['-U', '--setgroups', 'allow', 'cat', '/proc/self/setgroups']);
    expect(ours).toBe('allow\n');
    expect(ours).toBe(theirs);
    for (const args of [['-S', '1000', '-G', '1000'], ['--setuid=1000']]) {
      const r = sideBySide([...args, '--', 'sh', '-c', 'id; grep -E "^(Uid|Gid|Groups)" /proc/self/status']);
      expect(r.ours).toBe(r.theirs);
    }
  });

  itRoot(
    "--map-users/--map-groups: ranges (INNER:OUTER:COUNT, OUTER,INNER,COUNT, all), the single ids cut out of them as util-linux's add_single_map_range cuts them",
    () => {
      // unshare 2.38 writes ranges with newuidmap, which refuses root without /etc/subuid entries, and
      // has neither INNER:OUTER:COUNT nor all: the expected maps are util-linux 2.40's, worked out by hand
      const uidMap = (args: string[]) =>
        lines([...args, '--', 'cat', '/proc/self/uid_map']).map((l) => l.split(' ').map(Number));
      expect(uidMap(['--map-users', '0:100000:65536'])).toEqual([[0, 100000, 65536]]);
      expect(uidMap(['--map-users', '100000,0,65536'])).toEqual([[0, 100000, 65536]]); // the older order
      // -r is --map-user=0 for our uid 0: first, and the range loses its topmost id and the overlap
      expect(uidMap(['--map-users=100000,0,65536', '-r'])).toEqual([
        [0, 0, 1],
        [1, 100000, 65535],
      ]);
      // in the order given (unshare chains them backwards, and add_single_map_range turns them round again)
      expect(uidMap(['--map-users=0:100000:10', '--map-users=10:200000:10'])).toEqual([
        [0, 100000, 10],
        [10, 200000, 10],
      ]);
      // a single id inside a range that also holds our uid: cut around both
      expect(uidMap(['--map-users=0,0,1000', '--map-user=500'])).toEqual([
        [500, 0, 1],
        [0, 1, 500],
        [501, 501, 499],
      ]);
      expect(uidMap(['--map-users=all'])).toEqual(
        readFileSync('/proc/self/uid_map', 'latin1')
          .trim()
          .split('\n')
          .map((l) => l.trim().split(/\s+/).map(Number)),
      );
      expect(lines(['--map-groups=all', '-U', 'cat', '/proc/self/setgroups'])).toEqual(['allow']);
      for (const [arg, line] of [
        ['--map-users=1:2', "nsbind run: invalid mapping '1:2'"],
        ['--map-users=0:1:0', "nsbind run: invalid mapping '0:1:0'"],
        ['--map-users=auto,0:1:1', "nsbind run: invalid mapping 'auto,0:1:1'"],
        [
          '-r --map-users=auto',
          "nsbind run: 'auto' maps go alone: not with other ranges or a single id (use --map-auto, or give the ranges)",
        ],
      ]) {
        const r = nsbind(['run', ...arg!.split(' '), 'true']);
        expect(oneLineError(r)).toBe(line);
        expect(r.status).toBe(2);
      }
    },
  );

  it('unprivileged, a range that is not yours: EPERM at uid_map, with the hint to map only your own ids', () => {
    const r = nsbind(['run', '--map-users=0:0:100', 'true'], unprivileged);
    expect(oneLineError(r)).toMatch(
      /^nsbind run: EPERM: operation not permitted, write '\/proc\/\d+\/uid_map' \(step uid_map\) — .*map only your own ids: --map-root-user \(-r\)/,
    );
    expect(r.status).toBe(1);
  });

  it('--clear-env and --whitelist-env NAME,…: only the variables asked for reach the command', () => {
    const env = { NSB_A: 'a', NSB_B: 'b', NSB_C: 'c' };
    expect(nsbind(['run', '--clear-env', '--', '/usr/bin/env'], { ...unprivileged, env }).stdout).toBe('');
    const kept = nsbind(['run', '--whitelist-env', 'NSB_A,NSB_C', '--whitelist-env=NSB_NONE', '--', '/usr/bin/env'], {
      ...unprivileged,
      env,
    });
    expect(kept).toMatchObject({ status: 0, stdout: 'NSB_A=a\nNSB_C=c\n' });
    // no command: the shell of that environment (none: /bin/sh), as unshare's exec_shell after clearenv
    const shell = nsbind(['run', '--clear-env'], {
      ...unprivileged,
      env: { SHELL: '/bin/bash' },
      input: 'echo "$0"\n',
    });
    expect(shell.stdout).toBe('-sh\n');
  });

  it('--keep-caps: the capabilities of the new user namespace kept across exec as a non-root uid, as unshare keeps them', () => {
    const caps = ['grep', '^Cap', '/proc/self/status'];
    for (const args of [
      ['--map-user=1000'],
      ['--map-user=1000', '--keep-caps'],
      ['-c', '--keep-caps'],
      ['-r', '--keep-caps'],
      ['-U', '--keep-caps'],
    ]) {
      const { ours, theirs } = sideBySide([...args, '--', ...caps], unprivileged);
      expect(ours).toBe(theirs);
    }
    const kept = sideBySide(['--map-user=1000', '--keep-caps', '--', ...caps], unprivileged).ours;
    const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'latin1'));
    expect(kept).toMatch(new RegExp(`^CapAmb:\\s+0*${((1n << BigInt(last + 1)) - 1n).toString(16)}$`, 'm')); // every one
    expect(sideBySide(['--map-user=1000', '--', ...caps], unprivileged).ours).toMatch(/^CapEff:\s+0+$/m); // none without
  });

  it('-f/--fork and --forward-signals are accepted (nsbind always forks and passes signals on)', () => {
    expect(lines(['-f', '--forward-signals', '-r', '--', 'id', '-u'], unprivileged)).toEqual(['0']);
  });

  it('-n --loopback: lo is up inside (as nobody with -r too); --loopback without --net is refused', () => {
    const out = lines(
      ['-r', '-n', '--loopback', '--', 'cat', '/sys/class/net/lo/operstate', '/sys/class/net/lo/flags'],
      unprivileged,
    );
    expect(out[1]).toMatch(/^0x\d*9$/); // IFF_UP | IFF_LOOPBACK
    const r = nsbind(['run', '-r', '--loopback', 'true'], unprivileged);
    expect(oneLineError(r)).toMatch(/^nsbind run: --loopback needs --net \(-n\)/);
  });

  it("unshare's options nsbind does not have: one line naming them, exit 2", () => {
    for (const flag of ['--owner=1:1', '--mount-binfmt', '--map-subids']) {
      const r = nsbind(['run', flag, 'true']);
      expect(oneLineError(r)).toMatch(new RegExp(`^nsbind run: --${flag.slice(2).split('=')[0]} is not supported`));
      expect(r.status).toBe(2);
    }
    expect(oneLineError(nsbind(['run', '--map-auto', '-r', 'true']))).toBe(
      'nsbind run: --map-auto with --map-root-user is not supported',
    );
    expect(oneLineError(nsbind(['run', '--mount-proc=/mnt', 'true']))).toBe(
      'nsbind run: --mount-proc=/mnt is not supported: only /proc',
    );
  });
});

describe('nsbind run: --propagation, --kill-child, --TYPE=FILE', () => {
  itRoot('--propagation shared|slave|private|unchanged: the propagation of / inside, as under unshare', () => {
    for (const mode of ['shared', 'slave', 'private', 'unchanged']) {
      const { ours, theirs } = sideBySide(['-m', '--propagation', mode, 'findmnt', '-no', 'PROPAGATION', '/']);
      expect(ours).toBe(theirs);
    }
    expect(oneLineError(nsbind(['run', '-m', '--propagation', 'sideways', 'true']))).toBe(
      'nsbind run: unsupported propagation mode: sideways',
    );
  });

  it.each([
    [[], 'KILL'],
    [['--kill-child=TERM'], 'TERM'],
    [['--kill-child=SIGUSR1'], 'USR1'],
  ])('--kill-child %j: the command gets %s when nsbind dies', async (flag, name) => {
    const args = flag.length === 0 ? ['--kill-child'] : flag;
    const script = `trap 'echo got ${name}; exit 3' ${name === 'KILL' ? 'HUP' : name}; echo ready; for i in $(seq 200); do sleep 0.05; done`;
    const cli = await startNsbind(['run', ...args, '-r', '--', 'sh', '-c', script], unprivileged);
    process.kill(cli.pid, 'SIGKILL'); // nothing of nsbind's runs any more: the kernel sends it
    const { stdout } = await cli.result; // once the command is gone too (it holds the pipe)
    expect(stdout).toBe(name === 'KILL' ? 'ready\n' : `ready\ngot ${name}\n`);
  });

  itRoot('--uts=FILE, --net=FILE, --pid=FILE: the new namespaces are kept on FILE, where nsenter finds them', () => {
    const dir = scratchDir('run-persist');
    const [uts, net, pid] = [join(dir, 'uts'), join(dir, 'net'), join(dir, 'pid')];
    try {
      const show = 'echo $$; readlink /proc/self/ns/uts /proc/self/ns/net; ls /proc/self/fd';
      const out = lines([`--uts=${uts}`, `--net=${net}`, '--hostname', 'kept', '--pid', '--', 'sh', '-c', show]);
      expect(out[0]).toBe('1'); // still pid 1: it waited as /bin/sh, then exec'd
      expect(out.slice(3)).toEqual(['0', '1', '2', '3']); // the socket it waited on is closed (3: ls's own)
      const nsenter = execFileSync(
        'nsenter',
        [`--uts=${uts}`, `--net=${net}`, 'sh', '-c', 'hostname; readlink /proc/self/ns/uts /proc/self/ns/net'],
        { encoding: 'utf8' },
      );
      expect(nsenter.trim().split('\n')).toEqual(['kept', ...out.slice(1, 3)]);
      // a command that exits at once: its namespaces are kept all the same, every time
      for (let i = 0; i < 5; i++) {
        expect(nsbind(['run', `--pid=${pid}`, `--uts=${uts}.${i}`, '--hostname', `quick${i}`, 'true']).status).toBe(0);
        expect(execFileSync('nsenter', [`--uts=${uts}.${i}`, 'hostname'], { encoding: 'utf8' })).toBe(`quick${i}\n`);
        expect(statSync(pid).ino).not.toBe(statSync('/proc/self/ns/pid').ino); // a pid namespace bind-mounted
        spawnSync('umount', [pid]);
        spawnSync('umount', [`${uts}.${i}`]);
      }
      // unshare keeps them the same way
      const theirs = join(dir, 'theirs');
      writeFileSync(theirs, ''); // (unshare wants the file there; nsbind makes it)
      execFileSync('unshare', [`--uts=${theirs}`, 'hostname', 'theirs']);
      expect(execFileSync('nsenter', [`--uts=${theirs}`, 'hostname'], { encoding: 'utf8' })).toBe('theirs\n');
      spawnSync('umount', [theirs]);
    } finally {
      for (const file of [uts, net, pid]) spawnSync('umount', [file]);
      removeScratch(dir);
    }
  });

  it('--TYPE= with no FILE: one line, exit 2', () => {
    const r = nsbind(['run', '--uts=', 'true']);
    expect(oneLineError(r)).toBe('nsbind run: --uts= needs a FILE');
    expect(r.status).toBe(2);
  });
});
