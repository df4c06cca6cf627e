// Building a 10-namespace rig — a hub namespace with a bridge, ten namespaces
// each on a veth pair to it, lo and the veth up, an address and a default
// route each — with nsbind in this process, with one `ip` process per step
// (what users do today), and with the same steps as `ip -batch` (one process
// per namespace: a batch cannot switch namespace, `-n` is not a batch command).
'use strict';
const { execFileSync } = require('node:child_process');
const { netns, network } = require('..');
const { interleave, row } = require('./support');

const HOSTS = 10;
const ROUNDS = Number(process.env.NSBIND_BENCH_ROUNDS ?? 5);
let serial = 0;

/** Fresh names for one build: a hub and HOSTS hosts. */
function names() {
  const base = `nsbind-bench-${process.pid}-${serial++}`;
  return { hub: `${base}-hub`, hosts: Array.from({ length: HOSTS }, (_, i) => `${base}-${i}`) };
}

/** The rig's steps, as ip command lines: [namespace (or undefined for netns add), args]. */
function steps(n) {
  const out = [
    [undefined, ['netns', 'add', n.hub]],
    [n.hub, ['link', 'add', 'br0', 'type', 'bridge']],
    [n.hub, ['link', 'set', 'br0', 'up']],
    [n.hub, ['addr', 'add', '10.77.0.1/24', 'dev', 'br0']],
  ];
  n.hosts.forEach((host, i) => {
    out.push(
      [undefined, ['netns', 'add', host]],
      [n.hub, ['link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host]],
      [n.hub, ['link', 'set', `p${i}`, 'master', 'br0', 'up']],
      [host, ['link', 'set', 'lo', 'up']],
      [host, ['link', 'set', 'eth0', 'up']],
      [host, ['addr', 'add', `10.77.0.${i + 2}/24`, 'dev', 'eth0']],
      [host, ['route', 'add', 'default', 'via', '10.77.0.1']],
    );
  });
  return out;
}

function nsbindRig(n) {
  const hubNs = netns.create(n.hub);
  const hub = network(hubNs);
  hub.link.add({ name: 'br0', type: 'bridge', up: true });
  hub.addr.add('br0', '10.77.0.1/24');
  n.hosts.forEach((name, i) => {
    const ns = netns.create(name, { loopback: true });
    const host = network(ns);
    hub.link.add({ name: `p${i}`, type: 'veth', master: 'br0', up: true, peer: { name: 'eth0', netns: ns } });
    host.link.set('eth0', { up: true });
    host.addr.add('eth0', `10.77.0.${i + 2}/24`);
    host.route.add({ to: 'default', via: '10.77.0.1' });
    host.close();
    ns.close();
  });
  hub.close();
  hubNs.close();
}

function ipPerStep(n) {
  for (const [ns, args] of steps(n)) execFileSync('ip', ns ? ['-n', ns, ...args] : args, { stdio: 'ignore' });
}

/** One `ip -batch -` per namespace, in the order the rig needs (the hub's veths need the hosts to exist). */
function ipBatch(n) {
  const byNs = new Map();
  for (const [ns, args] of steps(n)) {
    const key = ns ?? n.hub; // `netns add` runs in the hub's batch (it does not depend on the namespace)
    if (!byNs.has(key)) byNs.set(key, []);
    byNs.get(key).push(args.join(' '));
  }
  const add = byNs.get(n.hub).filter((l) => l.startsWith('netns add'));
  const hubRest = byNs.get(n.hub).filter((l) => !l.startsWith('netns add'));
  execFileSync('ip', ['-batch', '-'], { input: `${add.join('\n')}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
  execFileSync('ip', ['-n', n.hub, '-batch', '-'], {
    input: `${hubRest.join('\n')}\n`,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  for (const host of n.hosts) {
    execFileSync('ip', ['-n', host, '-batch', '-'], {
      input: `${byNs.get(host).join('\n')}\n`,
      stdio: ['pipe', 'ignore', 'inherit'],
    });
  }
}

// The kernel dismantles a deleted network namespace later, on a work queue that takes the rtnl lock: give
// it time after each teardown, or one build pays for the last one (bringing a veth up took 5× as long).
const SETTLE_MS = 1500;

/** ns to build one rig with `build` (the teardown, and the kernel's cleanup after it, are not timed). */
async function timed(build) {
  const n = names();
  const t0 = process.hrtime.bigint();
  try {
    build(n);
    return Number(process.hrtime.bigint() - t0);
  } finally {
    for (const name of [n.hub, ...n.hosts]) if (netns.list().includes(name)) netns.remove(name);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  }
}

module.exports = async function networkBench() {
  const m = await interleave(ROUNDS, {
    nsbind: () => timed(nsbindRig),
    ip: () => timed(ipPerStep),
    batch: () => timed(ipBatch),
  });
  console.log(`network: a ${HOSTS}-namespace rig on a bridge (median of ${ROUNDS} interleaved builds)`);
  row(`nsbind, in-process (${steps(names()).length} steps)`, m.nsbind, { 'ip per step': m.ip }, '≤ 0.05× (20× faster)');
  row('nsbind, in-process', m.nsbind, { [`ip -batch ×${HOSTS + 2}`]: m.batch }, '≤ 1.5×');
};
