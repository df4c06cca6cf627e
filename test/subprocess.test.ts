import { execFileSync, spawn as nodeSpawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLONE_NEWUTS, Namespace, Pidfd, spawn } from '../lib/index.js';
import { native } from '../lib/native.js';
import { DIST, fdCount, isRoot, itRoot, output, runNode, thrown, zombies } from './support/env.js';
import { runInjected } from './support/inject.js';

const kill = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
const sh = (script: string) => spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });

describe('Subprocess', () => {
  it('exit codes and signals', async () => {
    expect(await sh('exit 7').exited).toEqual({ code: 7, signal: null });
    expect(await sh('kill -TERM $$').exited).toEqual({ code: null, signal: 'SIGTERM' });
    const sleeper = spawn('sleep', ['100'], { stdio: 'ignore' });
    const events: unknown[] = [];
    sleeper.on('exit', (...args) => events.push(args));
    expect(sleeper.kill('SIGKILL')).toBe(true);
    expect(await sleeper.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(sleeper.signalCode).toBe('SIGKILL');
    expect(sleeper.kill()).toBe(false);
    expect(events).toEqual([[null, 'SIGKILL']]);
    expect(() => sleeper.kill('SIGNOPE' as never)).toThrow(TypeError);
  });

  it('stdin, stdout and stderr pipes; env, argv0 and cwd', async () => {
    const child = spawn('/bin/sh', ['-c', 'read line; echo "got $line in $PWD as $0 with $FOO"; echo oops >&2'], {
      env: { FOO: 'bar', PATH: process.env.PATH },
      argv0: 'custom-name',
      cwd: '/tmp',
    });
    child.stdin!.end('hello\n');
    const out = await output(child);
    expect(out.stdout).toBe('got hello in /tmp as custom-name with bar\n');
    expect(out.stderr).toBe('oops\n');
  });

  it('the child gets fds 0-2 and those passed, nothing else of the parent', () => {
    // node with an inherited fd 3 that is NOT close-on-exec: the child must still not see it
    const script = `const { spawn } = require(process.env.NSBIND);
      const fs = require('fs');
      const c = spawn('/bin/sh', ['-c', 'ls /proc/self/fd'], { stdio: ['ignore', 'pipe', 'inherit', 'ignore'] });
      let out = ''; c.stdout.on('data', (d) => out += d);
      c.closed.then(() => console.log(JSON.stringify({ parent: fs.readdirSync('/proc/self/fd').length, child: out.trim().split('\\n') })));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, NSBIND: DIST },
      stdio: ['ignore', 'pipe', 'inherit', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 60_000,
    });
    const { parent, child } = JSON.parse(out);
    expect(parent).toBeGreaterThan(10);
    expect(child.map(Number).sort()).toEqual([0, 1, 2, 3, 4]); // 3 passed ('ignore'), 4: ls's own directory fd
  });

  it('hundreds of concurrent spawns: every exit delivered once, with its code; no zombies, no fds', async () => {
    const fds = fdCount();
    const children = Array.from({ length: 300 }, (_, i) =>
      spawn('/bin/sh', ['-c', `exit ${i % 256}`], { stdio: 'ignore' }),
    );
    const counts = new Array(300).fill(0);
    children.forEach((c, i) => {
      c.on('exit', () => counts[i]++);
    });
    const results = await Promise.all(children.map((c) => c.exited));
    expect(results.map((r) => r.code)).toEqual(children.map((_, i) => i % 256));
    await new Promise((r) => setImmediate(r));
    expect(counts.every((n) => n === 1)).toBe(true);
    expect(zombies()).toEqual([]);
    expect(fdCount()).toBe(fds);
  });

  it('from a worker thread; a worker terminated mid-flight leaves no zombie and no running child', async () => {
    const worker = new Worker(
      `const { parentPort } = require('worker_threads');
       const { spawn } = require(${JSON.stringify(DIST)});
       const quick = spawn('/bin/sh', ['-c', 'echo from-worker'], { stdio: ['ignore', 'pipe', 'ignore'] });
       let out = ''; quick.stdout.on('data', (d) => out += d);
       quick.closed.then((s) => {
         const sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
         parentPort.postMessage({ out, code: s.code, sleeper: sleeper.pid });
       });`,
      { eval: true },
    );
    const msg = await new Promise<{ out: string; code: number; sleeper: number }>((resolve) =>
      worker.once('message', resolve),
    );
    expect(msg).toMatchObject({ out: 'from-worker\n', code: 0 });
    expect(() => readlinkSync(`/proc/${msg.sleeper}/exe`)).not.toThrow(); // running
    await worker.terminate();
    expect(() => statSync(`/proc/${msg.sleeper}`)).toThrow(/ENOENT/); // killed and reaped
    expect(zombies()).toEqual([]);
  });

  it('unref lets the event loop end while the child runs; ref keeps it', async () => {
    /** node spawning sleep with `calls`: prints the sleep's pid, then its exit signal if it sees it end. */
    const node = (calls: string, onPid: (pid: number) => void) => {
      const script = `const { spawn } = require(process.env.NSBIND);
        const c = spawn('sleep', ['1000'], { stdio: 'ignore' })${calls};
        c.exited.then((s) => console.log(s.signal));
        console.log(c.pid);`;
      const child = nodeSpawn(process.execPath, ['-e', script], {
        env: { ...process.env, NSBIND: DIST },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        if (/^\d+\n$/.test(out)) onPid(Number(out));
      });
      const closed = new Promise<string[]>((resolve) => child.once('close', () => resolve(out.trim().split('\n'))));
      onTestFinished(async () => {
        child.kill('SIGKILL');
        await closed;
      });
      return closed;
    };
    // unref: node ends while sleep runs on, and never sees it end
    const [orphan, ...unrefOut] = await node('.unref()', (pid) => onTestFinished(() => kill(pid)));
    expect(readlinkSync(`/proc/${orphan}/exe`)).toMatch(/\/sleep$/);
    expect(unrefOut).toEqual([]);
    // unref, then ref: node waits for sleep (killed once its pid is out) and reports its end
    const [, ...refOut] = await node('.unref().ref()', kill);
    expect(refOut).toEqual(['SIGKILL']);
  });

  it("a handle on the child's namespaces: the child's own, not ours", async () => {
    const child = spawn('sleep', ['1000'], { namespaces: ['user', 'net'], mapRootUser: true, stdio: 'ignore' });
    try {
      using net = child.namespace('net');
      using ours = Namespace.current('net');
      expect(net.inode).toBe(statSync(`/proc/${child.pid}/ns/net`).ino);
      expect(net.equals(ours)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
  });

  it('namespace() after the child exited: ESRCH, never a namespace by its (reusable) pid', async () => {
    const child = spawn('sleep', ['1000'], { namespaces: ['user', 'uts'], mapRootUser: true, stdio: 'ignore' });
    using uts = child.namespace('uts');
    using pidNext = child.namespace('pid', { forChildren: true });
    expect(uts.inode).toBe(statSync(`/proc/${child.pid}/ns/uts`).ino);
    expect(pidNext.inode).toBe(statSync(`/proc/${child.pid}/ns/pid_for_children`).ino);
    // the same through /proc/PID/ns, the way for kernels before 6.11: kept because the pidfd says it lives
    const pidfd = watchedPidfd(child.pid);
    const viaProc = native.childNamespace(pidfd, CLONE_NEWUTS, false, true);
    if (typeof viaProc === 'number') throw new Error(`childNamespace: ${viaProc}`);
    native.close(viaProc[0]);
    expect(viaProc[3]).toBe(uts.inode);
    child.kill('SIGKILL');
    await child.exited;
    const e = thrown(() => child.namespace('uts'));
    expect(e).toMatchObject({ code: 'ESRCH', path: `/proc/${child.pid}/ns/uts` });
    expect(e.hint).toMatch(/exited.*another process/);
    expect(native.childNamespace(pidfd, CLONE_NEWUTS, false, true)).toBe(-constants.errno.ESRCH);
  });

  itRoot('pid reuse (forced with ns_last_pid in a pid namespace of its own): ESRCH, not the new process', () => {
    const out = runNode(
      `const m = require(process.env.NSBIND);
      const fs = require('fs'), cp = require('child_process');
      const child = m.spawn('/bin/true', [], { stdio: 'ignore' });
      const pid = child.pid;
      child.exited.then(() => {
        fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1)); // the next process gets pid
        const other = cp.spawn('unshare', ['--uts', 'sleep', '60'], { stdio: 'ignore' });
        const ours = fs.readlinkSync('/proc/self/ns/uts');
        const moved = () => { try { return fs.readlinkSync('/proc/' + pid + '/ns/uts') !== ours; } catch { return false; } };
        const wait = () => {
          if (!moved()) return setImmediate(wait); // unshare(1) has not exec'd sleep in its uts namespace yet
          let via;
          try { child.namespace('uts'); via = 'a handle'; } catch (e) { via = e.code; }
          console.log(JSON.stringify({ reused: other.pid === pid, byPid: fs.readlinkSync('/proc/' + pid + '/ns/uts') !== ours, via }));
          other.kill('SIGKILL');
        };
        wait();
      });`,
      { prefix: ['unshare', '--pid', '--fork', '--mount-proc'] },
    );
    // the pid is another process's now, in another uts namespace; the child's handle says it is gone
    expect(JSON.parse(out)).toEqual({ reused: true, byPid: true, via: 'ESRCH' });
  });

  it('keeps no fd and no zombie over many spawns and failed execs', async () => {
    const fds = fdCount();
    for (let i = 0; i < 200; i++) {
      await sh('exit 0').exited;
      await spawn('/bin/true').closed; // all three stdio piped; stdin never written to or ended by us
      try {
        spawn('/nonexistent');
      } catch {
        // exec failure
      }
    }
    expect(fdCount()).toBe(fds);
    expect(zombies()).toEqual([]);
  });

  it("a throwing 'exit' listener is an uncaught exception, as with child_process; exited and closed still resolve", () => {
    const script = (handled: boolean) => `const { spawn } = require(process.env.NSBIND);
      const cp = require('child_process');
      const seen = [];
      ${handled ? "process.on('uncaughtException', (e) => seen.push('uncaught: ' + e.message));" : ''}
      process.on('unhandledRejection', (e) => seen.push('unhandled rejection: ' + e));
      process.on('exit', () => console.log(JSON.stringify(seen.sort())));
      const ours = spawn('/bin/true', [], { stdio: 'ignore' });
      ours.on('exit', () => { throw new Error('from nsbind'); });
      ours.exited.then((s) => seen.push('exited ' + s.code), () => seen.push('exited rejected'));
      ours.closed.then((s) => seen.push('closed ' + s.code), () => seen.push('closed rejected'));
      cp.spawn('/bin/true', [], { stdio: 'ignore' }).on('exit', () => { throw new Error('from child_process'); });`;
    expect(JSON.parse(runNode(script(true)))).toEqual([
      'closed 0',
      'exited 0',
      'uncaught: from child_process',
      'uncaught: from nsbind',
    ]);
    // without a handler the process ends on the first one, whichever it is, as any uncaught exception ends it
    const unhandled = spawnSync(process.execPath, ['-e', script(false)], {
      env: { ...process.env, NSBIND: DIST },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(unhandled.status).toBe(1);
    expect(unhandled.stderr).toMatch(/Error: from (nsbind|child_process)/);
    expect(unhandled.stderr).not.toMatch(/unhandled rejection/i);
  });

  it('a failed waitid is reported as such (exited: code and signal null, error ECHILD), not as exit code 0', () => {
    const script = `const { spawn } = require(process.env.NSBIND);
      const c = spawn('/bin/sh', ['-c', 'exit 3'], { stdio: 'ignore' });
      c.on('exit', (code, signal) => console.log(JSON.stringify({ event: [code, signal] })));
      c.exited.then((s) => console.log(JSON.stringify({ ...s, error: { code: s.error?.code, syscall: s.error?.syscall } })));`;
    const [event, status] = runInjected(script, 'waitid-echild')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(event).toEqual({ event: [null, null] });
    expect(status).toEqual({ code: null, signal: null, error: { code: 'ECHILD', syscall: 'waitid' } });
  });

  it('util.inspect shows pid, state, pidfd, file and namespaces: not streams and listeners', async () => {
    const options = isRoot
      ? { namespaces: ['uts' as const] }
      : { namespaces: ['user' as const, 'uts' as const], mapRootUser: true };
    const child = spawn('sleep', ['100'], { ...options, join: { net: '/proc/self/ns/net' } });
    child.on('exit', () => {});
    const shown = inspect(child);
    const names = options.namespaces.join(',');
    expect(shown).toMatch(
      new RegExp(`^Subprocess <pid=${child.pid} running fd=\\d+ "sleep" new=\\[${names}\\] joined=\\[net\\]>$`),
    );
    child.kill('SIGKILL');
    await child.exited;
    expect(inspect(child)).toBe(`Subprocess <pid=${child.pid} killed by SIGKILL "sleep" new=[${names}] joined=[net]>`);
    const done = spawn('/bin/sh', ['-c', 'exit 4'], { stdio: 'ignore' });
    await done.exited;
    expect(inspect({ done })).toBe(`{ done: Subprocess <pid=${done.pid} exited 4 "/bin/sh"> }`);
    using ns = Namespace.current('uts');
    expect(inspect(ns)).toBe(`Namespace <uts:[${ns.inode}] fd=${ns.fd} /proc/thread-self/ns/uts>`);
    using pidfd = Pidfd.open(process.pid);
    expect(inspect(pidfd)).toBe(`Pidfd <pid=${process.pid} fd=${pidfd.fd}>`);
  });

  it('typed events: exit and close listeners get (code, signal), error an Error, spawn nothing', () => {
    const child = spawn('true', [], { stdio: 'ignore' });
    child.on('exit', (code, signal) => {
      const c: number | null = code;
      const s: NodeJS.Signals | null = signal;
      return [c, s];
    });
    child.once('close', (code: number | null) => code);
    child.on('error', (e) => e.message);
    child.on('spawn', () => {});
    // @ts-expect-error: 'exit' gives a code, not a string
    child.on('exit', (code: string) => code);
    // @ts-expect-error: no such event
    child.on('exited', () => {});
    return child.exited;
  });
});

/** The pidfd this environment watches for child `pid` (found through /proc/self/fdinfo). */
function watchedPidfd(pid: number): number {
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      if (readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1').includes(`\nPid:\t${pid}\n`)) return Number(fd);
    } catch {
      // closed meanwhile
    }
  }
  throw new Error(`no pidfd for ${pid}`);
}
