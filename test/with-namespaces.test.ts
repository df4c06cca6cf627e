import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Namespace, NamespaceError, type NamespaceType, withNamespaces } from '../lib/index.js';
import { type Fixture, fdCount, fixture, isRoot, itRoot, runNode, threadNamespaces } from './support/env.js';
import { removeScratch, scratchDir } from './support/mounts.js';

const TYPES: NamespaceType[] = ['net', 'uts', 'ipc', 'mnt', 'time', 'cgroup'];
const snapshot = () => new Map(TYPES.map((t) => [t, threadNamespaces(t)]));

describe('withNamespaces (calling thread, synchronous)', () => {
  let box: Fixture;
  beforeAll(async () => {
    if (!isRoot) return;
    // net (lo up), uts (hostname), mnt (a tmpfs with a file), time
    box = await fixture(['--net', '--uts', '--mount', '--time', '--propagation', 'private'], {
      setup: 'ip link set lo up && hostname nsbind-box && mount -t tmpfs box /mnt && echo inside > /mnt/marker',
    });
  });
  afterAll(async () => {
    await box?.stop();
  });

  itRoot('runs fn inside (hostname, only lo) and every thread is back afterwards', () => {
    const before = snapshot();
    const seen = withNamespaces({ uts: `/proc/${box.pid}/ns/uts`, net: `/proc/${box.pid}/ns/net` }, () => ({
      hostname: hostname(),
      devices: readFileSync('/proc/thread-self/net/dev', 'latin1')
        .split('\n')
        .slice(2)
        .filter(Boolean)
        .map((l) => l.split(':')[0]!.trim()),
      uts: statSync('/proc/thread-self/ns/uts').ino,
    }));
    expect(seen.hostname).toBe('nsbind-box');
    expect(seen.devices).toEqual(['lo']);
    expect(seen.uts).toBe(statSync(`/proc/${box.pid}/ns/uts`).ino);
    expect(hostname()).not.toBe('nsbind-box');
    expect(snapshot()).toEqual(before);
  });

  itRoot('a server socket created inside stays in that network namespace', async () => {
    // listen(port) without a host binds synchronously; with a host Node resolves it first
    // (asynchronously), and the socket would be created outside.
    const server: Server = withNamespaces({ net: `/proc/${box.pid}/ns/net` }, () =>
      createServer((s) => s.end('from the box')).listen(0),
    );
    try {
      await new Promise((r) => server.once('listening', r));
      const { port } = server.address() as { port: number };
      // from the host's network namespace the port is closed…
      await expect(talk(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      // …and a process started inside (child_process forks from this thread) reaches it
      const script = `require('net').connect(${port}, '127.0.0.1').on('data', (d) => process.stdout.write(d))`;
      const child = withNamespaces({ net: `/proc/${box.pid}/ns/net` }, () =>
        execFile(process.execPath, ['-e', script]),
      ); // forked now, inside
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      await new Promise((r) => child.once('close', r));
      expect(out).toBe('from the box');
    } finally {
      server.close();
    }
  });

  itRoot('mount namespace: the main thread sees its files, the libuv pool does not; cwd is restored', async () => {
    const cwd = readlinkSync('/proc/thread-self/cwd');
    let pending: Promise<string> | undefined;
    const inside = withNamespaces({ mnt: `/proc/${box.pid}/ns/mnt` }, () => {
      pending = readFile('/mnt/marker', 'utf8'); // runs later, on a pool thread outside
      return readFileSync('/mnt/marker', 'utf8');
    });
    expect(inside).toBe('inside\n');
    await expect(pending).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => readFileSync('/mnt/marker')).toThrow(/ENOENT/);
    expect(readlinkSync('/proc/thread-self/cwd')).toBe(cwd);
  });

  itRoot('restores when fn throws, and rethrows the same error', () => {
    const before = snapshot();
    const boom = new Error('boom');
    expect(() =>
      withNamespaces(
        { net: `/proc/${box.pid}/ns/net`, uts: `/proc/${box.pid}/ns/uts`, mnt: `/proc/${box.pid}/ns/mnt` },
        () => {
          expect(hostname()).toBe('nsbind-box');
          throw boom;
        },
      ),
    ).toThrow(boom);
    expect(snapshot()).toEqual(before);
  });

  itRoot('a promise from fn: restored, then a TypeError saying async work would escape', async () => {
    const before = snapshot();
    let rejected = false;
    const unhandled = (): void => {
      rejected = true;
    };
    process.on('unhandledRejection', unhandled);
    try {
      expect(() => withNamespaces({ uts: `/proc/${box.pid}/ns/uts` }, async () => hostname())).toThrow(
        /returned a promise.*outside/s,
      );
      expect(() => withNamespaces({ uts: `/proc/${box.pid}/ns/uts` }, () => Promise.reject(new Error('x')))).toThrow(
        TypeError,
      );
      // an unhandled rejection is reported once this task's microtasks have run: before the next setImmediate
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('unhandledRejection', unhandled);
    }
    expect(rejected).toBe(false);
    expect(snapshot()).toEqual(before);
  });

  itRoot('a failed entry undoes the ones already made (net entered, time refused)', () => {
    const before = snapshot();
    try {
      withNamespaces({ net: `/proc/${box.pid}/ns/net`, time: `/proc/${box.pid}/ns/time` }, () => expect.unreachable());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NamespaceError);
      expect(e).toMatchObject({ code: 'EUSERS', syscall: 'setns' });
    }
    expect(snapshot()).toEqual(before);
  });

  itRoot('a failed restore is loud: NamespaceRestoreError and a process warning', () => {
    // fn drops privileges (all threads), so setns back fails with EPERM; run it in its own process
    const out = runNode(`const { withNamespaces, NamespaceRestoreError } = require(process.env.NSBIND);
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.name));
      try { withNamespaces({ uts: '/proc/${box.pid}/ns/uts' }, () => process.setuid(65534)); }
      catch (e) { console.log(JSON.stringify({ restore: e instanceof NamespaceRestoreError, name: e.name, code: e.code, type: e.type, hint: e.hint })); }
      setImmediate(() => console.log(JSON.stringify(warnings)));`);
    const [error, warnings] = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(error).toMatchObject({ restore: true, name: 'NamespaceRestoreError', code: 'EPERM', type: 'uts' });
    expect(error.hint).toMatch(/WRONG uts namespace/);
    expect(warnings).toEqual(['NamespaceRestoreWarning']);
  });

  it('targets already current are skipped, so this works unprivileged too', () => {
    using net = Namespace.current('net');
    expect(withNamespaces({ net, uts: '/proc/thread-self/ns/uts' }, () => 42)).toBe(42);
    const out = runNode(
      `const { withNamespaces } = require(process.env.NSBIND);
      console.log(withNamespaces({ net: '/proc/self/ns/net' }, () => 'ran'));`,
      { asNobody: isRoot },
    );
    expect(out.trim()).toBe('ran');
  });

  it('validates arguments before touching any namespace', () => {
    const before = fdCount();
    using net = Namespace.current('net');
    expect(() => withNamespaces(null as never, () => 1)).toThrow(TypeError);
    expect(() => withNamespaces([] as never, () => 1)).toThrow(TypeError);
    expect(() => withNamespaces({ network: net } as never, () => 1)).toThrow(/unknown namespace type "network"/);
    expect(() => withNamespaces({ uts: net }, () => 1)).toThrow(/targets.uts is a net namespace/);
    expect(() => withNamespaces({ net: {} as never }, () => 1)).toThrow(TypeError);
    expect(() => withNamespaces({ net: -1 }, () => 1)).toThrow(RangeError);
    expect(() => withNamespaces({ net }, 'fn' as never)).toThrow(TypeError);
    expect(() => withNamespaces({ net: '/etc/hostname' }, () => 1)).toThrow(NamespaceError);
    expect(fdCount()).toBe(before + 1);
  });

  itRoot('a Worker started inside lives in the namespaces entered; the caller comes back, mnt too', () => {
    const out = runNode(
      `const m = require(process.env.NSBIND);
      const fs = require('fs');
      const { Worker } = require('worker_threads');
      const ns = '/proc/' + process.env.BOX + '/ns/';
      const links = () => ['net', 'uts', 'mnt'].map((t) => fs.readlinkSync('/proc/thread-self/ns/' + t));
      const home = links();
      let w;
      m.withNamespaces({ net: ns + 'net', uts: ns + 'uts', mnt: ns + 'mnt' }, () => {
        w = new Worker(\`const fs = require('fs');
          const links = ['net', 'uts', 'mnt'].map((t) => fs.readlinkSync('/proc/thread-self/ns/' + t));
          require('worker_threads').parentPort.postMessage({ links, hostname: require('os').hostname(), marker: fs.readFileSync('/mnt/marker', 'utf8') });\`, { eval: true });
      });
      const main = links();
      w.once('message', (worker) => { console.log(JSON.stringify({ home, main, worker, cwd: process.cwd() })); w.terminate(); });`,
      { env: { BOX: String(box.pid) } },
    );
    const r = JSON.parse(out);
    expect(r.main).toEqual(r.home);
    expect(r.worker.links).toEqual(['net', 'uts', 'mnt'].map((t) => readlinkSync(`/proc/${box.pid}/ns/${t}`)));
    expect(r.worker).toMatchObject({ hostname: 'nsbind-box', marker: 'inside\n' });
  });

  itRoot("mnt: process.cwd() and path.resolve agree with fs inside and afterwards (Node's cwd cache)", () => {
    const dir = scratchDir('cwd');
    try {
      writeFileSync(join(dir, 'f'), '');
      const probe = `() => ({ cwd: process.cwd(), real: fs.readlinkSync('/proc/thread-self/cwd'), seen: fs.existsSync(path.resolve('f')) })`;
      const out = runNode(
        `const m = require(process.env.NSBIND);
        const fs = require('fs'), path = require('path');
        const { Worker } = require('worker_threads');
        process.chdir(process.env.DIR); // Node's cache is empty now
        const inside = m.withNamespaces({ mnt: '/proc/' + process.env.BOX + '/ns/mnt' }, ${probe});
        const after = (${probe})();
        const w = new Worker(\`const m = require(process.env.NSBIND);
          const fs = require('fs'), path = require('path');
          m.withNamespaces({ mnt: '/proc/' + process.env.BOX + '/ns/mnt' }, ${probe});
          require('worker_threads').parentPort.postMessage((${probe})());\`, { eval: true });
        w.once('message', (worker) => { console.log(JSON.stringify({ inside, after, worker })); w.terminate(); });`,
        { env: { BOX: String(box.pid), DIR: dir } },
      );
      const r = JSON.parse(out);
      expect(r.inside).toEqual({ cwd: '/', real: '/', seen: false }); // at the namespace's root, no f there
      expect(r.after).toEqual({ cwd: dir, real: dir, seen: true });
      expect(r.worker).toEqual({ cwd: dir, real: dir, seen: true });
    } finally {
      removeScratch(dir);
    }
  });

  itRoot("pid: restores what the thread's children get (pid_for_children), not the thread's own pid namespace", () => {
    const out = runNode(`const m = require(process.env.NSBIND);
      const fs = require('fs'), cp = require('child_process');
      const link = (p) => fs.readlinkSync(p);
      let hint;
      m.unshare('pid');
      try { m.withNamespaces({ pid: '/proc/thread-self/ns/pid' }, () => {}); } catch (e) { hint = e.code + ': ' + e.hint; }
      const init = cp.spawn('sleep', ['60'], { stdio: 'ignore' }); // the new pid namespace's first process
      const own = link('/proc/thread-self/ns/pid'), next = link('/proc/thread-self/ns/pid_for_children');
      const inside = m.withNamespaces({ pid: '/proc/thread-self/ns/pid' }, () => link('/proc/thread-self/ns/pid_for_children'));
      const after = link('/proc/thread-self/ns/pid_for_children');
      const later = cp.spawn('sleep', ['60'], { stdio: 'ignore' });
      const child = link('/proc/' + later.pid + '/ns/pid');
      init.kill('SIGKILL'); later.kill('SIGKILL');
      console.log(JSON.stringify({ hint, own, next, inside, after, child }));`);
    const r = JSON.parse(out);
    expect(r.next).not.toBe(r.own);
    expect(r.inside).toBe(r.own);
    expect(r.after).toBe(r.next);
    expect(r.child).toBe(r.next);
    // before the first child, pid_for_children cannot be opened: refused before anything moves
    expect(r.hint).toMatch(/^ENOENT: .*no process yet.*start its first child/);
  });

  itRoot('keeps no fd over thousands of cycles', () => {
    const before = fdCount();
    using net = Namespace.ofPid(box.pid, 'net');
    for (let i = 0; i < 2000; i++) {
      withNamespaces({ net, uts: `/proc/${box.pid}/ns/uts` }, () => i);
      try {
        withNamespaces({ ipc: `/proc/${box.pid}/ns/ipc` }, () => {
          throw new Error('x');
        });
      } catch {
        // expected
      }
    }
    net.close();
    expect(fdCount()).toBe(before);
  });
});

/** Connect to 127.0.0.1:port from this namespace and read everything the server sends. */
function talk(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}
