// Compile a small C program once per test process (an independent truth or a fixture).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const built = new Map<string, string>();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  built.clear();
});

/** Compile `source` with cc and return the executable's path (`-l` flags go after the source, as ld needs). */
export function compileC(name: string, source: string, flags: string[] = []): string {
  const cached = built.get(source);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), `nsbind-${name}-`));
  dirs.push(dir);
  const src = join(dir, `${name}.c`);
  const exe = join(dir, name);
  writeFileSync(src, source);
  const libs = flags.filter((f) => f.startsWith('-l'));
  const other = flags.filter((f) => !f.startsWith('-l'));
  execFileSync('cc', ['-O2', '-Wall', ...other, '-o', exe, src, ...libs], { stdio: 'inherit' });
  built.set(source, exe);
  return exe;
}
