// Thread hygiene: whatever fails, every thread of the process stays in the
// namespaces it started in. (withNamespaces' own restore is in its tests.)
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES, Namespace, NamespaceError, setns, spawn, unshare, withNamespaces } from '../lib/index.js';
import { DIST, type Fixture, fixture, isRoot, itRoot, runNode, threadNamespaces } from './support/env.js';

const all = () => new Map(NAMESPACE_TYPES.map((t) => [t, threadNamespaces(t)]));
/** The namespaces of threads present both times must be the same. */
function expectSame(before: ReturnType<typeof all>): void {
  for (const [type, threads] of all()) {
    for (const [tid, ino] of threads)
      if (before.get(type)!.has(tid)) expect(ino, `thread ${tid}, ${type}`).toBe(before.get(type)!.get(tid));
  }
}

describe('thread hygiene', () => {
  let box: Fixture | undefined;
  beforeAll(async () => {
    if (isRoot) box = await fixture(['--net', '--uts', '--ipc', '--mount', '--time', '--user', '--map-root-user']);
  });
  afterAll(async () => {
    await box?.stop();
  });

  it('after every kind of failing call, no thread has moved', () => {
    const before = all();
    const fnError = new Error('fn failed');
    const target = (t: string) => (box ? `/proc/${box.pid}/ns/${t}` : `/proc/self/ns/${t}`);
    const failing: (() => unknown)[] = [
      () => unshare(['user']),
      () => unshare(['net', 'user']),
      () => setns(target('user')),
      () => setns(target('mnt'), 'mnt'),
      () => setns(target('time')),
      () => setns(target('net'), 'uts'),
      // net and uts entered, then time refused (EUSERS; as nobody the time target is not a namespace at all)
      () =>
        withNamespaces(
          { net: target('net'), uts: target('uts'), time: box ? target('time') : '/proc/self/status' },
          () => 1,
        ),
      () =>
        withNamespaces({ net: target('net') }, () => {
          throw fnError;
        }),
      () => withNamespaces({ uts: target('uts') }, async () => 1),
      () => spawn('/nonexistent', [], { namespaces: ['uts', 'net'] }),
      () => spawn('/bin/true', [], { join: { net: target('net') }, cwd: '/nonexistent' }),
      () => Namespace.open('/proc/self/status'),
    ];
    let failures = 0;
    for (const call of failing) {
      try {
        call();
      } catch (e) {
        failures++;
        expect(e instanceof NamespaceError || e instanceof TypeError || e === fnError, String(e)).toBe(true);
      }
      expectSame(before);
    }
    expect(failures).toBe(failing.length);
  });

  itRoot("withNamespaces in a worker moves only that worker's thread, and back", async () => {
    const before = all();
    const worker = new Worker(
      `const { parentPort, workerData } = require('worker_threads');
       const { withNamespaces } = require(workerData.dist);
       const fs = require('fs');
       const inside = withNamespaces({ net: workerData.net }, () => fs.readlinkSync('/proc/thread-self/ns/net'));
       parentPort.postMessage({ inside, after: fs.readlinkSync('/proc/thread-self/ns/net') });`,
      { eval: true, workerData: { dist: DIST, net: `/proc/${box!.pid}/ns/net` } },
    );
    const msg = await new Promise<{ inside: string; after: string }>((resolve) => worker.once('message', resolve));
    await worker.terminate();
    using ours = Namespace.current('net');
    expect(msg.inside).toBe(`net:[${Namespace.ofPid(box!.pid, 'net').inode}]`);
    expect(msg.after).toBe(String(ours));
    expectSame(before);
  });

  it('the libuv pool exists as soon as nsbind is loaded (before any thread can switch)', () => {
    const out = runNode(
      `const fs = require('fs');
      const threads = () => fs.readdirSync('/proc/self/task').length;
      const start = threads();
      require(process.env.NSBIND);
      const loaded = threads();
      fs.stat('/', () => console.log(JSON.stringify({ start, loaded, used: threads() })));`,
      { asNobody: isRoot, env: { UV_THREADPOOL_SIZE: '3' } },
    );
    const { start, loaded, used } = JSON.parse(out);
    expect(loaded - start).toBe(3); // the pool's 3 threads, started by loading nsbind
    expect(used).toBe(loaded); // the first fs callback started none
  });

  /** Runs `switchIn` (which moves the main thread into box's net namespace), then async work of every kind. */
  const poolAfter = (switchIn: string) => `const m = require(process.env.NSBIND);
    const fs = require('fs'), dns = require('dns'), crypto = require('crypto'), zlib = require('zlib');
    const { Worker } = require('worker_threads');
    const home = fs.readlinkSync('/proc/thread-self/ns/net');
    const net = '/proc/' + process.env.BOX + '/ns/net';
    const pending = [];
    const work = () => {
      pending.push(new Promise((r) => fs.stat('/', r)), new Promise((r) => dns.lookup('localhost', r)));
      pending.push(new Promise((r) => crypto.randomBytes(8, r)), new Promise((r) => zlib.gzip('x', r)));
      pending.push(new Promise((r) => crypto.pbkdf2('a', 'b', 1, 8, 'sha1', r)));
    };
    ${switchIn};
    Promise.all(pending).then(() => {
      const where = {};
      for (const tid of fs.readdirSync('/proc/self/task'))
        try { where[tid] = fs.readlinkSync('/proc/self/task/' + tid + '/ns/net'); } catch {}
      // a worker started now starts in the namespaces of the thread that starts it (here: the main thread's)
      const w = new Worker("require('worker_threads').parentPort.postMessage(require('fs').readlinkSync('/proc/thread-self/ns/net'))", { eval: true });
      w.once('message', (worker) => {
        console.log(JSON.stringify({ home, main: where[process.pid], worker, others: Object.entries(where).filter(([t]) => t !== String(process.pid)).map(([, n]) => n) }));
        w.terminate();
      });
    });`;

  itRoot('fs, dns.lookup, crypto, zlib started inside withNamespaces: every thread stays home', () => {
    const r = JSON.parse(runNode(poolAfter('m.withNamespaces({ net }, work)'), { env: { BOX: String(box!.pid) } }));
    expect(new Set(r.others)).toEqual(new Set([r.home])); // the pool too: it existed before the switch
    expect(r.main).toBe(r.home);
    expect(r.worker).toBe(r.home);
  });

  itRoot(
    'after setns() / unshare() on the main thread, the pool stays home; a new Worker starts where the main thread is',
    () => {
      const inside = `net:[${Namespace.ofPid(box!.pid, 'net').inode}]`;
      for (const switchIn of ['m.setns(net); work()', "m.unshare('net'); work()"]) {
        const r = JSON.parse(runNode(poolAfter(switchIn), { env: { BOX: String(box!.pid) } }));
        expect(new Set(r.others)).toEqual(new Set([r.home]));
        expect(r.main).not.toBe(r.home);
        if (switchIn.includes('setns')) expect(r.main).toBe(inside);
        expect(r.worker).toBe(r.main);
      }
    },
  );
});
