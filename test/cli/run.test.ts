import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
