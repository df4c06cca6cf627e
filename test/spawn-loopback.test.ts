// spawn's loopback option: the child brings lo up in its new network namespace
// before exec. The truth side by side: util-linux unshare and iproute2 doing the
// same (`ip link set lo up`), then the same `ip -j` inside both.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NamespaceError, type SpawnOptions, spawn } from '../lib/index.js';
import { itRoot, output, thrown } from './support/env.js';

const SHOW = 'ip -j link show lo; ip -j addr show lo';

/** What `ip -j` says of lo inside a child that nsbind made, lo brought up by the child itself. */
async function inside(options: SpawnOptions): Promise<unknown[]> {
  const out = await output(spawn('/bin/sh', ['-c', SHOW], { stdio: ['ignore', 'pipe', 'pipe'], ...options }));
  expect(out).toMatchObject({ code: 0, stderr: '' });
  return out.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** The same from util-linux's unshare, lo brought up by iproute2. */
function unshare(flags: string[]): unknown[] {
  const out = execFileSync('unshare', [...flags, 'sh', '-c', `ip link set lo up && ${SHOW}`], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('spawn loopback', () => {
  itRoot('new net namespace: lo is up with 127.0.0.1/8 and ::1, exactly as after ip link set lo up', async () => {
    const [link, addr] = await inside({ namespaces: ['net'], loopback: true });
    expect(link).toMatchObject([{ ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'] }]);
    expect((addr as { addr_info: { local: string; prefixlen: number }[] }[])[0]!.addr_info).toMatchObject([
      { local: '127.0.0.1', prefixlen: 8 },
      { local: '::1', prefixlen: 128 },
    ]);
    expect([link, addr]).toEqual(unshare(['--net']));
    // without the option lo stays down, as the kernel makes it
    const [down] = await inside({ namespaces: ['net'] });
    expect(down).toMatchObject([{ ifname: 'lo', flags: ['LOOPBACK'] }]);
  });

  it('unprivileged too: with a new user namespace (mapRootUser), as unshare --user --map-root-user --net', async () => {
    const got = await inside({ namespaces: ['user', 'net'], mapRootUser: true, loopback: true });
    expect(got[0]).toMatchObject([{ ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'] }]);
    expect(got).toEqual(unshare(['--user', '--map-root-user', '--net']));
  });

  it('carries traffic inside: a TCP connection to 127.0.0.1 in the child', async () => {
    const script = `const net = require('node:net');
const server = net.createServer((s) => s.end('lo')).listen(0, '127.0.0.1', () => {
  net.connect(server.address().port, '127.0.0.1').on('data', (d) => { console.log(String(d)); server.close(); });
});`;
    const out = await output(
      spawn(process.execPath, ['-e', script], { namespaces: ['user', 'net'], mapRootUser: true, loopback: true }),
    );
    expect(out).toMatchObject({ code: 0, stdout: 'lo\n' });
  });

  it('needs a new network namespace: a TypeError before anything is cloned', () => {
    expect(() => spawn('/bin/true', [], { loopback: true })).toThrow(
      new TypeError("options.loopback needs a new network namespace: add 'net' to options.namespaces"),
    );
    expect(() => spawn('/bin/true', [], { join: { net: '/proc/self/ns/net' }, loopback: true })).toThrow(TypeError);
    expect(() => spawn('/bin/true', [], { namespaces: ['net'], loopback: 'yes' as never })).toThrow(
      /options.loopback must be a boolean/,
    );
  });

  itRoot(
    'a failure is step loopback: after joining a user namespace that does not own the new network namespace',
    async () => {
      // a user namespace of a child: root may join it, and then has no privilege over the network
      // namespace the clone made (it belongs to the initial user namespace)
      const holder = spawn('/bin/sleep', ['60'], { namespaces: ['user'], mapRootUser: true, stdio: 'ignore' });
      try {
        const error = thrown(() =>
          spawn('/bin/true', [], {
            namespaces: ['net'],
            join: { user: `/proc/${holder.pid}/ns/user` },
            loopback: true,
          }),
        );
        expect(error).toBeInstanceOf(NamespaceError);
        expect(error).toMatchObject({ code: 'EPERM', step: 'loopback', syscall: 'netlink', path: 'lo' });
        expect(error.hint).toMatch(/CAP_NET_ADMIN in the user namespace that owns the child's new network namespace/);
      } finally {
        holder.kill('SIGKILL');
        await holder.exited;
      }
    },
  );
});
