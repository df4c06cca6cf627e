// `npm test`: every check and test pass, one after the other, each run even
// when an earlier one failed; then one line per pass (result, wall time), and
// a failure exit status if any failed, with the tests that failed named under
// their pass (CI may keep only the end of the output). Only the build of dist/
// (which the passes load) stops the passes after it.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/checkout.mjs';

const node = process.execPath;
const bin = (name) => join(ROOT, 'node_modules', '.bin', name);
const STEPS = [
  { name: 'lint', argv: ['npm', 'run', '--silent', 'lint'] },
  { name: 'tsc (lib → dist)', argv: [bin('tsc'), '-p', 'tsconfig.json'], needed: true },
  { name: 'tsc (tests)', argv: [bin('tsc'), '-p', 'test/tsconfig.json'] },
  { name: 'root pass', argv: [bin('vitest'), 'run'], env: { NSBIND_TEST_PASS: 'root' }, report: 'root' },
  { name: 'nobody pass', argv: [node, 'test/unprivileged.mjs'], report: 'nobody' },
  { name: 'ASan+UBSan pass', argv: [node, 'test/sanitize.mjs'], report: 'asan' },
  { name: 'valgrind pass', argv: [node, 'test/valgrind.mjs'] },
];

// vitest's JSON reports go here, in a directory only root may create files in
// (no one else can plant a symlink where root writes); the nobody pass writes
// into a subdirectory of its own.
const reports = mkdtempSync(join(tmpdir(), 'nsbind-test-reports-'));
chmodSync(reports, 0o711);
if (process.geteuid() === 0) {
  mkdirSync(join(reports, 'nobody'), { mode: 0o700 });
  chownSync(join(reports, 'nobody'), 65534, 65534);
}
const reportPath = (pass) =>
  join(reports, ...(pass === 'nobody' && process.geteuid() === 0 ? ['nobody'] : []), `${pass}.json`);

// "test/x.test.ts > describe > test: first line of the error", for each failure
// the report records; or why there is nothing to name.
function failures(reportFile) {
  let report;
  try {
    const fd = openSync(reportFile, constants.O_RDONLY | constants.O_NOFOLLOW);
    report = JSON.parse(readFileSync(fd, 'utf8'));
    closeSync(fd);
  } catch (error) {
    return [`no readable report (${error.code ?? error.message}): see vitest's output above`];
  }
  const lines = [];
  for (const file of report.testResults) {
    const name = file.name.slice(file.name.lastIndexOf('/test/') + 1);
    const failed = file.assertionResults.filter((t) => t.status === 'failed');
    for (const t of failed) lines.push(`${name} > ${t.fullName}: ${firstLine(t.failureMessages[0])}`);
    if (file.status === 'failed' && failed.length === 0) lines.push(`${name}: ${firstLine(file.message)}`);
  }
  if (lines.length === 0)
    lines.push('no test failed: vitest reported an error outside the tests (see its output above)');
  return lines;
}
const firstLine = (text) => (text ?? '').trim().split('\n')[0] || 'no message';

const results = [];
let blocked;
for (const step of STEPS) {
  if (blocked) {
    results.push({ ...step, status: `not run (${blocked} failed)`, ok: false, ran: false, seconds: 0 });
    continue;
  }
  console.log(`\n=== ${step.name}: ${step.argv.join(' ')}`);
  const start = process.hrtime.bigint();
  const report = step.report && reportPath(step.report);
  const run = spawnSync(step.argv[0], step.argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...step.env, ...(report && { NSBIND_TEST_REPORT: report }) },
    stdio: 'inherit',
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const ok = run.status === 0;
  const status = ok ? 'ok' : `FAILED (${run.error?.message ?? (run.signal || `exit ${run.status}`)})`;
  results.push({ ...step, status, ok, ran: true, seconds, failures: !ok && report ? failures(report) : [] });
  console.log(`=== ${step.name}: ${status}, ${seconds.toFixed(1)} s`);
  if (!ok && step.needed) blocked = step.name;
}

const width = Math.max(...STEPS.map((s) => s.name.length));
console.log('\nnpm test:');
for (const r of results) {
  console.log(`  ${r.name.padEnd(width)}  ${r.seconds.toFixed(1).padStart(6)} s  ${r.status}`);
  for (const line of r.failures ?? []) console.log(`      ${line}`);
}
rmSync(reports, { recursive: true, force: true });
const failed = results.filter((r) => r.ran && !r.ok).length;
const notRun = results.filter((r) => !r.ran).length;
const total = results.reduce((sum, r) => sum + r.seconds, 0);
const verdict = failed || notRun ? `${failed} FAILED${notRun ? `, ${notRun} not run` : ''}` : 'all passed';
console.log(`  ${'total'.padEnd(width)}  ${total.toFixed(1).padStart(6)} s  ${verdict}`);
process.exitCode = failed || notRun ? 1 : 0;
