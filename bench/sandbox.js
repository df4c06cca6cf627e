// The sandbox (6 mounts and a file; new user, mnt, pid, net, ipc, uts
// namespaces), start to exit of /bin/true: nsbind's spawn vs bwrap with the same
// flags through child_process, at a small heap and with this process at 4 GB.
'use strict';
const { spawn: cpSpawn } = require('node:child_process');
const { once } = require('node:events');
const { spawn } = require('..');
const { interleave, row } = require('./support');

const N = Number(process.env.NSBIND_BENCH_ROUNDS ?? 5) * 10;

const MOUNTS = [
  { type: 'bind', source: '/usr', target: '/usr', readonly: true },
  { type: 'symlink', source: 'usr/lib', target: '/lib' },
  { type: 'symlink', source: 'usr/lib64', target: '/lib64' },
  { type: 'tmpfs', target: '/tmp', size: 64 << 20, mode: 0o1777 },
  { type: 'proc', target: '/proc' },
  { type: 'dev', target: '/dev' },
  { type: 'dir', target: '/run', mode: 0o755 },
  { type: 'file', target: '/etc/hostname', data: 'box\n', readonly: true },
];
const OPTIONS = {
  namespaces: ['user', 'mnt', 'pid', 'net', 'ipc', 'uts'],
  mapRootUser: true,
  mounts: MOUNTS,
  stdio: 'ignore',
};
// the same for bwrap (its --dev has no tmpfs on shm: add one, as nsbind's dev has), hostname data on fd 3
const BWRAP = [
  ...['--unshare-user', '--uid', '0', '--gid', '0', '--unshare-pid', '--unshare-net', '--unshare-ipc'],
  ...['--unshare-uts', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64'],
  ...['/lib64', '--size', String(64 << 20), '--perms', '1777', '--tmpfs', '/tmp', '--proc', '/proc', '--dev'],
  ...['/dev', '--perms', '1777', '--tmpfs', '/dev/shm', '--perms', '0755', '--dir', '/run', '--perms', '0644'],
  ...['--ro-bind-data', '3', '/etc/hostname', '/usr/bin/true'],
];

async function each(start) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await start();
  return Number(process.hrtime.bigint() - t0) / N;
}

async function bwrapOnce() {
  const child = cpSpawn('bwrap', BWRAP, { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  child.stdio[3].end('box\n');
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`bwrap exited with ${code}`);
}

async function nsbindOnce() {
  const { code } = await spawn('/usr/bin/true', [], OPTIONS).exited;
  if (code !== 0) throw new Error(`the sandbox exited with ${code}`);
}

const measure = () => interleave(5, { nsbind: () => each(nsbindOnce), bwrap: () => each(bwrapOnce) });

module.exports = async function sandboxBench() {
  const small = await measure();
  const rssSmall = process.memoryUsage().rss;
  const heap = [];
  for (let i = 0; i < 4; i++) heap.push(Buffer.alloc(2 ** 30, 1));
  const big = await measure();
  const rssBig = process.memoryUsage().rss;
  heap.length = 0;

  const mb = (b) => `${Math.round(b / 2 ** 20)} MB`;
  console.log(`sandbox start to exit: 8 mounts, 6 new namespaces (median of 5 interleaved rounds × ${N})`);
  console.log(`-- parent RSS ${mb(rssSmall)}`);
  row('nsbind spawn, mounts', small.nsbind, { 'bwrap via child_process': small.bwrap }, '≤ 1/3 bwrap');
  console.log(`-- parent RSS ${mb(rssBig)}`);
  row('nsbind spawn, mounts', big.nsbind, { 'bwrap via child_process': big.bwrap }, '≤ 1/3 bwrap');
  row('nsbind at 4 GB vs small heap', big.nsbind, { 'nsbind, small heap': small.nsbind }, '≤ 1.2×');
};
