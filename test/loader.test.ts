import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { libc, load } from '../lib/loader.js';
import { ROOT_DIR } from './support/env.js';

const TARGET = `${process.platform}-${process.arch}`;
const ARCH_DIR = `prebuilds/${TARGET}`;
/** The addon this checkout loads: a real, working binary to copy around. */
const GOOD = readFileSync(load<object>().path);
const INIT = readFileSync(join(dirname(load<object>().path), 'nsbind-init'));
/** The same binary claiming to be for AArch64 (ELF e_machine 183): what a wrong-arch prebuild looks like. */
const OTHER_ARCH = Buffer.from(GOOD);
OTHER_ARCH.writeUInt16LE(183, 18);
const CORRUPT = 'not an ELF file\n';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An installed-package layout (package.json, dist/, scripts/, node_modules) plus `files`. */
function tempPackage(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nsbind-loader-'));
  made.push(dir);
  cpSync(join(ROOT_DIR, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT_DIR, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT_DIR, 'scripts'), join(dir, 'scripts'), { recursive: true });
  symlinkSync(join(ROOT_DIR, 'node_modules'), join(dir, 'node_modules'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

interface Loaded {
  path?: string;
  /** st_ino of /proc/thread-self/ns/net as the loaded binary's open() reports it. */
  ino?: number;
  code?: string;
  message?: string;
  hint?: string;
}

/** Load the addon of package `dir` in a fresh node process, as dist/native.js does. */
function loadIn(dir: string): Loaded {
  const script = `const { load } = require(${JSON.stringify(join(dir, 'dist', 'loader.js'))});
    try {
      const b = load();
      console.log(JSON.stringify({ path: b.path, ino: b.open('/proc/thread-self/ns/net')[3] }));
    } catch (e) {
      console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint }));
    }`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Loaded;
}

describe('loader', () => {
  it('detects the C library this node runs on (agrees with process.report)', () => {
    const { header } = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
    expect(libc()).toBe(header.glibcVersionRuntime ? 'glibc' : 'musl');
  });

  it('tries the local build/Release first, then the libc-tagged prebuild, then the untagged one', () => {
    const dir = tempPackage({
      'build/Release/nsbind.node': GOOD,
      [`${ARCH_DIR}/nsbind.${libc()}.node`]: GOOD,
      [`${ARCH_DIR}/nsbind.node`]: GOOD,
    });
    const netIno = statSync('/proc/self/ns/net').ino;
    expect(loadIn(dir)).toEqual({ path: join(dir, 'build/Release/nsbind.node'), ino: netIno });
    rmSync(join(dir, 'build'), { recursive: true });
    expect(loadIn(dir)).toEqual({ path: join(dir, ARCH_DIR, `nsbind.${libc()}.node`), ino: netIno });
    rmSync(join(dir, ARCH_DIR, `nsbind.${libc()}.node`));
    expect(loadIn(dir)).toEqual({ path: join(dir, ARCH_DIR, 'nsbind.node'), ino: netIno });
  });

  it('a corrupt build/Release throws its dlopen error instead of falling through to a good prebuild', () => {
    const dir = tempPackage({ 'build/Release/nsbind.node': CORRUPT, [`${ARCH_DIR}/nsbind.node`]: GOOD });
    const r = loadIn(dir);
    expect(r.code).toBe('ERR_DLOPEN_FAILED');
    expect(r.message).toBe(`${join(dir, 'build/Release/nsbind.node')}: file too short`);
    expect(r.hint).toContain(`exists but does not load on ${TARGET} (${libc()})`);
    expect(r.hint).toContain('npm rebuild nsbind');
  });

  it('a prebuild for another architecture throws its dlopen error (glibc words it as a missing file)', () => {
    const dir = tempPackage({ [`${ARCH_DIR}/nsbind.node`]: OTHER_ARCH });
    const r = loadIn(dir);
    expect(r.code).toBe('ERR_DLOPEN_FAILED');
    expect(r.message).toContain(join(dir, ARCH_DIR, 'nsbind.node'));
    expect(r.hint).toMatch(/another architecture or C library/);
  });

  it('with no binary for this libc, says what it is and where it looked', () => {
    const other = libc() === 'glibc' ? 'musl' : 'glibc';
    const dir = tempPackage({ [`${ARCH_DIR}/nsbind.${other}.node`]: GOOD });
    const r = loadIn(dir);
    expect(r.code).toBeUndefined();
    expect(r.message).toBe(
      `nsbind: no native addon for ${TARGET} (${libc()}). Could not locate the bindings file. Tried:\n` +
        [`build/Release/nsbind.node`, `${ARCH_DIR}/nsbind.${libc()}.node`, `${ARCH_DIR}/nsbind.node`]
          .map((p) => ` → ${join(dir, p)}`)
          .join('\n'),
    );
    expect(r.hint).toMatch(/npm rebuild nsbind/);
  });
});

describe('install script', () => {
  /** Run scripts/install.js in `dir` with a stand-in node-gyp that records its arguments. */
  function install(
    dir: string,
    { gypStatus = 0 } = {},
  ): { status: number; stdout: string; gypArgs: string | undefined } {
    const bin = join(dir, 'fake-bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'node-gyp'), `#!/bin/sh\necho "$*" > node-gyp.args\nexit ${gypStatus}\n`);
    chmodSync(join(bin, 'node-gyp'), 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    delete env.npm_config_nodedir;
    let status = 0;
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, ['scripts/install.js'], {
        cwd: dir,
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      status = err.status;
      stdout = err.stdout;
    }
    const argsFile = join(dir, 'node-gyp.args');
    return { status, stdout, gypArgs: existsSync(argsFile) ? readFileSync(argsFile, 'utf8').trim() : undefined };
  }

  /** What install.js adds so that node-gyp uses this node's headers instead of downloading them. */
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, 'include/node/node_api.h')) ? ` --nodedir=${prefix}` : '';

  it('a prebuild that loads, with nsbind-init beside it: compiles nothing', () => {
    const dir = tempPackage({ [`${ARCH_DIR}/nsbind.node`]: GOOD, [`${ARCH_DIR}/nsbind-init`]: INIT });
    const r = install(dir);
    expect(r).toMatchObject({ status: 0, gypArgs: undefined });
    expect(r.stdout).toBe(
      `nsbind: using the prebuilt ${ARCH_DIR}/nsbind.node for ${TARGET} (${libc()}); nothing to compile\n`,
    );
  });

  it('a prebuild without nsbind-init (init: true needs it): builds from source', () => {
    const r = install(tempPackage({ [`${ARCH_DIR}/nsbind.node`]: GOOD }));
    expect(r).toMatchObject({ status: 0, gypArgs: `rebuild${nodedir}` });
    expect(r.stdout).toMatch(
      new RegExp(`^nsbind: no nsbind-init beside ${ARCH_DIR}/nsbind\\.node; building from source with node-gyp`),
    );
  });

  it('a development checkout (no prebuilds/): builds from source against the local headers', () => {
    const r = install(tempPackage({}));
    expect(r).toMatchObject({ status: 0, gypArgs: `rebuild${nodedir}` });
    expect(r.stdout).toMatch(
      /^nsbind: no prebuilds\/ directory \(a development checkout\); building from source with node-gyp/,
    );
  });

  it('a prebuild that does not load: says why, then builds from source', () => {
    const r = install(tempPackage({ [`${ARCH_DIR}/nsbind.node`]: CORRUPT }));
    expect(r).toMatchObject({ status: 0, gypArgs: `rebuild${nodedir}` });
    expect(r.stdout).toMatch(
      /^nsbind: the prebuilt binary does not load on [\w-]+ \(\w+\): \/.*nsbind\.node: file too short; building from source/,
    );
  });

  it('no prebuild for this platform: says so, builds, and fails the install when the build fails', () => {
    const r = install(tempPackage({ 'prebuilds/linux-otherarch/nsbind.node': OTHER_ARCH }), { gypStatus: 1 });
    expect(r).toMatchObject({ status: 1, gypArgs: `rebuild${nodedir}` });
    expect(
      r.stdout.startsWith(`nsbind: no prebuilt binary for ${TARGET} (${libc()}) in this package; building from source`),
    ).toBe(true);
  });
});
