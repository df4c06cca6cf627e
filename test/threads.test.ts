// Thread hygiene: whatever fails, every thread of the process stays in the
// namespaces it started in. (withNamespaces' own restore is in its tests.)
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES, Namespace, NamespaceError, setns, spawn, unshare, withNamespaces } from '../lib/index.js';
import { DIST, type Fixture, fixture, isRoot, itRoot, threadNamespaces } from './support/env.js';

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
});
