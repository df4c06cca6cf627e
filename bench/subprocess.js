// execFile('/bin/true') and spawnSync('/bin/true'): nsbind vs child_process's, with this
// process holding 50 MB and then 4 GB (allocated and touched here): a fork-style spawn
// copies the page tables of all of it, nsbind's CLONE_VM child none.
'use strict';
const cp = require('node:child_process');
const { promisify } = require('node:util');
const { execFile, spawnSync } = require('..');
const { interleave, row } = require('./support');

const N = Number(process.env.NSBIND_BENCH_SPAWNS ?? 50);
const cpExecFile = promisify(cp.execFile);

async function each(start) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await start();
  return Number(process.hrtime.bigint() - t0) / N;
}

function measure() {
  return interleave(5, {
    execFile: () => each(() => execFile('/bin/true')),
    cpExecFile: () => each(() => cpExecFile('/bin/true')),
    spawnSync: () => each(() => spawnSync('/bin/true')),
    cpSpawnSync: () => each(() => cp.spawnSync('/bin/true')),
  });
}

/** Buffers touched page by page until this process's RSS is about `bytes`. */
function grow(bytes, chunks = []) {
  const chunk = 2 ** 26;
  while (process.memoryUsage().rss < bytes) chunks.push(Buffer.alloc(chunk, 1));
  return chunks;
}

module.exports = async function subprocessBench() {
  const mb = (b) => `${Math.round(b / 2 ** 20)} MB`;
  console.log(`execFile and spawnSync of /bin/true (median of 5 interleaved rounds × ${N} calls)`);
  const heap = grow(50 * 2 ** 20);
  for (const size of [50 * 2 ** 20, 4 * 2 ** 30]) {
    grow(size, heap);
    const m = await measure();
    console.log(`-- parent RSS ${mb(process.memoryUsage().rss)}`);
    row('nsbind execFile', m.execFile, { 'util.promisify(child_process.execFile)': m.cpExecFile });
    row('nsbind spawnSync', m.spawnSync, { 'child_process.spawnSync': m.cpSpawnSync });
  }
  heap.length = 0;
};
