// Sockets made inside a namespace: net/dgram/http/https, Unix (abstract ones
// exist per network namespace), host names resolved inside; where each lives
// is checked with SIOCGSKNS and ss -N.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type Namespace,
  type NetworkNamespace,
  netns,
  network,
  socketNamespace,
  spawn,
  withNamespaces,
} from '../lib/index.js';
import { fdCount, itRoot, thrown } from './support/env.js';
import { ssOwn } from './support/ip.js';
import { freshNetnsNames } from './support/mounts.js';

const fresh = freshNetnsNames();
const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0).reverse()) o.close();
});
const keep = <T extends { close(): void }>(o: T): T => {
  open.push(o);
  return o;
};

const closed = (s: { close(cb: () => void): unknown }) => new Promise<void>((r) => s.close(() => r()));

/** Everything the peer sends until it ends. */
function received(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** Two namespaces joined by a veth pair: a has 10.207.0.1 and fd00:207::1, b has .2 and ::2; lo up in both. */
function pair(): { a: NetworkNamespace; b: NetworkNamespace; names: [string, string] } {
  const names: [string, string] = [fresh(), fresh()];
  const [ha, hb] = names.map((n) => keep(netns.create(n, { loopback: true }))) as [Namespace, Namespace];
  const a = keep(network(ha));
  const b = keep(network(hb));
  a.link.add({ name: 'va', type: 'veth', up: true, peer: { name: 'vb', netns: hb } });
  b.link.set('vb', { up: true });
  a.addr.add('va', '10.207.0.1/24');
  b.addr.add('vb', '10.207.0.2/24');
  a.addr.add('va', 'fd00:207::1/64', { nodad: true });
  b.addr.add('vb', 'fd00:207::2/64', { nodad: true });
  return { a, b, names };
}

describe('NetworkNamespace sockets', () => {
  itRoot(
    'socket(): fds of each family and type, inside the namespace (SIOCGSKNS), O_CLOEXEC, the caller owns them',
    () => {
      const name = fresh();
      using ns = netns.create(name);
      const n = keep(network(ns));
      for (const family of ['ipv4', 'ipv6', 'unix'] as const) {
        for (const type of ['stream', 'dgram'] as const) {
          const fd = n.socket({ family, type });
          try {
            using where = socketNamespace(fd);
            expect(where.equals(ns)).toBe(true);
            expect(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')).toMatch(/^flags:\s+0?2000002$/m); // O_CLOEXEC|O_RDWR
          } finally {
            closeSync(fd);
          }
        }
      }
    },
  );

  itRoot('TCP over a veth pair: listen in a, connect from b; ss -N sees each socket where it lives', async () => {
    const { a, b, names } = pair();
    const server = net.createServer((s) => s.end(`from a to ${s.remoteAddress}`));
    const address = (await a.listen(server, { host: '10.207.0.1', port: 9000, backlog: 4 })) as net.AddressInfo;
    expect(address).toEqual({ address: '10.207.0.1', family: 'IPv4', port: 9000 });
    const client = b.connect({ host: '10.207.0.1', port: 9000 });
    await new Promise((r) => client.once('connect', r));
    expect(ssOwn(names[0])).toContain('tcp 10.207.0.1:9000 0.0.0.0:*');
    expect(ssOwn(names[1])).toContain(`tcp 10.207.0.2:${client.localPort} 10.207.0.1:9000`);
    expect(ssOwn(undefined).filter((l) => l.includes('10.207.'))).toEqual([]);
    expect(await received(client)).toBe('from a to 10.207.0.2');
    // IPv6, and localAddress/localPort as net.connect takes them
    const v6 = b.connect({ host: 'fd00:207::1', port: 9000, family: 6 });
    await expect(new Promise((_, reject) => v6.once('error', reject))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const server6 = net.createServer((s) => s.end(`${s.remoteAddress} ${s.remotePort}`));
    const { port } = (await a.listen(server6, { host: 'fd00:207::1', ipv6Only: true })) as net.AddressInfo;
    const bound = b.connect({ host: 'fd00:207::1', port, localAddress: 'fd00:207::2', localPort: 40123 });
    expect(await received(bound)).toBe('fd00:207::2 40123');
    await Promise.all([closed(server), closed(server6)]);
  });

  itRoot("a host name is resolved inside: 'localhost' is the namespace's own loopback", async () => {
    const { a, names } = pair();
    const server = net.createServer((s) => s.end('a'));
    const { port } = (await a.listen(server, { host: 'localhost' })) as net.AddressInfo;
    expect(ssOwn(names[0])).toContain(`tcp 127.0.0.1:${port} 0.0.0.0:*`);
    expect(await received(a.connect({ host: 'localhost', port }))).toBe('a');
    expect(await received(a.connect({ port }))).toBe('a'); // net.connect's default host: localhost
    const six = net.createServer((s) => s.end('six'));
    const p6 = ((await a.listen(six, { host: '::1' })) as net.AddressInfo).port;
    // an IPv6 socket resolves the name for IPv6, inside: /etc/hosts may name ::1 localhost, or no IPv6 address
    // (then the namespace's DNS cannot be reached either: it has no route out)
    const hosts = readFileSync('/etc/hosts', 'utf8');
    const viaName = received(a.connect({ host: 'localhost', port: p6, family: 6 }));
    if (/^::1\s.*\blocalhost\b/m.test(hosts)) expect(await viaName).toBe('six');
    else {
      const e = await viaName.catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'NamespaceError', syscall: 'getaddrinfo', hostname: 'localhost' });
      expect(['ENOTFOUND', 'EAI_AGAIN']).toContain((e as { code: string }).code);
    }
    await Promise.all([closed(server), closed(six)]);
  });

  itRoot('UDP: a bound dgram socket in each namespace; sends to a name resolve inside', async () => {
    const { a, b } = pair();
    const ua = await a.dgram('udp4', { address: '10.207.0.1', port: 5300 });
    expect(ua.address()).toEqual({ address: '10.207.0.1', family: 'IPv4', port: 5300 });
    const ub = await b.dgram('udp6');
    expect(ub.address()).toMatchObject({ address: '::', family: 'IPv6' });
    const got = new Promise<[string, string]>((r) => ua.once('message', (m, info) => r([String(m), info.address])));
    ub.send('over v6-mapped', 5300, '::ffff:10.207.0.1');
    expect(await got).toEqual(['over v6-mapped', '10.207.0.2']);
    const lo = await a.dgram('udp4', { address: 'localhost' });
    const echo = new Promise<string>((r) => lo.once('message', (m) => r(String(m))));
    const sender = await a.dgram('udp4');
    sender.send('to a name', lo.address().port, 'localhost');
    expect(await echo).toBe('to a name');
    await Promise.all([ua, ub, lo, sender].map(closed));
  });

  itRoot('Unix sockets: an abstract name exists per network namespace, a path is shared', async () => {
    const { a, b } = pair();
    const name = `\0nsbind-test-${process.pid}`;
    const server = net.createServer((s) => s.end('abstract in a'));
    expect(await a.listen(server, { path: name })).toBe(name);
    // bound with its exact length, as ss shows it (no trailing padding)
    const unixInA = withNamespaces({ net: a.namespace }, () => readFileSync('/proc/thread-self/net/unix', 'utf8'));
    expect(unixInA).toMatch(new RegExp(` @nsbind-test-${process.pid}$`, 'm'));
    expect(readFileSync('/proc/thread-self/net/unix', 'utf8')).not.toContain(`@nsbind-test-${process.pid}`);
    const inA = a.connect({ path: name });
    const connected = new Promise((r) => inA.once('connect', r));
    expect(await received(inA)).toBe('abstract in a');
    await connected;
    const fromB = await new Promise((_, reject) => b.connect({ path: name }).once('error', reject)).catch((e) => e);
    expect(fromB).toMatchObject({ name: 'NamespaceError', code: 'ECONNREFUSED', syscall: 'connect', path: name });
    const dir = mkdtempSync(join(tmpdir(), 'nsbind-unix-'));
    try {
      const file = join(dir, 'sock');
      const byPath = net.createServer((s) => s.end('path'));
      await a.listen(byPath, { path: file });
      expect(await received(b.connect({ path: file }))).toBe('path'); // a file is the mount namespace's
      await closed(byPath);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await closed(server);
  });

  itRoot('httpsAgent: TLS over a socket made inside the namespace', async () => {
    const { a, b } = pair();
    const dir = mkdtempSync(join(tmpdir(), 'nsbind-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=nsbind.test',
          '-addext',
          'subjectAltName=IP:10.207.0.1',
          '-keyout',
          join(dir, 'key'),
          '-out',
          join(dir, 'cert'),
        ],
        { stdio: 'ignore' },
      );
      const [key, cert] = [readFileSync(join(dir, 'key')), readFileSync(join(dir, 'cert'))];
      const server = https.createServer({ key, cert }, (req, res) => res.end(`tls to ${req.socket.remoteAddress}`));
      await a.listen(server, { host: '10.207.0.1', port: 8443 });
      const agent = b.httpsAgent({ ca: cert, keepAlive: false });
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: '10.207.0.1', port: 8443, agent }, (res) => {
            let d = '';
            res.on('data', (c) => (d += c));
            res.on('end', () => resolve(d));
          })
          .on('error', reject);
      });
      expect(body).toBe('tls to 10.207.0.2');
      agent.destroy();
      await closed(server);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itRoot('bind failures are NamespaceErrors with the address; the fd is closed', async () => {
    const { a } = pair();
    const fds = fdCount();
    const e = await a.listen(net.createServer(), { host: '10.99.0.1' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: 'NamespaceError', code: 'EADDRNOTAVAIL', syscall: 'bind', path: '10.99.0.1:0' });
    expect((e as { hint: string }).hint).toMatch(/No link of this network namespace has that address/);
    const first = net.createServer();
    await a.listen(first, { host: '10.207.0.1', port: 9100 });
    const again = await a.listen(net.createServer(), { host: '10.207.0.1', port: 9100 }).catch((x: unknown) => x);
    expect(again).toMatchObject({
      code: 'EADDRINUSE',
      message: "EADDRINUSE: address already in use, bind '10.207.0.1:9100'",
    });
    await closed(first);
    expect(fdCount()).toBe(fds);
  });
});

describe('NetworkNamespace sockets: bad input, before any socket is made', () => {
  const n = network();
  afterAll(() => n.close());
  it('each option is checked', async () => {
    const fds = fdCount();
    for (const bad of [
      undefined,
      null,
      {},
      { family: 'ipv5', type: 'stream' },
      { family: 'ipv4', type: 'raw' },
      { family: 4, type: 'stream' },
    ])
      expect(() => n.socket(bad as never)).toThrow(/options|family|type/);
    const server = net.createServer();
    await expect(n.listen({} as never)).rejects.toThrow(TypeError);
    for (const bad of [
      { port: -1 },
      { port: 65536 },
      { port: 1.5 },
      { port: '80' },
      { host: 5 },
      { backlog: -1 },
      { path: 'a', port: 1 },
      { path: 'x'.repeat(200) },
      { path: '' },
      { ipv6Only: 1 },
    ]) {
      await expect(n.listen(server, bad as never)).rejects.toThrow(
        bad.port === '80' || bad.host === 5 || bad.ipv6Only === 1 || ('path' in bad && 'port' in bad)
          ? TypeError
          : RangeError,
      );
    }
    for (const bad of [
      null,
      'x',
      { port: -1, host: '127.0.0.1' },
      { port: 80, host: 7 },
      { port: 80, host: '10.0.0.1', family: 6 },
      { port: 80, family: 5 },
      { path: 3 },
    ])
      expect(() => n.connect(bad as never)).toThrow();
    await expect(n.dgram('udp5' as never)).rejects.toThrow(TypeError);
    await expect(n.dgram('udp4', { port: 70000 })).rejects.toThrow(RangeError);
    await expect(n.dgram('udp4', { address: '::1' })).rejects.toThrow(RangeError);
    expect(() => n.httpAgent('x' as never)).toThrow(TypeError);
    expect(() => n.httpsAgent(5 as never)).toThrow(TypeError);
    expect(fdCount()).toBe(fds);
  });

  it("connect() without a host: the namespace's loopback, as localhost, with no lookup (unprivileged too)", async () => {
    const child = spawn('sleep', ['60'], { namespaces: ['user', 'net'], mapRootUser: true, stdio: 'ignore' });
    try {
      const inside = keep(network(keep(child.namespace('net'))));
      inside.link.set('lo', { up: true });
      for (const [family, loopback] of [
        [4, '127.0.0.1'],
        [6, '::1'],
      ] as const) {
        const server = net.createServer((s) => s.end(`hello ${s.localAddress}`));
        const { port } = (await inside.listen(server, { host: loopback })) as net.AddressInfo;
        const client = inside.connect(family === 4 ? { port } : { port, family });
        expect(await received(client)).toBe(`hello ${loopback}`);
        await closed(server);
      }
    } finally {
      child.kill();
      await child.exited;
    }
  });

  it('a closed NetworkNamespace: EBADF, after the arguments were checked', async () => {
    const c = network();
    c.close();
    c.close(); // idempotent
    expect(c.closed).toBe(true);
    expect(() => c.socket({ family: 'ipv9' } as never)).toThrow(RangeError); // arguments first
    expect(thrown(() => c.socket({ family: 'ipv4', type: 'stream' }))).toMatchObject({ code: 'EBADF' });
    expect(thrown(() => c.namespace)).toMatchObject({ code: 'EBADF', hint: 'This NetworkNamespace was closed.' });
    await expect(c.listen(net.createServer(), { host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EBADF' });
    expect(() => c.connect({ port: 1, host: '127.0.0.1' })).toThrow(/EBADF/);
  });

  it('sockets outlive the NetworkNamespace that made them', async () => {
    const c = network();
    const server = net.createServer((s) => s.end('still here'));
    const { port } = (await c.listen(server, { host: '127.0.0.1' })) as net.AddressInfo;
    const client = c.connect({ host: '127.0.0.1', port });
    c.close();
    expect(await received(client)).toBe('still here');
    await closed(server);
  });
});
