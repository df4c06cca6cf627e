// The same calls through child_process and through nsbind (no namespaces, then a new uts
// namespace), side by side in one run: what a caller can observe must be the same.
import * as cp from 'node:child_process';
import { closeSync, createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, type SpawnOptions, spawn, spawnSync } from '../lib/index.js';
import { fdCount, isRoot, zombies } from './support/env.js';

const dir = mkdtempSync(join(tmpdir(), 'nsbind-cp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'hello'), 'echo "hello from PATH $1"\n', { mode: 0o755 }); // no #!: execvp runs it with /bin/sh
const NO_SHEBANG = join(dir, 'hello');

const MODES: [string, SpawnOptions][] = [
  ['no namespaces', {}],
  ["['uts']", isRoot ? { namespaces: ['uts'] } : { namespaces: ['user', 'uts'], mapRootUser: true }],
];

interface Child {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  stdio: readonly unknown[];
  pid?: number | undefined;
  exitCode: number | null;
  signalCode: NodeJS.Signals | string | null;
  killed: boolean;
  spawnfile: string;
  spawnargs: readonly string[];
  kill(signal?: NodeJS.Signals): boolean;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}
type Spawner = (file: string, args: string[], options: object) => Child;

interface Case {
  name: string;
  file: string;
  args: string[];
  options?: (signal: AbortSignal) => object;
  /** What the test does once the child is there. */
  act?: (child: Child, abort: () => void) => void;
  /** Something outside the child to read after it closed. */
  after?: () => string;
}

const errorShape = (e: unknown) => {
  const { name, message, code, cause } = e as Error & { code?: unknown };
  return { name, message, code, cause };
};

/** Everything observable of one spawn: events in order, output bytes, status and properties. */
function observe(spawner: Spawner, c: Case): Promise<object> {
  const controller = new AbortController();
  const events: unknown[] = [];
  const child = spawner(c.file, c.args, { ...c.options?.(controller.signal) });
  const out: Record<string, string> = {};
  child.stdio.forEach((s, i) => {
    if (i > 0 && s) (s as Readable).on('data', (d: Buffer) => (out[i] = (out[i] ?? '') + d));
  });
  return new Promise((resolve) => {
    child.on('spawn', () => {
      events.push('spawn');
      c.act?.(child, () => controller.abort('the reason'));
    });
    child.on('exit', (code, signal) => events.push(['exit', code, signal]));
    child.on('error', (e) => events.push(['error', errorShape(e)]));
    child.on('close', (code, signal) => {
      events.push(['close', code, signal]);
      const { exitCode, signalCode, killed, spawnfile, spawnargs } = child;
      resolve({ events, out, exitCode, signalCode, killed, spawnfile, spawnargs, after: c.after?.() });
    });
  });
}

const sh = (script: string, extra: Partial<Case> = {}): Case => ({
  name: script,
  file: '/bin/sh',
  args: ['-c', script],
  ...extra,
});
const outFile = join(dir, 'out');
const streamFile = join(dir, 'stream');

const CASES: Case[] = [
  sh('printf out; printf err >&2; exit 3', { name: 'stdout, stderr, exit code' }),
  sh('kill -TERM $$', { name: 'ended by its own signal' }),
  { name: 'stdin into stdout', file: 'cat', args: [], act: (c) => c.stdin?.end('hello\nworld') },
  { name: 'kill() with SIGINT', file: 'sleep', args: ['100'], act: (c) => c.kill('SIGINT') },
  { name: 'timeout', file: 'sleep', args: ['100'], options: () => ({ timeout: 20 }) },
  {
    name: 'timeout with killSignal SIGKILL',
    file: 'sleep',
    args: ['100'],
    options: () => ({ timeout: 20, killSignal: 'SIGKILL' }),
  },
  {
    name: 'abort after spawn',
    file: 'sleep',
    args: ['100'],
    options: (signal) => ({ signal }),
    act: (_, abort) => abort(),
  },
  {
    name: 'signal aborted before spawn',
    file: 'sleep',
    args: ['100'],
    options: () => ({ signal: AbortSignal.abort() }),
  },
  {
    name: 'abort after the exit: nothing happens',
    file: 'true',
    args: [],
    options: (signal) => ({ signal }),
    act: (c, abort) => c.on('exit', abort),
  },
  sh('echo three >&3; read x <&3; echo "got $x"', {
    name: "fd 3 'pipe': duplex child.stdio[3]",
    options: () => ({ stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }),
    act: (c) => (c.stdio[3] as Readable).once('data', () => (c.stdio[3] as Writable).end('back\n')),
  }),
  sh('echo to-fd; echo to-stderr >&2', {
    name: 'an fd number, and inherit/ignore',
    options: () => {
      const fd = openSync(outFile, 'w');
      setImmediate(() => closeSync(fd));
      return { stdio: ['ignore', fd, 'pipe'] };
    },
    after: () => readFileSync(outFile, 'utf8'),
  }),
  sh('echo through-stream', {
    name: 'a stream that has an fd',
    options: () => ({ stdio: ['ignore', openStream, 'ignore'] }),
    after: () => readFileSync(streamFile, 'utf8'),
  }),
  sh('echo $0 "$@"', { name: 'argv0', args: ['-c', 'echo $0 "$@"', 'a', 'b'], options: () => ({ argv0: 'custom' }) }),
  {
    name: 'PATH from options.env; a file without #! runs through /bin/sh',
    file: 'hello',
    args: ['x'],
    options: () => ({ env: { PATH: `/nonexistent:${dir}` } }),
  },
  { name: 'a path to a file without #!', file: NO_SHEBANG, args: ['y'] },
  sh('(sleep 0.2; echo late) & exit 0', { name: "output after the exit: 'close' waits for it" }),
];
let openStream: ReturnType<typeof createWriteStream>;

const promisified = promisify(cp.execFile) as (file: string, args: string[], options: object) => Promise<object>;
const execCases: [string, string, string[], () => object][] = [
  ['success', '/bin/sh', ['-c', 'printf out; printf err >&2'], () => ({})],
  ['non-zero exit', '/bin/sh', ['-c', 'printf out; printf err >&2; exit 3'], () => ({})],
  ['signalled', '/bin/sh', ['-c', 'kill -KILL $$'], () => ({})],
  ['timeout', 'sleep', ['100'], () => ({ timeout: 20 })],
  ['maxBuffer', '/bin/sh', ['-c', 'printf 0123456789abcdef'], () => ({ maxBuffer: 10 })],
  [
    'maxBuffer on stderr, killSignal',
    '/bin/sh',
    ['-c', 'printf 0123456789 >&2; sleep 100'],
    () => ({ maxBuffer: 4, killSignal: 'SIGKILL' }),
  ],
  ['encoding buffer', '/bin/sh', ['-c', 'printf "\\377\\000"'], () => ({ encoding: 'buffer' })],
  ['encoding latin1', '/bin/sh', ['-c', 'printf "\\351"'], () => ({ encoding: 'latin1' })],
  ['abort', 'sleep', ['100'], () => ({ signal: AbortSignal.timeout(20) })],
  ['no such file', 'nsbind-no-such-program', ['x'], () => ({ env: { PATH: dir } })],
];
const settled = (p: Promise<object>) =>
  p.then(
    (value) => ({ value }),
    (e) => {
      const { name, message, code, errno, path, spawnargs, killed, signal, cmd, stdout, stderr } = e;
      return { error: { name, message, code, errno, path, spawnargs, killed, signal, cmd, stdout, stderr } };
    },
  );

const syncCases: [string, string, string[], object][] = [
  ['success, with input', 'cat', [], { input: 'hello' }],
  ['non-zero exit, strings', '/bin/sh', ['-c', 'printf out; printf err >&2; exit 3'], { encoding: 'utf8' }],
  ['signalled', '/bin/sh', ['-c', 'kill -TERM $$'], {}],
  ['fd 3 pipe', '/bin/sh', ['-c', 'echo three >&3'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }],
  ['stdin and stdout ignored', '/bin/sh', ['-c', 'cat; echo err >&2'], { stdio: ['ignore', 'ignore', 'pipe'] }],
  ['timeout', 'sleep', ['100'], { timeout: 20 }],
  ['timeout with killSignal', 'sleep', ['100'], { timeout: 20, killSignal: 'SIGKILL' }],
  ['maxBuffer', '/bin/sh', ['-c', 'printf 0123456789; sleep 100'], { maxBuffer: 4 }],
  ['no such file', 'nsbind-no-such-program', ['x'], { env: { PATH: dir } }],
  ['PATH from options.env', 'hello', ['z'], { env: { PATH: dir } }],
];
type SyncResult = ReturnType<typeof cp.spawnSync>;
interface SyncShape {
  pid: boolean;
  status: number | null;
  signal: string | null;
  output: (string | null)[] | null | undefined;
  error: Record<string, unknown> | undefined;
}
const syncShape = (r: SyncResult): SyncShape => {
  const e = r.error as (Error & Record<string, unknown>) | undefined;
  return {
    pid: r.pid > 0,
    status: r.status,
    signal: r.signal,
    output: r.output?.map((o) => (o === null ? null : String(o))),
    error: e && { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, spawnargs: e.spawnargs },
  };
};

describe.each(MODES)('child_process and nsbind, %s', (_, mode) => {
  const nsbind: Spawner = (file, args, options) => spawn(file, args, { ...mode, ...options }) as unknown as Child;

  it.each(CASES)('spawn: $name', async (c) => {
    const run = async (spawner: Spawner, name: string) => {
      openStream = createWriteStream(`${streamFile}`);
      await new Promise((r) => openStream.once('open', r));
      try {
        return await observe(spawner, c);
      } finally {
        openStream.close();
        if (name === 'nsbind') expect(zombies()).toEqual([]);
      }
    };
    const theirs = await run(cp.spawn as unknown as Spawner, 'child_process');
    const fds = fdCount();
    const ours = await run(nsbind, 'nsbind');
    expect(ours).toEqual(theirs);
    expect(fdCount()).toBe(fds);
  });

  it('spawn of a missing program: the same code, errno, path and spawnargs (thrown, not emitted)', async () => {
    const theirs = await new Promise<Record<string, unknown>>((resolve) =>
      cp.spawn('nsbind-no-such-program', ['x'], { env: { PATH: dir } }).on('error', resolve),
    );
    let ours: Record<string, unknown> = {};
    expect(() => {
      try {
        nsbind('nsbind-no-such-program', ['x'], { env: { PATH: dir } });
      } catch (e) {
        ours = e as Record<string, unknown>;
        throw e;
      }
    }).toThrow(/ENOENT/);
    const shape = ({ code, errno, path, spawnargs }: Record<string, unknown>) => ({ code, errno, path, spawnargs });
    expect(shape(ours)).toEqual(shape(theirs));
    expect([theirs.syscall, ours.syscall, ours.step]).toEqual(['spawn nsbind-no-such-program', 'execve', 'exec']);
  });

  it.each(execCases)('execFile: %s', async (_, file, args, options) => {
    const their = promisified(file, args, options()) as Promise<object> & { child: cp.ChildProcess };
    const theirs = await settled(their);
    const our = execFile(file, args, { ...mode, ...options() });
    const ours = await settled(our);
    // an abort rejects at once (both): the children are reaped after
    await Promise.all([
      our.child?.exited,
      new Promise((r) =>
        (their.child.exitCode ?? their.child.signalCode) !== null ? r(0) : their.child.once('exit', r),
      ),
    ]);
    if ('error' in ours && ours.error.code === 'ENOENT') {
      // nsbind names the failed syscall and its step where child_process says 'spawn FILE'
      expect(ours.error.message).toBe("ENOENT: no such file or directory, execve 'nsbind-no-such-program'");
      ours.error.name = (theirs as typeof ours).error.name;
      ours.error.message = (theirs as typeof ours).error.message;
    }
    expect(ours).toEqual(theirs);
    expect(zombies()).toEqual([]);
  });

  it.each(syncCases)('spawnSync: %s', (_, file, args, options) => {
    const fds = fdCount();
    const theirs = syncShape(cp.spawnSync(file, args, options));
    const ours = syncShape(spawnSync(file, args, { ...mode, ...options }) as SyncResult);
    if (ours.error?.code === 'ENOENT') {
      expect(ours.error.syscall).toBe('execve');
      ours.error.syscall = theirs.error?.syscall;
    }
    if (ours.error?.code === 'ENOBUFS') {
      // how much is read before the kill depends on the chunks: both keep at least maxBuffer bytes
      for (const r of [ours, theirs]) {
        expect(r.output?.[1]?.startsWith('0123')).toBe(true);
        r.output = null;
      }
    }
    expect(ours).toEqual(theirs);
    expect(fdCount()).toBe(fds);
    expect(zombies()).toEqual([]);
  });

  it('the child is in the namespaces asked for (the mode is real)', async () => {
    const own = await readlink('/proc/self/ns/uts');
    const { stdout } = await execFile('readlink', ['/proc/self/ns/uts'], mode);
    expect(stdout.trim() === own).toBe(mode.namespaces === undefined);
  });
});

it('execFile input reaches stdin; promise.child is the Subprocess', async () => {
  const p = execFile('cat', [], { input: Buffer.from('bytes in') });
  expect(p.child?.spawnfile).toBe('cat');
  expect(await p).toEqual({ stdout: 'bytes in', stderr: '' });
  // input the program never reads (EPIPE on our end) is no failure: its exit decides
  expect(await execFile('true', [], { input: Buffer.alloc(4 << 20) })).toEqual({ stdout: '', stderr: '' });
  expect(spawnSync('true', [], { input: Buffer.alloc(4 << 20) }).status).toBe(0);
  expect(() => execFile('cat', [], { input: 'x', stdio: 'ignore' })).toThrow(TypeError);
  expect(() => execFile('cat', [], { encoding: 'nope' as never })).toThrow(TypeError);
  expect(() => spawnSync('cat', [], { maxBuffer: -1 })).toThrow(RangeError);
  expect(() => spawnSync('cat', [], { signal: AbortSignal.abort() } as never)).toThrow(TypeError);
});

it('spawnSync waits on this thread: the event loop does not turn meanwhile', () => {
  let turned = false;
  setImmediate(() => (turned = true));
  const r = spawnSync('/bin/sh', ['-c', 'sleep 0.1; echo done'], { encoding: 'utf8' });
  expect(r.stdout).toBe('done\n');
  expect(turned).toBe(false);
});

it('spawnSync after a timeout: a grandchild holding the pipe does not keep it waiting; no zombie, no fd', () => {
  const fds = fdCount();
  const r = spawnSync('/bin/sh', ['-c', 'sleep 100 & echo $!; wait'], { timeout: 100, encoding: 'utf8' });
  const grandchild = Number(r.stdout);
  try {
    expect(r.error?.code).toBe('ETIMEDOUT');
    expect(r.signal).toBe('SIGTERM');
    expect(grandchild).toBeGreaterThan(0);
    expect(fdCount()).toBe(fds);
    expect(zombies()).toEqual([]);
  } finally {
    if (grandchild > 0) process.kill(grandchild, 'SIGKILL');
  }
});
