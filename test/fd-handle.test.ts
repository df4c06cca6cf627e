import { closeSync, fstatSync, openSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closedError, FdHandle } from '../lib/fd-handle.js';
import { runNode } from './support/env.js';

/** The smallest FdHandle: owns an fd of /dev/null. */
class Probe extends FdHandle {
  constructor() {
    super(openSync('/dev/null', 'r'));
  }
  protected override [closedError](): Error {
    return new Error('probe closed');
  }
}

const isOpen = (fd: number) => {
  try {
    fstatSync(fd);
    return true;
  } catch (e) {
    expect(e).toMatchObject({ code: 'EBADF' });
    return false;
  }
};

describe('FdHandle', () => {
  it('owns its fd until close(); then the fd is closed in the kernel and using the handle throws its error', () => {
    const p = new Probe();
    const fd = p.fd;
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe('/dev/null');
    expect(p.closed).toBe(false);
    p.close();
    expect(p.closed).toBe(true);
    expect(isOpen(fd)).toBe(false);
    expect(() => p.fd).toThrow('probe closed');
  });

  it('a second close() leaves alone a file that got the same fd number', () => {
    const p = new Probe();
    const fd = p.fd;
    p.close();
    const other = openSync('/proc/self/status', 'r'); // the lowest free number: the one just closed
    try {
      expect(other).toBe(fd);
      p.close();
      p[Symbol.dispose]();
      expect(readlinkSync(`/proc/self/fd/${other}`)).toBe(`/proc/${process.pid}/status`);
    } finally {
      closeSync(other);
    }
  });

  it('`using` closes at the end of the scope, also when it is left by a throw', () => {
    let fd = -1;
    {
      using p = new Probe();
      fd = p.fd;
    }
    expect(isOpen(fd)).toBe(false);
    expect(() => {
      using p = new Probe();
      fd = p.fd;
      throw new Error('leave');
    }).toThrow('leave');
    expect(isOpen(fd)).toBe(false);
  });

  it('a handle dropped without close() gives its fd back at garbage collection; a closed one frees nothing twice', () => {
    // node --expose-gc: drop a namespace handle and a pidfd, collect until their finalizers have run.
    // (Handles are made inside functions: a top-level const of a script would live on.)
    const script = `const { Namespace, Pidfd } = require(process.env.NSBIND);
      const { readdirSync, readlinkSync, openSync } = require('fs');
      const links = () => readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync('/proc/self/fd/' + fd); } catch { return ''; } });
      const count = (target) => links().filter((l) => l === target).length;
      const pidfds = () => links().filter((l) => l.includes('pidfd')).length;
      const dropped = () => { void Pidfd.open(process.pid); return String(Namespace.current('net')); };
      const closedThenReused = () => { const ns = Namespace.current('ipc'); const n = ns.fd; ns.close(); return [n, openSync('/proc/self/status', 'r')]; };
      const kept = Namespace.current('uts');
      const net = dropped();
      const [number, reused] = closedThenReused(); // the closed handle's finalizer must not close the new file
      const before = [count(net), pidfds(), reused === number];
      (async () => {
        for (let i = 0; i < 100 && (count(net) || pidfds()); i++) {
          gc();
          await new Promise((r) => setImmediate(r)); // finalizers run after the collection, from the event loop
        }
        console.log(JSON.stringify({ before, after: [count(net), pidfds()], kept: count(String(kept)), reused: readlinkSync('/proc/self/fd/' + reused) }));
      })();`;
    const out = JSON.parse(
      runNode(script, { env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc` } }),
    ) as Record<string, unknown>;
    expect(out).toEqual({ before: [1, 1, true], after: [0, 0], kept: 1, reused: expect.stringMatching(/\/status$/) });
  });

  it('handles a worker never closed are closed when it exits or is terminated: 300 in 3 workers, no fd left', () => {
    const out = runNode(`const { Worker } = require('worker_threads');
      const fs = require('fs');
      const count = () => fs.readdirSync('/proc/self/fd').length;
      const body = \`const m = require(process.env.NSBIND);
        const { parentPort, workerData } = require('worker_threads');
        globalThis.kept = [];
        for (let i = 0; i < 100; i++) kept.push(i % 2 ? m.Namespace.current('net') : m.Pidfd.open(process.pid));
        if (workerData === 'exit') process.exit(0);
        parentPort.postMessage(kept.length);
        if (workerData === 'terminate') setInterval(() => {}, 1000);\`;
      const run = async (how) => {
        const w = new Worker(body, { eval: true, workerData: how });
        const exited = new Promise((r) => w.once('exit', r));
        if (how === 'terminate') { await new Promise((r) => w.once('message', r)); await w.terminate(); }
        await exited;
      };
      (async () => {
        await run('return'); // Node's own fds for workers, once
        const before = count();
        for (const how of ['exit', 'return', 'terminate']) await run(how);
        console.log(JSON.stringify({ before, after: count() }));
      })();`);
    const { before, after } = JSON.parse(out);
    expect(after).toBe(before);
  });
});
