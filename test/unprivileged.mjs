// The suite again as an unprivileged user (nobody, via setpriv), with the
// files vitest.config.mts selects for this pass: root-only tests skip with
// their reason shown, and every test that expects a privileged operation to
// fail cleanly (EPERM with a hint) sees it fail.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { copyCheckout, ROOT } from './support/checkout.mjs';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

if (process.geteuid() !== 0) {
  console.log('unprivileged pass: already running unprivileged, nothing more to run');
  process.exit(0);
}

// nobody must be able to read the checkout; a clone under /root is not, so use a copy.
const readable =
  spawnSync(NOBODY[0], [
    ...NOBODY.slice(1),
    'test',
    '-r',
    join(ROOT, 'package.json'),
    '-a',
    '-x',
    join(ROOT, 'node_modules', '.bin'),
  ]).status === 0;
const copy = readable ? undefined : copyCheckout('unprivileged', { readableByAll: true });
const dir = copy?.dir ?? ROOT;

console.log(`unprivileged pass: the suite as nobody (uid 65534) in ${dir}`);
const vitest = join(dir, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  NOBODY[0],
  [
    ...NOBODY.slice(1),
    'env',
    'HOME=/tmp',
    'NSBIND_TEST_PASS=nobody',
    process.execPath,
    vitest,
    'run',
    '--configLoader',
    'runner',
    ...process.argv.slice(2), // test files, to run only those
  ],
  { cwd: dir, stdio: 'inherit' },
);
copy?.remove();
process.exit(run.status ?? 1);
