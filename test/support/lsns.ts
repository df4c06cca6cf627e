// util-linux lsns as the independent truth for listNamespaces and `nsbind ls`.
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { NAMESPACE_TYPES } from '../../lib/index.js';

export interface LsnsRow {
  ns: number;
  type: string;
  nprocs: number;
  pid: number | null;
  user: string | null;
  command: string | null;
  [column: string]: unknown;
}

/** lsns -J [args]: its rows, with the process tree it prints by default flattened. */
export function lsns(args: string[] = []): LsnsRow[] {
  const flat = (rows: (LsnsRow & { children?: LsnsRow[] })[]): LsnsRow[] =>
    rows.flatMap(({ children, ...row }) => [row, ...flat(children ?? [])]);
  return flat(JSON.parse(execFileSync('lsns', ['-J', ...args], { encoding: 'utf8' })).namespaces);
}

/** Inodes of the namespaces `pids` are in that this process is not in (what a fixture made). */
export function ownInodes(...pids: number[]): number[] {
  const inode = (path: string) => Number(readlinkSync(path).replace(/^\w+:\[(\d+)\]$/, '$1'));
  const ours = new Set(NAMESPACE_TYPES.map((t) => inode(`/proc/self/ns/${t}`)));
  const theirs = new Set(pids.flatMap((pid) => NAMESPACE_TYPES.map((t) => inode(`/proc/${pid}/ns/${t}`))));
  return [...theirs].filter((i) => !ours.has(i)).sort();
}
