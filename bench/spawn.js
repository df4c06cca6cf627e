// spawn of /bin/true in a new uts namespace: nsbind vs unshare(1) via
// child_process vs plain child_process vs a C clone+exec loop; then again
// with this process holding 4 GB (fork-style spawns copy page tables).
'use strict';
const { execFileSync, spawn: cpSpawn } = require('node:child_process');
const { once } = require('node:events');
const { spawn } = require('..');
const { compile, interleave, row } = require('./support');

const N = 100;

async function each(start) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await start();
  return Number(process.hrtime.bigint() - t0) / N;
}

async function measure(cBin) {
  return interleave(5, {
    nsbind: () => each(() => spawn('/bin/true', [], { namespaces: ['uts'], stdio: 'ignore' }).exited),
    unshare: () => each(() => once(cpSpawn('unshare', ['--uts', 'true'], { stdio: 'ignore' }), 'exit')),
    childProcess: () => each(() => once(cpSpawn('/bin/true', [], { stdio: 'ignore' }), 'exit')),
    c: () => Number(execFileSync(cBin, [String(N)], { encoding: 'utf8' })),
  });
}

/** Touch `gb` GiB so they are really resident. */
function hold(gb) {
  const chunks = [];
  for (let i = 0; i < gb; i++) chunks.push(Buffer.alloc(2 ** 30, 1));
  return chunks;
}

module.exports = async function spawnBench() {
  const cBin = compile('clone');
  const small = await measure(cBin);
  const rssSmall = process.memoryUsage().rss;
  const heap = hold(4);
  const big = await measure(cBin);
  const rssBig = process.memoryUsage().rss;
  heap.length = 0;

  const mb = (b) => `${Math.round(b / 2 ** 20)} MB`;
  console.log(`spawn /bin/true in a new uts namespace (median of 5 interleaved rounds × ${N} spawns)`);
  console.log(`-- parent RSS ${mb(rssSmall)}`);
  row(
    'nsbind spawn',
    small.nsbind,
    {
      'unshare(1) via child_process': small.unshare,
      'child_process /bin/true': small.childProcess,
      'C clone+exec': small.c,
    },
    '≤ 0.5× unshare(1), < 1× child_process',
  );
  console.log(`-- parent RSS ${mb(rssBig)}`);
  row(
    'nsbind spawn',
    big.nsbind,
    { 'unshare(1) via child_process': big.unshare, 'child_process /bin/true': big.childProcess, 'C clone+exec': big.c },
    '≤ 1/30 child_process',
  );
  row('nsbind at 4 GB vs small heap', big.nsbind, { 'nsbind, small heap': small.nsbind }, '≤ 1.2×');
  row('child_process at 4 GB vs small heap', big.childProcess, { 'child_process, small heap': small.childProcess });
};
