// One valgrind memcheck pass over a representative workload (see
// test/fixtures/valgrind-workload.js). Fails on any memcheck error.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './support/checkout.mjs';

const run = spawnSync(
  'valgrind',
  [
    '--tool=memcheck',
    '--error-exitcode=97',
    '--leak-check=no',
    `--suppressions=${join(ROOT, 'test', 'fixtures', 'valgrind.supp')}`,
    process.execPath,
    join(ROOT, 'test', 'fixtures', 'valgrind-workload.js'),
  ],
  { env: { ...process.env, NSBIND: join(ROOT, 'dist', 'index.js') }, encoding: 'utf8' },
);
if (run.error) {
  console.error(`valgrind pass: could not run valgrind: ${run.error.message}`);
  process.exit(1);
}
const summary = /ERROR SUMMARY: (\d+) errors/.exec(run.stderr);
process.stdout.write(run.stdout);
if (run.status !== 0 || !summary || summary[1] !== '0' || !run.stdout.includes('workload done')) {
  process.stderr.write(run.stderr);
  console.error(`valgrind pass: FAILED (exit ${run.status}, ${summary?.[1] ?? '?'} errors)`);
  process.exit(1);
}
console.log(`valgrind pass: memcheck, 0 errors (${/in use at exit.*/.exec(run.stderr)?.[0] ?? ''})`);
