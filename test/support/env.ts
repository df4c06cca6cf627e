// Shared test helpers: privilege checks, util-linux fixtures, /proc readers.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject, it, type TestContext } from 'vitest';
import { NamespaceError, type NamespaceType } from '../../lib/index.js';

export const isRoot = process.geteuid?.() === 0;
/** Prefix that runs a command as nobody:nogroup without supplementary groups. */
export const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
/**
 * The environment without the sanitizer pass's preloaded libasan, for programs that are not ours
 * (a shell under an RLIMIT_AS smaller than ASan's shadow, ip's overlapping strncpy).
 */
const { LD_PRELOAD: _preload, ASAN_OPTIONS: _asan, ...asInstalled } = process.env;
export const AS_INSTALLED: NodeJS.ProcessEnv = asInstalled;
export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
/** The built package child processes load: the checkout, or a copy nobody can read (see global-setup.ts). */
export const PACKAGE_DIR = inject('packageDir');
export const DIST = join(PACKAGE_DIR, 'dist', 'index.js');

/** A test that needs root: skipped, with the reason shown, when not root. */
export function itRoot(name: string, fn: (ctx: TestContext) => unknown, timeout?: number): void {
  it(
    `${name} [root]`,
    (ctx) => {
      if (!isRoot) ctx.skip('needs root (CAP_SYS_ADMIN in the initial user namespace)');
      return fn(ctx);
    },
    timeout,
  );
}

/** The NamespaceError `fn` throws (fails the test if it throws anything else, or nothing). */
export function thrown(fn: () => unknown): NamespaceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NamespaceError);
    return e as NamespaceError;
  }
  throw new Error('expected a NamespaceError');
}

/** Inode of a /proc ns link, e.g. nsInode('/proc/thread-self/ns/net'). */
export function nsInode(path: string): number {
  return statSync(path).ino;
}

/** 'net:[4026531833]' */
export function nsLink(path: string): string {
  return readlinkSync(path);
}

/** Open fds of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** tid → inode of that thread's namespace of `type`, for every thread of this process. */
export function threadNamespaces(type: NamespaceType): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(Number(tid), statSync(`/proc/self/task/${tid}/ns/${type}`).ino);
    } catch {
      // the thread exited while we looked
    }
  }
  return out;
}

export interface Fixture {
  /** pid of the process inside the namespaces (the forked child for --fork). */
  pid: number;
  /** pid of the unshare(1) process itself. */
  outer: number;
  stop(): Promise<void>;
}

/**
 * A util-linux `unshare` process holding namespaces open, e.g.
 * fixture(['--net', '--uts']). It runs `setup` (shell) inside, then prints
 * "ready"; `pid` is the process in the namespaces (the forked child, with --fork).
 */
export async function fixture(flags: string[], { asNobody = false, setup = '' } = {}): Promise<Fixture> {
  const script = `${setup ? `${setup} && ` : ''}echo ready && exec sleep 1000`; // a failed setup ends the fixture
  const argv = [...(asNobody ? NOBODY : []), 'unshare', ...flags, 'sh', '-c', script];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fixture unshare ${flags.join(' ')} exited with ${code}`)));
    child.stdout!.once('data', () => resolve());
  });
  const outer = child.pid!;
  const pid = innermost(outer);
  return {
    pid,
    outer,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        for (const p of [pid, outer]) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      await exited;
    },
  };
}

/** Follow first children down to the leaf (the sleeping shell). */
function innermost(pid: number): number {
  for (;;) {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim();
    if (!children) return pid;
    pid = Number(children.split(' ')[0]);
  }
}

/** The NSpid line of /proc/PID/status: pid as seen from each nested pid namespace, outermost first. */
export function nspid(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'latin1')
    .split('\n')
    .find((l) => l.startsWith('NSpid:'))!;
  return line.split(/\s+/).slice(1).filter(Boolean).map(Number);
}

/**
 * Run a script with the built package (dist) in a separate node process; returns stdout. The run is
 * bounded: after `seconds`, timeout(1) kills it and everything it started in its process group, also
 * a child that blocks signals (a hung script fails its test; nothing it started outlives it).
 */
export function runNode(
  script: string,
  { asNobody = false, prefix = [] as string[], env = {} as Record<string, string>, seconds = 100 } = {},
): string {
  const bound = ['timeout', '--signal=KILL', String(seconds)];
  const argv = [...(asNobody ? NOBODY : []), ...bound, ...prefix, process.execPath, '-e', script];
  return execFileSync(argv[0]!, argv.slice(1), {
    cwd: PACKAGE_DIR,
    env: { ...process.env, NSBIND: DIST, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Children of this process that are zombies (spawned, exited, never reaped). */
export function zombies(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' && Number(fields[1]) === process.pid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/** Everything a spawned child writes to its piped stdout/stderr, and how it exited. */
export async function output(child: {
  stdout: NodeJS.ReadableStream | null;
  stderr: NodeJS.ReadableStream | null;
  exited: Promise<{ code: number | null; signal: string | null }>;
}): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const read = (s: NodeJS.ReadableStream | null) =>
    new Promise<string>((resolve) => {
      if (!s) return resolve('');
      let data = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (data += d));
      s.on('end', () => resolve(data));
    });
  const [stdout, stderr, status] = await Promise.all([read(child.stdout), read(child.stderr), child.exited]);
  return { ...status, stdout, stderr };
}
