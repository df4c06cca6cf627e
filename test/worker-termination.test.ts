// worker.terminate() while the worker is inside a native call of any kind:
// N-API calls start failing under it (napi_throw among them), and nothing
// may abort the process. Each kind runs in a process of its own (a lifecycle
// test, as classic-level has them): workers are started and terminated in a
// loop, each at a different point of its calls, and then that process must
// still be there, with no child, zombie or fd of the workers left over.
import { describe, expect, it } from 'vitest';
import { runNode } from './support/env.js';

const ROUNDS = 40;

/**
 * Per kind: a statement the worker repeats (`m` is nsbind); `ready()` tells the parent to terminate it.
 * The workers' children sleep 60 s: longer than any worker lives, and not long should a failing host
 * leave them behind.
 */
const KINDS: Record<string, string> = {
  spawn: `m.spawn('/bin/true', [], { stdio: ['ignore', 'inherit', 'ignore'] })`,
  'spawn, children left running': `m.spawn('sleep', ['60'], { stdio: 'ignore' })`,
  'spawn that fails (exec)': `try { m.spawn('/nonexistent/x', [], { stdio: 'inherit' }); } catch {}`,
  'spawn in new namespaces': `try { m.spawn('/bin/true', [], { namespaces: ['user', 'net'], mapRootUser: true, stdio: 'ignore' }); } catch {}`,
  // spawnSync's output Buffers are made after the wait, as the termination begins; execFile's pipes stay open
  spawnSync: `m.spawnSync('/bin/sh', ['-c', 'echo out; echo err >&2'], { input: 'x' })`,
  execFile: `m.execFile('/bin/true').catch(() => {})`,
  'Namespace.current, close': `m.Namespace.current('net').close()`,
  'Namespace.open of a bad file': `try { m.Namespace.open('/proc/self/status'); } catch {}`,
  'ioctls (NS_GET_*)': `{ const n = m.Namespace.current('user'); try { n.ownerUid(); n.id(); n.parent().close(); } catch {} n.close(); }`,
  'mount namespace queries': `{ const n = m.Namespace.current('mnt'); try { n.mntInfo(); n.mntnsId(); n.mntNext().close(); } catch {} n.close(); }`,
  'Namespace.fromFd, Pidfd.open': `{ m.Namespace.fromFd(held.fd).close(); m.Pidfd.open(process.pid).close(); }`,
  listNamespaces: `m.listNamespaces()`,
  'setns into its own namespace': `try { m.setns(held); } catch {}`,
  'kill, ref': `{ child.kill(0); child.unref(); child.ref(); }`,
  'spawn paused, resume or not': `{ const c = m.spawn('/bin/true', [], { paused: true, stdio: 'ignore' }); if (Math.random() < 0.5) c.resume(); }`,
  // unshare (a user namespace: always refused, EINVAL), and withNamespaces({ mnt }): unshare(CLONE_FS),
  // openCwd, setns (refused as nobody), fchdir, close, and the errors' errnoName
  'unshare, withNamespaces (openCwd, fchdir)': `try {
    try { m.unshare('user'); } catch {}
    globalThis.box ??= m.spawn('sleep', ['60'], { namespaces: ['user', 'mnt'], mapRootUser: true, stdio: 'ignore' });
    m.withNamespaces({ mnt: '/proc/' + box.pid + '/ns/mnt' }, () => {});
  } catch {}`,
  // persist, release (EPERM as nobody); the host removes what a stopped worker left mounted
  'persist, release': `{ const t = process.env.DIR + '/' + require('worker_threads').threadId;
    try { m.persist(held, t); m.release(t); } catch {} }`,
  // sockets made inside (a clone), rtnetlink, a lookup on a thread of nsbind's
  'network: socket, netlink, lookup': `{ const n = m.network(held);
    try { n.dgram('udp4').then((s) => s.close(), () => {}); n.link.list(); n.lookup('localhost').catch(() => {}); }
    finally { n.close(); } }`,
};

/** The process that starts and terminates the workers; it prints what is left over. */
const host = (kind: string) => `const { Worker } = require('worker_threads');
  const fs = require('fs');
  const links = () => new Map(fs.readdirSync('/proc/self/fd').map((fd) => [fd, (() => { try { return fs.readlinkSync('/proc/self/fd/' + fd); } catch { return ''; } })()]));
  // (from /proc: ps(1) can hang with a sanitizer runtime preloaded)
  const children = () => fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
    try { const stat = fs.readFileSync('/proc/' + p + '/stat', 'latin1'); return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(process.pid); }
    catch { return false; }
  });
  const body = ${JSON.stringify(KINDS[kind])};
  const worker = \`const m = require(process.env.NSBIND);
    const { parentPort } = require('worker_threads');
    const held = m.Namespace.current('net');
    const child = m.spawn('sleep', ['60'], { stdio: 'ignore' });
    const at = Math.floor(Math.random() * 20);
    for (let i = 0; ; i++) { if (i === at) parentPort.postMessage('ready'); \${body}; }\`;
  const round = async (code) => {
    const w = new Worker(code, { eval: true });
    await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
  };
  process.env.DIR = fs.mkdtempSync('/tmp/nsbind-worker-');
  fs.chmodSync(process.env.DIR, 0o777);
  (async () => {
    await round("require('worker_threads').parentPort.postMessage('ready')"); // Node's own fds for workers, once
    const before = links();
    for (let i = 0; i < ${ROUNDS}; i++) await round(worker);
    const after = links();
    // (an fd readdir itself used reads as '')
    const leaked = [...after].filter(([fd, link]) => link && before.get(fd) !== link).map(([, link]) => link);
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n'))
      if (line.split(' ')[4]?.startsWith(process.env.DIR + '/')) require('child_process').spawnSync('umount', ['-l', line.split(' ')[4]]);
    fs.rmSync(process.env.DIR, { recursive: true });
    console.log(JSON.stringify({ children: children(), leaked, cwd: process.cwd() }));
  })();`;

describe('worker.terminate() in the middle of native calls', () => {
  it.each(Object.keys(KINDS))(
    '%s: the process lives on, nothing of the workers is left',
    (kind) => {
      const { children, leaked } = JSON.parse(runNode(host(kind)));
      expect(children).toEqual([]); // the workers' children killed and reaped: none running, no zombie
      // Every fd nsbind handed a worker is closed at its teardown (handles, pidfds, the working directory
      // withNamespaces holds, its own netlink socket), and what libuv took over is closed by Node.
      expect(leaked).toEqual([]);
    },
    120_000,
  );
});
