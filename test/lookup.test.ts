// net.lookup(): getaddrinfo on a thread of nsbind's own inside the namespace.
// Names come from /etc/hosts (and fail inside namespaces with no route out),
// so nothing is ever sent off the machine.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { NamespaceError, netns, network } from '../lib/index.js';
import { DIST, isRoot, itRoot, runNode, threadNamespaces } from './support/env.js';
import { freshNetnsNames } from './support/mounts.js';

const fresh = freshNetnsNames();

/** IPv4 names in /etc/hosts: name → addresses. */
function etcHosts(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) continue;
    for (const n of names) out.set(n, [...(out.get(n) ?? []), address]);
  }
  return out;
}

function homeCheck(home: Map<number, number>): void {
  for (const [tid, ino] of threadNamespaces('net')) if (home.has(tid)) expect(ino, `thread ${tid}`).toBe(home.get(tid));
  const first = [...home.values()][0];
  for (const ino of threadNamespaces('net').values()) expect(ino).toBe(first); // new threads too: none is left inside
}

describe('NetworkNamespace#lookup', () => {
  itRoot('resolves names from /etc/hosts inside, as dns.lookup answers; every thread is home once it has', async () => {
    const home = threadNamespaces('net');
    using ns = netns.create(fresh(), { loopback: true });
    using n = network(ns);
    expect(await n.lookup('localhost', { family: 4 })).toEqual({ address: '127.0.0.1', family: 4 });
    homeCheck(home);
    for (const [name, addresses] of etcHosts()) {
      const all = await n.lookup(name, { all: true, family: 'IPv4' });
      expect(all.map((a) => a.address).sort()).toEqual([...new Set(addresses)].sort());
    }
    homeCheck(home);
  });

  itRoot(
    'a name that is nowhere: ENOTFOUND or EAI_AGAIN (no route out to ask a DNS server), with the hostname',
    async () => {
      const home = threadNamespaces('net');
      using ns = netns.create(fresh(), { loopback: true });
      using n = network(ns);
      const e = await n.lookup('nsbind-no-such-name.invalid').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NamespaceError);
      expect(e).toMatchObject({ syscall: 'getaddrinfo', hostname: 'nsbind-no-such-name.invalid' });
      expect(['ENOTFOUND', 'EAI_AGAIN']).toContain((e as NamespaceError).code);
      expect((e as Error).message).toMatch(/^(ENOTFOUND|EAI_AGAIN): .*, getaddrinfo 'nsbind-no-such-name\.invalid'$/);
      homeCheck(home);
    },
  );

  it('an IP address needs no lookup (no thread, any privilege), as dns.lookup', async () => {
    using n = network();
    expect(await n.lookup('10.1.2.3')).toEqual({ address: '10.1.2.3', family: 4 });
    expect(await n.lookup('::1', { all: true })).toEqual([{ address: '::1', family: 6 }]);
  });

  it("the calling thread's own namespace needs no join: localhost resolves for anyone", async () => {
    using n = network();
    expect(await n.lookup('localhost', { family: 4, all: true })).toContainEqual({ address: '127.0.0.1', family: 4 });
  });

  it('unprivileged across user namespaces: EPERM with a hint that says why and what works', () => {
    const out = JSON.parse(
      runNode(
        `const { spawn, network } = require(process.env.NSBIND);
        const child = spawn('sleep', ['1000'], { namespaces: ['user', 'net'], mapRootUser: true, stdio: 'ignore' });
        const n = network(child.namespace('net'));
        n.link.set('lo', { up: true }); // configuring works: the owner has CAP_NET_ADMIN there
        Promise.all([n.lookup('localhost').catch((e) => e), n.lookup('127.0.0.1')]).then(([e, literal]) => {
          console.log(JSON.stringify({ name: e.name, code: e.code, step: e.step, syscall: e.syscall, hint: e.hint, literal }));
          n.close(); child.kill('SIGKILL');
        });`,
        { asNobody: isRoot },
      ),
    );
    expect(out).toMatchObject({ name: 'NamespaceError', code: 'EPERM', step: 'setns:net', syscall: 'setns' });
    expect(out.hint).toMatch(
      /getaddrinfo\(3\) on a thread .* only with CAP_SYS_ADMIN in this process's own user namespace/,
    );
    expect(out.hint).toMatch(/spawn\('getent', \['ahosts', NAME\], \{ join: \{ user, net \} \}\)/);
    expect(out.literal).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('bad input: TypeError/RangeError before anything starts', async () => {
    using n = network();
    for (const [host, options, kind] of [
      ['', undefined, RangeError],
      ['a\0b', undefined, RangeError],
      [5, undefined, TypeError],
      ['x'.repeat(254), undefined, RangeError],
      ['localhost', 'x', TypeError],
      ['localhost', { family: 5 }, RangeError],
      ['localhost', { family: 'IPv5' }, RangeError],
      ['localhost', { hints: 1 << 10 }, RangeError],
      ['localhost', { hints: 1.5 }, RangeError],
      ['localhost', { all: 'yes' }, TypeError],
    ] as const) {
      await expect(n.lookup(host as string, options as never), String(host)).rejects.toThrow(kind);
    }
  });

  it('workers terminated in the middle of lookups: the process goes on, later lookups work', async () => {
    const script = `
      const { network } = require(${JSON.stringify(DIST)});
      const { parentPort } = require('node:worker_threads');
      const n = network();
      for (let i = 0; i < 20; i++) n.lookup('localhost').catch(() => {});
      parentPort.postMessage('started');`;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const worker = new Worker(script, { eval: true });
        await new Promise((r) => worker.once('message', r));
        await worker.terminate();
      }),
    );
    using n = network();
    expect(await n.lookup('localhost', { family: 4 })).toEqual({ address: '127.0.0.1', family: 4 });
  });
});
