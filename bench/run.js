// npm run bench: every suite, one run, ratios printed. Needs root.
// Each suite runs in a process of its own, so that one suite's state (the
// spawn suite's 4 GB heap) cannot slow the tools another suite measures.
'use strict';
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const SUITES = ['core', 'spawn', 'subprocess', 'sandbox', 'inspect', 'cli', 'network'];

if (process.geteuid() !== 0) {
  console.error('bench: needs root (it creates and enters namespaces)');
  process.exit(1);
}
for (const suite of SUITES) {
  const script = `require(${JSON.stringify(join(__dirname, suite))})().catch((e) => { console.error(e); process.exit(1); })`;
  const run = spawnSync(process.execPath, ['-e', script], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
  console.log();
}
