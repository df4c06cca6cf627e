// `npm run docs`: typedoc builds the API reference from the TypeScript declarations
// without a warning (every type a public signature mentions is documented).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT_DIR } from './support/env.js';

it('npm run docs generates the API reference', () => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = scripts.docs!.split(' ');
  expect(command).toBe('typedoc');
  expect(args).toContain('--treatWarningsAsErrors');
  const out = mkdtempSync(join(tmpdir(), 'nsbind-docs-'));
  try {
    const outArg = args.indexOf('--out');
    args.splice(outArg, 2, '--out', out); // same options, a temporary directory
    execFileSync(join(ROOT_DIR, 'node_modules', '.bin', 'typedoc'), args, {
      cwd: ROOT_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const page = readFileSync(join(out, 'classes', 'Namespace.html'), 'utf8');
    expect(page).toContain('NS_GET_ID');
    expect(readFileSync(join(out, 'functions', 'withNamespaces.html'), 'utf8')).toContain('restore');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 60_000);
