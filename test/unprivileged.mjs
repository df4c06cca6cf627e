// Run the whole suite again as an unprivileged user (nobody, via setpriv):
// root-only tests skip with their reason shown, and every test that expects
// a privileged operation to fail cleanly (EPERM with a hint) sees it fail.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, chmodSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const root = fileURLToPath(new URL('..', import.meta.url));

if (process.geteuid() !== 0) {
  console.log('unprivileged pass: already running unprivileged, nothing more to run');
  process.exit(0);
}

// nobody must be able to read the checkout; a clone under /root is not, so use a copy.
const readable = spawnSync(NOBODY[0], [...NOBODY.slice(1), 'test', '-r', join(root, 'package.json'), '-a', '-x', join(root, 'node_modules', '.bin')]).status === 0;
let dir = root;
if (!readable) {
  dir = mkdtempSync(join(tmpdir(), 'nsbind-unprivileged-'));
  cpSync(root, dir, { recursive: true, filter: (src) => !src.endsWith('/.git') });
  openUp(dir);
}

console.log(`unprivileged pass: the whole suite as nobody (uid 65534) in ${dir}`);
const vitest = join(dir, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  NOBODY[0],
  [...NOBODY.slice(1), 'env', 'HOME=/tmp', process.execPath, vitest, 'run', '--configLoader', 'runner', '--reporter=verbose'],
  { cwd: dir, stdio: 'inherit' },
);
if (dir !== root) rmSync(dir, { recursive: true, force: true });
process.exit(run.status ?? 1);

/** chmod a+rX, recursively (the copy's directories came from mkdtemp with mode 0700). */
function openUp(path) {
  const st = statSync(path);
  chmodSync(path, st.mode | (st.isDirectory() || st.mode & 0o100 ? 0o555 : 0o444));
  if (st.isDirectory()) for (const entry of readdirSync(path)) openUp(join(path, entry));
}
