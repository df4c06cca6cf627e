// network(ns): real traffic between namespaces built with nsbind alone, checked
// against iproute2 (ip -j), ss -N and SIOCGSKNS; no thread moves, nothing is
// left behind. Addresses are 10.x inside veths made here, or loopback.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Namespace,
  type NamespaceError,
  type NetworkNamespace,
  netns,
  network,
  nsid,
  socketNamespace,
  withNamespaces,
} from '../lib/index.js';
import { fdCount, isRoot, itRoot, runNode, threadNamespaces, thrown } from './support/env.js';
import {
  comparableLinks,
  fromIpAddresses,
  fromIpLinks,
  ipAddresses,
  ipJson,
  ipLinks,
  ipRoutes,
  socketFds,
  ssOwn,
  until,
} from './support/ip.js';
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

/** No IPv6 addresses of the kernel's own (link-local, with DAD) on links made from now on, so snapshots stay still. */
function quietIpv6(ns: Namespace): void {
  withNamespaces({ net: ns }, () => writeFileSync('/proc/sys/net/ipv6/conf/default/addr_gen_mode', '1'));
}

function get(agent: http.Agent, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, agent, path: '/' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

const closed = (s: { close(cb: () => void): unknown }) => new Promise<void>((r) => s.close(() => r()));

interface Rig {
  names: { hub: string; hosts: string[] };
  hub: NetworkNamespace;
  hosts: NetworkNamespace[];
  handles: Namespace[];
}

/** Three hosts on a bridge in a fourth namespace: 10.204.0.1 (bridge), .2 .3 .4, fd00:204::N; a default route each. */
async function rig(): Promise<Rig> {
  const hubName = fresh();
  const hostNames = [fresh(), fresh(), fresh()];
  const handles = [hubName, ...hostNames].map((n) => keep(netns.create(n, { loopback: true })));
  for (const h of handles) quietIpv6(h);
  const hub = keep(network(handles[0]!));
  hub.link.add({ name: 'br0', type: 'bridge', up: true });
  hub.addr.add('br0', '10.204.0.1/24');
  hub.addr.add('br0', 'fd00:204::1/64', { nodad: true });
  const hosts = hostNames.map((name, i) => {
    const host = keep(network(name));
    hub.link.add({ name: `p${i}`, type: 'veth', master: 'br0', up: true, peer: { name: 'eth0', netns: host } });
    host.link.set('eth0', { up: true });
    host.addr.add('eth0', `10.204.0.${i + 2}/24`);
    host.addr.add('eth0', `fd00:204::${i + 2}/64`, { nodad: true });
    host.route.add({ to: 'default', via: '10.204.0.1' });
    host.route.add({ to: 'default', via: 'fd00:204::1' });
    return host;
  });
  // carrier comes up asynchronously (linkwatch): wait for it, so that snapshots agree
  for (const n of [hub, ...hosts]) {
    await until('every veth and the bridge are up', () =>
      n.link.list().every((l) => l.type === 'loopback' || l.operstate === 'UP'),
    );
  }
  return { names: { hub: hubName, hosts: hostNames }, hub, hosts, handles };
}

describe('network(): configuration over rtnetlink, as iproute2 sees it', () => {
  itRoot(
    'a rig of three namespaces on a bridge, built with nsbind alone, agrees with ip -j link/addr/route',
    async () => {
      const home = threadNamespaces('net');
      const r = await rig();
      for (const [name, n] of [
        [r.names.hub, r.hub],
        ...r.names.hosts.map((h, i) => [h, r.hosts[i]!] as const),
      ] as const) {
        expect(comparableLinks(n.link.list())).toEqual(ipLinks(name));
        expect(n.addr.list()).toEqual(ipAddresses(name));
        expect(n.route.list()).toEqual(ipRoutes(name)); // IPv4, as ip route show
        expect(n.route.list({ family: 'inet6' })).toEqual(ipRoutes(name, 'main', 'inet6'));
        expect(n.route.list({ family: 'all', table: 'local' })).toEqual(ipRoutes(name, 'local', 'all'));
      }
      // what was asked for is there, in ip's words
      const eth0 = r.hosts[0]!.link.get('eth0');
      expect(eth0).toMatchObject({ type: 'veth', up: true, operstate: 'UP', mtu: 1500 });
      expect(eth0.peer).toEqual({ index: r.hub.link.get('p0').index, netnsid: r.hosts[0]!.nsid(r.hub) });
      expect(r.hub.link.get('p0')).toMatchObject({ master: 'br0', type: 'veth' });
      expect(ipJson(r.names.hosts[0], ['route', 'show', 'default'])).toEqual([
        { dst: 'default', gateway: '10.204.0.1', dev: 'eth0', flags: [] },
      ]);
      expect(ipJson(r.names.hosts[2], ['-6', 'addr', 'show', 'dev', 'eth0'])[0]!.addr_info).toContainEqual(
        expect.objectContaining({ local: 'fd00:204::4', prefixlen: 64, nodad: true }),
      );
      expect(r.hub.link.list().map((l) => l.name)).toEqual(['lo', 'br0', 'p0', 'p1', 'p2']);
      for (const [tid, ino] of threadNamespaces('net')) if (home.has(tid)) expect(ino).toBe(home.get(tid));
    },
  );

  itRoot('HTTP and UDP between the namespaces from one process; every socket lives in its namespace', async () => {
    const before = new Set(socketFds());
    const fds = fdCount();
    const home = Namespace.current('net');
    const r = await rig();
    const [a, b, c] = r.hosts as [NetworkNamespace, NetworkNamespace, NetworkNamespace];
    const server = http.createServer((req, res) => res.end(`hello ${req.socket.remoteAddress}`));
    expect(await a.listen(server, { host: '10.204.0.2', port: 8080 })).toEqual({
      address: '10.204.0.2',
      family: 'IPv4',
      port: 8080,
    });
    const server6 = http.createServer((req, res) => res.end(`hello ${req.socket.remoteAddress}`));
    const any = await a.listen(server6, { port: 0 }); // '::' taking IPv4 too, as Node listens
    expect(any).toMatchObject({ address: '::', family: 'IPv6' });
    const agentB = b.httpAgent({ keepAlive: true });
    const agentC = c.httpAgent();
    expect(await get(agentB, '10.204.0.2', 8080)).toBe('hello 10.204.0.3');
    expect(await get(agentC, '10.204.0.2', 8080)).toBe('hello 10.204.0.4');
    expect(await get(agentC, 'fd00:204::2', (any as net.AddressInfo).port)).toBe('hello fd00:204::4');

    // the listener is in a (ss enters a's namespace to see it), and not in the host's
    expect(ssOwn(r.names.hosts[0])).toContain('tcp 10.204.0.2:8080 0.0.0.0:*');
    expect(ssOwn(r.names.hosts[1])).toContainEqual(expect.stringMatching(/^tcp 10\.204\.0\.3:\d+ 10\.204\.0\.2:8080$/));
    expect(ssOwn(undefined).filter((l) => l.includes('10.204.'))).toEqual([]);

    const u4 = await c.dgram('udp4', { address: '10.204.0.4', port: 5353 });
    const u3 = await b.dgram('udp4');
    const got = new Promise<[string, string]>((resolve) =>
      u4.once('message', (m, info) => resolve([String(m), info.address])),
    );
    u3.send('ping', 5353, '10.204.0.4');
    expect(await got).toEqual(['ping', '10.204.0.3']);

    // every socket made here (listeners, connections, UDP, netlink) belongs to one of the rig's namespaces
    const rigInodes = new Set(r.handles.map((h) => h.inode));
    const made = socketFds().filter((fd) => !before.has(fd));
    expect(made.length).toBeGreaterThanOrEqual(8);
    for (const fd of made) {
      using ns = socketNamespace(fd);
      expect(ns.equals(home)).toBe(false);
      expect(rigInodes.has(ns.inode)).toBe(true);
    }

    // nothing left over: once closed and removed, nothing of this process holds the hosts' namespaces, so the
    // kernel frees them, and their veth ends take the hub's with them
    agentB.destroy();
    agentC.destroy();
    await Promise.all([closed(server), closed(server6), closed(u4), closed(u3)]);
    for (const o of open.splice(0).reverse()) if (o !== r.hub) o.close();
    for (const name of r.names.hosts) netns.remove(name);
    await until('the hosts are freed', () => r.hub.link.list().length === 2);
    expect(r.hub.link.list().map((l) => l.name)).toEqual(['lo', 'br0']);
    r.hub.close();
    netns.remove(r.names.hub);
    home.close();
    expect(fdCount()).toBe(fds);
    const names = [r.names.hub, ...r.names.hosts];
    expect(ipJson(undefined, ['netns', 'list']).filter((n) => names.includes(n.name as string))).toEqual([]);
  });

  itRoot('link.set: mtu, name, mac, master and nomaster, up and down, netns (moves it), del; as ip shows it', () => {
    const [aName, bName] = [fresh(), fresh()];
    using a = netns.create(aName);
    using b = netns.create(bName);
    const na = keep(network(a));
    const nb = keep(network(b));
    na.link.add({ name: 'br0', type: 'bridge' });
    na.link.add({ name: 'v0', type: 'veth', peer: { name: 'v1', mtu: 9000 } });
    na.link.set('v0', { mtu: 1400, mac: '02:00:00:00:00:01', master: 'br0', up: true });
    const ip = () => ipLinks(aName).find((l) => l.name === 'v0')!;
    expect(ip()).toMatchObject({ mtu: 1400, mac: '02:00:00:00:00:01', master: 'br0' });
    expect(ip().flags).toContain('UP');
    expect(ipLinks(aName).find((l) => l.name === 'v1')).toMatchObject({ mtu: 9000 });
    expect(na.link.get('v0').flags).toContain('M-DOWN'); // its peer is down, as ip says
    expect(ip().flags).toContain('M-DOWN');
    na.link.set('v0', { master: null, up: false });
    expect(ip().master).toBeUndefined();
    expect(ip().flags).not.toContain('UP');
    na.link.set('v0', { name: 'renamed' });
    expect(ipLinks(aName).map((l) => l.name)).toEqual(['lo', 'br0', 'v1', 'renamed']); // a rename goes last
    expect(comparableLinks(na.link.list())).toEqual(ipLinks(aName));
    na.link.set('v1', { netns: bName, name: 'moved' }); // by name in /run/netns
    expect(ipLinks(bName).map((l) => l.name)).toEqual(['lo', 'moved']);
    expect(nb.link.get('moved').peer).toEqual({ index: na.link.get('renamed').index, netnsid: nb.nsid(a) });
    expect(na.link.get('renamed').peer).toEqual({ index: nb.link.get('moved').index, netnsid: na.nsid(b) });
    na.link.del('renamed');
    expect(ipLinks(bName).map((l) => l.name)).toEqual(['lo']); // the peer went with it
    na.link.del(na.link.get('br0').index);
    expect(ipLinks(aName).map((l) => l.name)).toEqual(['lo']);
  });

  itRoot('netns.create(name, { loopback: true }): lo is up with 127.0.0.1 and ::1, as ip -n NAME shows', async () => {
    const name = fresh();
    using ns = netns.create(name, { loopback: true });
    expect(ipLinks(name)[0]).toMatchObject({ name: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'] });
    expect(ipAddresses(name).map((a) => a.cidr)).toEqual(['127.0.0.1/8', '::1/128']);
    // and it carries traffic, inside only
    const n = keep(network(ns));
    const server = net.createServer((s) => s.end('lo'));
    const { port } = (await n.listen(server, { host: '127.0.0.1' })) as net.AddressInfo;
    const text = await new Promise<string>((resolve) => {
      let d = '';
      n.connect({ port, host: '127.0.0.1' })
        .on('data', (c) => (d += c))
        .on('end', () => resolve(d));
    });
    expect(text).toBe('lo');
    await closed(server);
    const plain = fresh();
    using down = netns.create(plain);
    expect(ipLinks(plain)[0]!.flags).toEqual(['LOOPBACK']);
    expect(down.type).toBe('net');
  });

  itRoot('IPv6 and IPv4 addresses and routes: add, list, del, as ip shows them', () => {
    const name = fresh();
    using ns = netns.create(name, { loopback: true });
    quietIpv6(ns);
    const n = keep(network(ns));
    n.link.add({ name: 'v0', type: 'veth', peer: { name: 'v1' }, up: true });
    n.link.set('v1', { up: true });
    n.addr.add('v0', '10.205.0.1/24', { broadcast: '10.205.0.255' });
    n.addr.add('v0', '10.205.1.1/24', { noprefixroute: true });
    n.addr.add('v0', '2001:db8:205::1/64', { nodad: true });
    n.route.add({ to: '10.9.0.0/16', via: '10.205.0.254', metric: 50 });
    n.route.add({ to: '10.10.0.0/16', dev: 'v0', src: '10.205.0.1' });
    n.route.add({ to: '10.11.0.1', type: 'blackhole' });
    n.route.add({ to: '2001:db8:9::/48', via: '2001:db8:205::fe' });
    n.route.add({ to: 'default', dev: 'v0', family: 'inet6', table: 100 });
    expect(n.addr.list('v0')).toEqual(ipAddresses(name).filter((a) => a.dev === 'v0'));
    expect(n.addr.list()).toEqual(ipAddresses(name));
    expect(n.addr.list('v0').find((a) => a.local === '10.205.0.1')).toMatchObject({
      broadcast: '10.205.0.255',
      label: 'v0',
    });
    expect(n.route.list()).toEqual(ipRoutes(name));
    expect(n.route.list({ family: 'all', table: 100 })).toEqual(ipRoutes(name, '100', 'all'));
    expect(n.route.list({ family: 'inet6' })).toEqual(ipRoutes(name, 'main', 'inet6'));
    expect(n.route.list({ family: 'all' }).map((r) => r.family)).toContain('inet6');
    expect(n.route.list().find((r) => r.dst === '10.11.0.1')).toMatchObject({ type: 'blackhole' });
    n.route.del({ to: '10.9.0.0/16' });
    n.route.del({ to: 'default', family: 'inet6', table: 100 });
    n.addr.del('v0', '2001:db8:205::1/64');
    n.addr.del('v0', '10.205.1.1'); // without a prefix length, as ip: whatever its length
    expect(n.route.list({ family: 'all' })).toEqual(ipRoutes(name, 'main', 'all'));
    expect(n.route.list().map((r) => r.dst)).not.toContain('10.9.0.0/16');
    expect(n.addr.list('v0').map((a) => a.cidr)).toEqual(['10.205.0.1/24']);
  });

  itRoot(
    'a dump read while another process changes the namespace is a consistent one (NLM_F_DUMP_INTR: read again)',
    async () => {
      const name = fresh();
      using n = network(keep(netns.create(name)));
      n.link.add({ name: 'br0', type: 'bridge', up: true });
      const N = 2000;
      const address = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.1`;
      for (let i = 0; i < N; i++) n.addr.add('br0', `${address(i)}/32`);
      // ip deletes and adds them back one after the other: each goes to the end, the rest move up one place
      const churn = spawn('ip', ['-n', name, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
      const exited = new Promise((resolve) => churn.once('exit', resolve));
      churn.stdin.on('error', () => {}); // EPIPE once it is killed
      // fed a round of changes per listing, so that it changes the namespace for as long as the test lists it
      let changed = 0;
      const feed = (count: number) => {
        for (let end = changed + count; changed < end; changed++)
          churn.stdin.write(
            `addr del ${address(changed % N)}/32 dev br0\naddr add ${address(changed % N)}/32 dev br0\n`,
          );
      };
      feed(2 * N);
      let lists = 0;
      try {
        for (let round = 0; round < 100 && churn.exitCode === null; round++) {
          const listed = (() => {
            try {
              return n.addr.list('br0').map((a) => a.local);
            } catch (e) {
              expect(e).toMatchObject({
                code: 'EINTR',
                request: 'RTM_GETADDR',
                hint: expect.stringMatching(/changed/),
              });
              return undefined;
            }
          })();
          feed(N / 10);
          await new Promise((resolve) => setImmediate(resolve));
          if (!listed) continue;
          lists++;
          // a snapshot has each address once, and all of them but the one being deleted and added back at most
          expect(new Set(listed).size, 'no address twice').toBe(listed.length);
          expect(listed.length).toBeGreaterThanOrEqual(N - 1);
        }
        expect(churn.exitCode, 'ip was still changing it').toBe(null);
        expect(lists).toBeGreaterThan(10);
      } finally {
        churn.stdin.end();
        churn.kill();
        await exited;
      }
    },
  );

  itRoot('nsid(): the id one namespace gives another, as ip netns list-id shows', () => {
    const [aName, bName] = [fresh(), fresh()];
    using a = netns.create(aName);
    using b = netns.create(bName);
    expect(nsid(b, a)).toBeUndefined(); // none given yet
    keep(network(a)).link.add({ name: 'v0', type: 'veth', peer: { name: 'v1', netns: b } }); // gives one
    const listed = execFileSync('ip', ['-n', aName, 'netns', 'list-id'], { encoding: 'utf8' });
    expect(listed).toMatch(new RegExp(`^nsid ${nsid(b, a)} \\(iproute2 netns name: ${bName}\\)$`, 'm'));
    expect(nsid(bName, aName)).toBe(nsid(b, a));
    // b gives a its id when it first has to name it (ip's dump of v1 does)
    const id = ipJson(bName, ['link', 'show', 'v1'])[0]!.link_netnsid;
    expect(id).toBeTypeOf('number');
    expect(nsid(a, b)).toBe(id);
  });
});

describe('network(): sockets inside', () => {
  it("the calling thread's own namespace: sockets, listen and connect work as usual (no join needed)", async () => {
    using here = network();
    using home = Namespace.current('net');
    const fd = here.socket({ family: 'ipv4', type: 'stream' });
    try {
      using ns = socketNamespace(fd);
      expect(ns.equals(home)).toBe(true);
    } catch (e) {
      // SIOCGSKNS needs CAP_NET_ADMIN: unprivileged, the socket's namespace is not ours to open
      expect((e as NamespaceError).code).toBe('EPERM');
    } finally {
      closeSync(fd);
    }
    const server = net.createServer((s) => s.end('here'));
    const { port } = (await here.listen(server, { host: '127.0.0.1' })) as net.AddressInfo;
    const text = await new Promise<string>((resolve) => {
      let d = '';
      here
        .connect({ port })
        .on('data', (c) => (d += c))
        .on('end', () => resolve(d));
    });
    expect(text).toBe('here');
    await closed(server);
  });
});

describe('network(): errors', () => {
  itRoot("kernel errors name the request and what it was about, with a hint and the kernel's own words", () => {
    const name = fresh();
    using ns = netns.create(name, { loopback: true });
    const n = keep(network(ns));
    n.link.add({ name: 'v0', type: 'veth', peer: { name: 'v1' } });
    const exists = thrown(() => n.link.add({ name: 'v0', type: 'veth', peer: { name: 'v2' } }));
    expect(exists).toMatchObject({
      code: 'EEXIST',
      errno: -17,
      syscall: 'netlink',
      request: 'RTM_NEWLINK',
      subject: 'v0',
    });
    expect(exists.message).toBe("EEXIST: file already exists, RTM_NEWLINK 'v0'");
    expect(exists.hint).toMatch(/^A link named "v0" \(or "v2", the peer\) already exists there\./);
    const nodev = thrown(() => n.link.set('nope', { up: true }));
    expect(nodev).toMatchObject({ code: 'ENODEV', request: 'RTM_NEWLINK', subject: 'nope' });
    expect(nodev.hint).toMatch(/^There is no link named "nope" in this network namespace/);
    expect(thrown(() => n.addr.add('nope', '10.0.0.1/8'))).toMatchObject({ code: 'ENODEV', request: 'RTM_GETLINK' });
    expect(thrown(() => n.addr.del('v0', '10.208.0.1/24'))).toMatchObject({
      code: 'EADDRNOTAVAIL',
      request: 'RTM_DELADDR',
      subject: '10.208.0.1/24 dev v0',
    });
    n.addr.add('v0', '10.208.0.1/24');
    expect(thrown(() => n.addr.add('v0', '10.208.0.1/24'))).toMatchObject({
      code: 'EEXIST',
      hint: expect.stringMatching(/^v0 has this address already\./),
    });
    const noroute = thrown(() => n.route.del({ to: '10.9.0.0/16' }));
    expect(noroute).toMatchObject({ code: 'ESRCH', request: 'RTM_DELROUTE', subject: '10.9.0.0/16' });
    expect(noroute.hint).toMatch(/^There is no such route/);
    const unreachable = thrown(() => n.route.add({ to: 'default', via: '10.99.0.1' }));
    expect(unreachable).toMatchObject({ code: 'ENETUNREACH', subject: 'default via 10.99.0.1' });
    expect(unreachable.hint).toMatch(/The kernel says: Nexthop has invalid gateway\.$/);
    expect(thrown(() => n.link.del('lo'))).toMatchObject({
      code: expect.stringMatching(/^(EOPNOTSUPP|ENOTSUP|EINVAL)$/),
    });
    expect(ipLinks(name).map((l) => l.name)).toEqual(['lo', 'v1', 'v0']); // nothing half-made
  });

  itRoot('link names: refused before any request exactly where the kernel refuses them, as ip link add finds', () => {
    const name = fresh();
    using n = network(keep(netns.create(name)));
    // dev_valid_name reads bytes: 0xa0 (in 'à', U+00A0) is white space to it, U+2003 (E2 80 83) and 0x1c are not
    for (const candidate of ['và', 'a\u00a0b', 'a\u2003b', 'a\x1cb', 'ééééééée', 'x'.repeat(15), 'a\vb']) {
      const ip = spawnSync('ip', ['-n', name, 'link', 'add', candidate, 'type', 'bridge'], { encoding: 'utf8' });
      if (ip.status === 0) {
        execFileSync('ip', ['-n', name, 'link', 'del', candidate]);
        n.link.add({ name: candidate, type: 'bridge' });
        expect(spawnSync('ip', ['-n', name, 'link', 'show', 'dev', candidate]).status).toBe(0); // (ip -j: raw 0x1c)
        expect(n.link.get(candidate).name).toBe(candidate);
        n.link.del(candidate);
      } else {
        expect(ip.stderr, JSON.stringify(candidate)).toMatch(/Invalid argument|not a valid ifname/);
        expect(() => n.link.add({ name: candidate, type: 'bridge' }), JSON.stringify(candidate)).toThrow(RangeError);
      }
    }
    expect(n.link.list().map((l) => l.name)).toEqual(['lo']);
  });

  itRoot('a link type this kernel lacks: the same answer iproute2 gets', () => {
    const name = fresh();
    using ns = netns.create(name);
    const n = keep(network(ns));
    const ip = spawnSync('ip', ['-n', name, 'link', 'add', 'd0', 'type', 'dummy'], { encoding: 'utf8' });
    if (ip.status === 0) {
      n.link.add({ name: 'd1', type: 'dummy', up: true });
      expect(comparableLinks(n.link.list())).toEqual(ipLinks(name));
      expect(n.link.get('d1').type).toBe('dummy');
    } else {
      expect(ip.stderr).toMatch(/Unknown device type/);
      const e = thrown(() => n.link.add({ name: 'd1', type: 'dummy' }));
      expect(e).toMatchObject({ code: 'ENOTSUP', request: 'RTM_NEWLINK' });
      expect(e.hint).toBe(
        'This kernel has no dummy links (not built in, or its module is not loaded: modprobe dummy, as root). The kernel says: Unknown device type.',
      );
    }
  });

  it('without CAP_NET_ADMIN over the namespace: EPERM, with the hint that says what grants it', () => {
    const out = JSON.parse(
      runNode(
        `const { network } = require(process.env.NSBIND);
        const n = network();
        try { n.link.add({ name: 'nsbind-x', type: 'bridge' }); } catch (e) { console.log(JSON.stringify(e)); }`,
        { asNobody: isRoot },
      ),
    );
    expect(out).toMatchObject({ code: 'EPERM', syscall: 'netlink', request: 'RTM_NEWLINK', subject: 'nsbind-x' });
    expect(out.hint).toMatch(/^Configuring a network namespace needs CAP_NET_ADMIN in the user namespace that owns it/);
  });

  it("unprivileged, in a network namespace of someone else's user namespace: EPERM when joining it, with a hint", () => {
    const out = JSON.parse(
      runNode(
        `const { network } = require(process.env.NSBIND);
        try { network('/proc/1/ns/net').link.list(); } catch (e) { console.log(JSON.stringify({ code: e.code, step: e.step, hint: e.hint })); }`,
        { asNobody: isRoot },
      ),
    );
    expect(['EACCES', 'EPERM']).toContain(out.code); // /proc/1/ns is not ours to open; if it were, joining it is not
  });

  it('bad input: a TypeError or RangeError, checked before any system call (even on a closed one)', () => {
    const n = network();
    n.close();
    const bad: [() => unknown, ErrorConstructor][] = [
      [() => n.link.add(undefined as never), TypeError],
      [() => n.link.add({ name: 'va', type: 'vxlan' as never }), RangeError],
      [() => n.link.add({ name: 'va', type: 5 as never }), TypeError],
      [() => n.link.add({ name: 'a-name-of-16-byt', type: 'dummy' }), RangeError],
      [() => n.link.add({ name: 'é'.repeat(8), type: 'dummy' }), RangeError],
      [() => n.link.add({ name: 'a/b', type: 'dummy' }), RangeError],
      [() => n.link.add({ name: 'a b', type: 'dummy' }), RangeError],
      [() => n.link.add({ name: 'a:b', type: 'dummy' }), RangeError],
      [() => n.link.add({ name: 'và', type: 'dummy' }), RangeError], // 'à' is C3 A0: the kernel's isspace takes 0xa0
      [() => n.link.add({ name: 'a\ud800', type: 'dummy' }), RangeError],
      [() => n.link.get('a\u00a0b'), RangeError],
      [() => n.link.add({ name: '..', type: 'dummy' }), RangeError],
      [() => n.link.add({ name: '', type: 'dummy' }), RangeError],
      [() => n.link.add({ name: 'va', type: 'dummy', mtu: 0 }), RangeError],
      [() => n.link.add({ name: 'va', type: 'dummy', mtu: 1.5 }), RangeError],
      [() => n.link.add({ name: 'va', type: 'dummy', mac: '02:00:00:00:00' }), RangeError],
      [() => n.link.add({ name: 'va', type: 'dummy', up: 1 as never }), TypeError],
      [() => n.link.add({ name: 'va', type: 'dummy', peer: {} }), TypeError],
      [() => n.link.add({ name: 'va', type: 'veth', peer: { name: 'x'.repeat(16) } }), RangeError],
      [() => n.link.add({ name: 'va', type: 'veth', peer: { up: true } as never }), TypeError],
      [() => n.link.add({ name: 'va', type: 'bridge', mtu: 1500, colour: 'blue' } as never), TypeError],
      [() => n.link.add({ name: 'va', type: 'veth', master: 'br0', netns: 'x' }), TypeError],
      [() => n.link.add({ name: 'va', type: 'veth', netns: 42.5 }), RangeError],
      [() => n.link.add({ name: 'va', type: 'veth', netns: {} as never }), TypeError],
      [() => n.link.set('va', undefined as never), TypeError],
      [() => n.link.set('va', { mtu: -1 }), RangeError],
      [() => n.link.set('va', { name: 'x'.repeat(16) }), RangeError],
      [() => n.link.set('va', { master: 3.5 }), RangeError],
      [() => n.link.set('va', { upp: true } as never), TypeError],
      [() => n.link.set(0, { up: true }), RangeError],
      [() => n.link.set({} as never, { up: true }), TypeError],
      [() => n.link.del(-1), RangeError],
      [() => n.link.get(null as never), TypeError],
      [() => n.addr.add('va', '10.0.0.1/33'), RangeError],
      [() => n.addr.add('va', '10.0.0.256/24'), RangeError],
      [() => n.addr.add('va', 'fe80::1%va/64'), RangeError],
      [() => n.addr.add('va', 10 as never), TypeError],
      [() => n.addr.add('va', '10.0.0.1/24', { broadcast: '::1' }), RangeError],
      [() => n.addr.add('va', '10.0.0.1/24', { nodad: 'yes' as never }), TypeError],
      [() => n.addr.add('va', '10.0.0.1/24', { scope: 'link' } as never), TypeError],
      [() => n.addr.del('va', '10.0.0.1/'), RangeError],
      [() => n.addr.list('x'.repeat(16)), RangeError],
      [() => n.route.add(undefined as never), TypeError],
      [() => n.route.add({} as never), TypeError],
      [() => n.route.add({ to: '10.0.0.1/24' }), RangeError],
      [() => n.route.add({ to: 'defualt' }), RangeError],
      [() => n.route.add({ to: 'default', via: '10.0.0.1', family: 'inet6' }), RangeError],
      [() => n.route.add({ to: '10.0.0.0/8', via: '::1' }), RangeError],
      [() => n.route.add({ to: 'default', src: 'x' }), RangeError],
      [() => n.route.add({ to: 'default', metric: -1 }), RangeError],
      [() => n.route.add({ to: 'default', table: 'mian' }), RangeError],
      [() => n.route.add({ to: 'default', table: 0 }), RangeError],
      [() => n.route.add({ to: 'default', type: 'nat' as never }), RangeError],
      [() => n.route.add({ to: 'default', onlink: 'yes' as never }), TypeError],
      [() => n.route.add({ to: 'default', gw: '10.0.0.1' } as never), TypeError],
      [() => n.route.del({ to: 5 as never }), TypeError],
      [() => n.route.list({ family: 'ipv4' as never }), RangeError],
      [() => n.route.list({ table: [] as never }), TypeError],
      [() => n.nsid(undefined as never), TypeError],
      [() => network(5.5), RangeError],
      [() => network({} as never), TypeError],
      [() => network('a/../b\0'), RangeError],
      [() => nsid(null as never), TypeError],
      [() => socketNamespace(-1), RangeError],
      [() => netns.create(fresh(), { loopback: 'yes' } as never), TypeError],
      [() => netns.create(fresh(), { lo: true } as never), TypeError],
      [() => netns.create(fresh(), 'loopback' as never), TypeError],
    ];
    for (const [call, kind] of bad) expect(call, call.toString()).toThrow(kind);
    // and the same calls with good arguments reach the closed handle
    expect(thrown(() => n.link.list())).toMatchObject({ code: 'EBADF' });
    expect(thrown(() => n.route.add({ to: 'default', dev: 'lo' }))).toMatchObject({ code: 'EBADF' });
  });
});

describe('network(): handles and threads', () => {
  it('keeps a handle of its own; the caller may close theirs; close() releases every fd', () => {
    const fds = fdCount();
    const mine = Namespace.current('net');
    const n = network(mine);
    mine.close();
    expect(n.namespace.type).toBe('net');
    expect(n.link.list().map((l) => l.name)).toContain('lo');
    expect(n.route.list({ table: 'local' }).length).toBeGreaterThan(0);
    n.close();
    expect(fdCount()).toBe(fds);
    for (let i = 0; i < 200; i++) {
      using m = network();
      m.link.get('lo');
    }
    expect(fdCount()).toBe(fds);
  });

  it('by name in /run/netns, by path, by fd: the same namespace; a non-network namespace is refused', () => {
    using home = Namespace.current('net');
    using byPath = network('/proc/thread-self/ns/net');
    using byFd = network(home.fd);
    expect(byPath.namespace.equals(home)).toBe(true);
    expect(byFd.namespace.equals(home)).toBe(true);
    expect(() => network('/proc/thread-self/ns/uts')).toThrow('target is a uts namespace, not net');
    expect(thrown(() => network(`nsbind-test-${process.pid}-none`))).toMatchObject({ code: 'ENOENT' });
  });

  itRoot('no thread of the process ever changes namespace (every task scanned after each kind of call)', async () => {
    const home = threadNamespaces('net');
    const name = fresh();
    using ns = netns.create(name, { loopback: true });
    const n = keep(network(ns));
    n.link.add({ name: 'v0', type: 'veth', peer: { name: 'v1' } });
    n.socket({ family: 'ipv4', type: 'dgram' });
    await n.lookup('localhost', { family: 4 });
    const u = await n.dgram('udp4');
    await closed(u);
    const now = threadNamespaces('net');
    for (const [tid, ino] of now) expect(ino, `thread ${tid}`).toBe(home.get(tid) ?? [...home.values()][0]);
  });
});

describe("network(): unprivileged, through a spawned child's user and network namespaces", () => {
  it('links, addresses, routes and traffic as the owner of the user namespace; ip inside agrees', () => {
    const out = JSON.parse(
      runNode(
        `const { spawn, network } = require(process.env.NSBIND);
        const net = require('node:net');
        const { execFileSync } = require('node:child_process');
        const child = spawn('sleep', ['1000'], { namespaces: ['user', 'net'], mapRootUser: true, stdio: 'ignore' });
        const n = network(child.namespace('net'));
        n.link.set('lo', { up: true });
        n.link.add({ name: 'v0', type: 'veth', peer: { name: 'v1' }, up: true });
        n.link.set('v1', { up: true });
        n.addr.add('v0', '10.209.0.1/24');
        n.addr.add('v1', '10.209.0.2/24');
        n.route.add({ to: '10.210.0.0/16', via: '10.209.0.2' });
        const ip = (...args) => JSON.parse(execFileSync('nsenter', ['-t', String(child.pid), '-U', '-n', '--preserve-credentials', 'ip', '-j', ...args], { encoding: 'utf8' }));
        const server = net.createServer((s) => s.end('inside ' + s.remoteAddress));
        n.listen(server, { host: '10.209.0.1' }).then(({ port }) => {
          let text = '';
          n.connect({ host: '10.209.0.1', port, localAddress: '10.209.0.2' }).on('data', (d) => (text += d)).on('end', () => {
            console.log(JSON.stringify({ uid: process.getuid(), text, links: n.link.list(), ipLinks: ip('-d', 'link', 'show'),
              addrs: n.addr.list(), ipAddrs: ip('addr', 'show'), routes: n.route.list({ family: 'inet' }), ipRoutes: ip('route', 'show') }));
            server.close(); n.close(); child.kill('SIGKILL');
          });
        });`,
        { asNobody: isRoot },
      ),
    );
    expect(out.uid).not.toBe(0);
    expect(out.text).toBe('inside 10.209.0.2');
    expect(comparableLinks(out.links)).toEqual(fromIpLinks(out.ipLinks));
    expect(out.addrs.filter((a: { flags: string[] }) => !a.flags.includes('tentative'))).toEqual(
      fromIpAddresses(out.ipAddrs).filter((a) => !a.flags.includes('tentative')),
    );
    expect(out.routes.map((r: { dst: string }) => r.dst)).toEqual(out.ipRoutes.map((r: { dst: string }) => r.dst));
    expect(out.routes).toContainEqual(expect.objectContaining({ dst: '10.210.0.0/16', gateway: '10.209.0.2' }));
  });
});
