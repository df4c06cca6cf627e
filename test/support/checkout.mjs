// A throw-away copy of this checkout, for runs that must not disturb it
// (a sanitizer build, a run by another user).
import { chmodSync, cpSync, lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Copy the checkout into a new temp dir. `skip`: top-level entries to leave
 * out; `linkModules`: symlink node_modules instead of copying it.
 */
export function copyCheckout(name, { skip = [], linkModules = false, readableByAll = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `nsbind-${name}-`));
  const leave = new Set(['.git', ...skip, ...(linkModules ? ['node_modules'] : [])]);
  // verbatimSymlinks: node_modules/.bin links stay relative, inside the copy
  cpSync(ROOT, dir, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !leave.has(relative(ROOT, src).split('/')[0]),
  });
  if (linkModules) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  if (readableByAll) openUp(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** chmod a+rX, recursively (mkdtemp makes 0700 directories); symlinks are left alone. */
export function openUp(path) {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  chmodSync(path, st.mode | (st.isDirectory() || st.mode & 0o100 ? 0o555 : 0o444));
  if (st.isDirectory()) for (const entry of readdirSync(path)) openUp(join(path, entry));
}
