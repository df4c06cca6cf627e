// spawn's init: true — nsbind-init as pid 1 of a new pid namespace, against the program as pid 1
// itself (which the kernel shields from signals it has no handler for).
import { spawnSync as cpSpawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execFile, type SpawnOptions, spawn, spawnSync } from '../lib/index.js';
import { compileC } from './support/cc.js';
import { fdCount, isRoot, output, zombies } from './support/env.js';

const PID: SpawnOptions = isRoot ? { namespaces: ['pid'] } : { namespaces: ['user', 'pid'], mapRootUser: true };
const WITH_PROC: SpawnOptions = { ...PID, namespaces: [...(PID.namespaces ?? []), 'mnt'], mountProc: true };
/** A shell that says 'ready' once its USR1 trap is set, then waits. */
const TRAPPING = "trap 'echo usr1; exit 7' USR1; echo ready; while :; do sleep 0.01; done";

/**
 * An orphan: a sleep whose shell exits at once. The script waits until the kernel has moved it to pid 1,
 * kills it and waits until it is gone (a zombie for a moment, until its parent reaps it: an init that did
 * not reap would leave it there, and the test would time out).
 */
const ORPHAN_SCRIPT = `pid=$(sh -c 'sleep 100 >/dev/null 2>&1 & echo $!')
  ppid() { sed -n 's/^PPid:[[:space:]]*//p' /proc/$pid/status; }
  until [ "$(ppid)" = 1 ]; do sleep 0.01; done
  kill $pid
  while [ -e /proc/$pid ]; do sleep 0.01; done
  echo reaped`;

/** Resolves once `child` printed `line` on stdout. */
function printed(child: { stdout: NodeJS.ReadableStream | null }, line: string): Promise<void> {
  let seen = '';
  return new Promise((resolve) => {
    child.stdout?.on('data', (d) => {
      seen += d;
      if (seen.split('\n').includes(line)) resolve();
    });
  });
}

describe('a new pid namespace without init: the program is pid 1', () => {
  it('kill(SIGTERM) returns true and the program does not notice; a signal it handles arrives; SIGKILL ends it', async () => {
    const child = spawn('/bin/sh', ['-c', TRAPPING], { ...PID, stdio: ['ignore', 'pipe', 'inherit'] });
    await printed(child, 'ready');
    expect(child.kill('SIGTERM')).toBe(true); // dropped by the kernel: pid 1 has no handler for it
    child.kill('SIGUSR1'); // sent after it: it arrives, so SIGTERM was dropped, not pending
    await printed(child, 'usr1');
    expect(await child.exited).toEqual({ code: 7, signal: null });
    const sleeper = spawn('sleep', ['100'], { ...PID, stdio: 'ignore' });
    sleeper.kill('SIGTERM');
    expect(sleeper.kill('SIGKILL')).toBe(true);
    expect(await sleeper.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

describe('init: true', () => {
  it('pid 1 is nsbind-init, a program of its own (not this process on its memory); the program is pid 2', async () => {
    const child = spawn('/bin/sh', ['-c', 'echo $$; read x'], { ...PID, init: true });
    await printed(child, '2');
    expect(basename(readlinkSync(`/proc/${child.pid}/exe`))).toBe('nsbind-init');
    const rss = (pid: number | string) =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    expect(rss(child.pid)).toBeLessThan(rss('self') / 10);
    expect(readFileSync(`/proc/${child.pid}/maps`, 'utf8')).not.toContain('nsbind.node');
    child.stdin?.end('\n');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('kill(SIGTERM) ends the program (init forwards it); the status is 128 + the signal', async () => {
    const child = spawn('sleep', ['100'], { ...PID, init: true, stdio: 'ignore' });
    expect(child.kill('SIGTERM')).toBe(true);
    expect(await child.exited).toEqual({ code: 128 + 15, signal: null });
  });

  it('every signal is forwarded; the exit status passes through', async () => {
    const child = spawn('/bin/sh', ['-c', TRAPPING], { ...PID, init: true, stdio: ['ignore', 'pipe', 'inherit'] });
    await printed(child, 'ready');
    child.kill('SIGUSR1');
    expect(await child.exited).toEqual({ code: 7, signal: null });
    await expect(execFile('/bin/sh', ['-c', 'exit 42'], { ...PID, init: true })).rejects.toMatchObject({ code: 42 });
    expect(await execFile('/bin/sh', ['-c', 'echo $$'], { ...PID, init: true })).toEqual({ stdout: '2\n', stderr: '' });
  });

  it('orphans are reparented to init and reaped (no zombie)', async () => {
    const { stdout } = await execFile('/bin/sh', ['-c', ORPHAN_SCRIPT], { ...WITH_PROC, init: true });
    expect(stdout).toBe('reaped\n');
  });

  it('the same as bwrap --unshare-pid (whose pid 1 is its own init), side by side', async () => {
    const scripts = ['echo $$', 'exit 42', 'kill -TERM $$', 'kill -KILL $$', ORPHAN_SCRIPT];
    const bwrap = (script: string) => {
      const user = isRoot ? [] : ['--unshare-user'];
      const args = [...user, '--unshare-pid', '--dev-bind', '/', '/', '--proc', '/proc', 'sh', '-c', script];
      const r = cpSpawnSync('bwrap', args, { encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, stdout: r.stdout };
    };
    const ours = (script: string) => {
      const r = spawnSync('/bin/sh', ['-c', script], { ...WITH_PROC, init: true, encoding: 'utf8' });
      return { status: r.status, stdout: r.stdout };
    };
    const results = scripts.map((script) => ({ script, bwrap: bwrap(script), nsbind: ours(script) }));
    for (const r of results) expect(r.nsbind, r.script).toEqual(r.bwrap);
    expect(results.map((r) => r.nsbind.status)).toEqual([0, 42, 128 + 15, 128 + 9, 0]);
    expect(results[0]?.nsbind.stdout).toBe('2\n');
    expect(results[4]?.nsbind.stdout).toBe('reaped\n');
  });

  it('a program that cannot be found: the same ENOENT at step exec, thrown; nothing left behind', () => {
    const fds = fdCount();
    expect(() => spawn('nsbind-no-such-program', [], { ...PID, init: true, env: { PATH: '/nonexistent' } })).toThrow(
      expect.objectContaining({ code: 'ENOENT', step: 'exec', path: 'nsbind-no-such-program' }),
    );
    expect(fdCount()).toBe(fds);
    expect(zombies()).toEqual([]);
  });

  it('runs after a chroot into a directory with no C library (exec from an fd opened before the clone)', async () => {
    const program = compileC('static-hello', '#include <stdio.h>\nint main(void) { puts("hello"); return 3; }\n', [
      '-static',
    ]);
    const child = spawn(`/${basename(program)}`, [], {
      ...WITH_PROC,
      mountProc: false,
      root: dirname(program),
      init: true,
    });
    expect(await output(child)).toMatchObject({ stdout: 'hello\n' });
    expect(await child.exited).toEqual({ code: 3, signal: null });
  });

  it('runs in a sandbox root built from nothing (mounts: pivot_root), where no nsbind-init exists', async () => {
    const { stdout } = await execFile('/bin/sh', ['-c', 'echo $$; ls /'], {
      namespaces: ['user', 'mnt', 'pid'],
      mapRootUser: true,
      init: true,
      mounts: [
        { type: 'bind', source: '/usr', target: '/usr', readonly: true },
        { type: 'symlink', source: 'usr/bin', target: '/bin' },
        { type: 'symlink', source: 'usr/lib', target: '/lib' },
        { type: 'symlink', source: 'usr/lib64', target: '/lib64' },
      ],
      env: { PATH: '/usr/bin' },
    });
    expect(stdout).toBe('2\nbin\nlib\nlib64\nusr\n');
  });

  it('needs a new pid namespace and a boolean', () => {
    expect(() => spawn('true', [], { init: true })).toThrow(/needs a new pid namespace/);
    expect(() => spawn('true', [], { ...PID, init: 1 as never })).toThrow(TypeError);
  });
});
