// util-linux lsns as the independent truth for listNamespaces and `nsbind ls`,
// and fixtures for what lsns 2.39+ lists that 2.38 does not.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { NAMESPACE_TYPES } from '../../lib/index.js';
import { compileC } from './cc.js';
import { NOBODY } from './env.js';

export interface LsnsRow {
  ns: number;
  type: string;
  nprocs: number;
  pid: number | null;
  user: string | null;
  command: string | null;
  [column: string]: unknown;
}

export type LsnsTree = LsnsRow & { children?: LsnsTree[] };

/** lsns ARGS as it prints them (stdout, not a terminal); status 0 expected. */
export function lsnsText(args: string[], { asNobody = false } = {}): string {
  const argv = [...(asNobody ? NOBODY : []), 'lsns', ...args];
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
}

/** lsns -J [args]: its rows as it nests them. */
export function lsnsTree(args: string[] = [], options: { asNobody?: boolean } = {}): LsnsTree[] {
  return JSON.parse(lsnsText(['-J', ...args], options)).namespaces;
}

/** Rows nested in "children", depth first, without the nesting. */
export function flatten<T extends { children?: T[] }>(rows: T[]): Omit<T, 'children'>[] {
  return rows.flatMap(({ children, ...row }) => [row, ...flatten(children ?? [])]);
}

/** lsns -J [args]: its rows, with the process tree it prints by default flattened. */
export function lsns(args: string[] = [], options: { asNobody?: boolean } = {}): LsnsRow[] {
  return flatten(lsnsTree(args, options)) as LsnsRow[];
}

/** Inodes of the namespaces `pids` are in that this process is not in (what a fixture made). */
export function ownInodes(...pids: number[]): number[] {
  const inode = (path: string) => Number(readlinkSync(path).replace(/^\w+:\[(\d+)\]$/, '$1'));
  const ours = new Set(NAMESPACE_TYPES.map((t) => inode(`/proc/self/ns/${t}`)));
  const theirs = new Set(pids.flatMap((pid) => NAMESPACE_TYPES.map((t) => inode(`/proc/${pid}/ns/${t}`))));
  return [...theirs].filter((i) => !ours.has(i)).sort();
}

export interface HeldNamespace {
  /** The process that holds it. */
  pid: number;
  /** The namespace's inode. */
  inode: number;
  stop(): Promise<void>;
}

/**
 * A process holding a socket of a network namespace that no process is in
 * (util-linux's test_mkfds foreign-sockets): made by root directly, by
 * anyone else in a user namespace of its own.
 */
export async function foreignSocket(): Promise<HeldNamespace> {
  const exe = compileC(
    'foreign-socket',
    readFileSync(new URL('../fixtures/foreign-socket.c', import.meta.url), 'latin1'),
  );
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`foreign-socket exited with ${code}`)));
    child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
  });
  const [pid, inode] = line.trim().split(' ').map(Number) as [number, number];
  return {
    pid,
    inode,
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

/** `ip netns add NAME` and a process in it (a bind-mounted namespace with a process), root only. */
export async function namedNetnsWithProcess(name: string): Promise<HeldNamespace> {
  execFileSync('ip', ['netns', 'add', name]);
  const child = spawn('ip', ['netns', 'exec', name, 'sh', '-c', 'echo ready && exec sleep 1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ip netns exec exited with ${code}`)));
    child.stdout.once('data', () => resolve());
  });
  return {
    pid: child.pid!,
    inode: Number(readlinkSync(`/proc/${child.pid}/ns/net`).slice(5, -1)),
    async stop() {
      child.kill('SIGKILL');
      await exited;
      spawnSync('ip', ['netns', 'del', name]);
    },
  };
}
