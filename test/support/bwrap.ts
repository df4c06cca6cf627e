// bubblewrap as the independent truth for sandbox tests: the same sandbox as
// nsbind's `mounts`, through bwrap's flags, and what both show inside.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mount, NamespaceType } from '../../lib/index.js';

const UNSHARE: Partial<Record<NamespaceType, string>> = {
  user: '--unshare-user',
  pid: '--unshare-pid',
  net: '--unshare-net',
  ipc: '--unshare-ipc',
  uts: '--unshare-uts',
  cgroup: '--unshare-cgroup',
};

const perms = (mode: number | undefined) => (mode === undefined ? [] : ['--perms', mode.toString(8).padStart(4, '0')]);

/**
 * Run `script` under /bin/sh in bwrap with the flags that mean `mounts` (a user namespace maps
 * root, as mapRootUser does; `root` is bound on / first, as nsbind's `root` is the base). File data
 * reaches bwrap through fds 3, 4, … (files in `scratch`); `prefix` runs it through another command
 * (setpriv as nobody).
 */
export function bwrap(
  namespaces: readonly NamespaceType[],
  mounts: readonly Mount[],
  script: string,
  scratch: string,
  root?: string,
  prefix: readonly string[] = [],
): { status: number | null; stdout: string; stderr: string } {
  const args: string[] = root ? ['--bind', root, '/'] : [];
  const fds: number[] = [];
  for (const ns of namespaces) if (UNSHARE[ns]) args.push(UNSHARE[ns]);
  if (namespaces.includes('user')) args.push('--uid', '0', '--gid', '0');
  for (const m of mounts) {
    if (m.type === 'bind')
      args.push(m.readonly ? '--ro-bind' : m.devices ? '--dev-bind' : '--bind', m.source, m.target);
    else if (m.type === 'tmpfs')
      args.push(...(m.size ? ['--size', String(m.size)] : []), ...perms(m.mode), '--tmpfs', m.target);
    else if (m.type === 'proc') args.push('--proc', m.target);
    else if (m.type === 'dev')
      args.push('--dev', m.target, '--perms', '1777', '--tmpfs', `${m.target}/shm`); // nsbind's dev has a tmpfs on shm
    else if (m.type === 'dir') args.push(...perms(m.mode ?? 0o755), '--dir', m.target);
    else if (m.type === 'symlink') args.push('--symlink', m.source, m.target);
    else {
      const file = join(scratch, `bwrap-data-${fds.length}`);
      writeFileSync(file, m.data ?? '');
      fds.push(openSync(file, 'r'));
      args.push(...perms(m.mode ?? 0o644), m.readonly ? '--ro-bind-data' : '--file', String(fds.length + 2), m.target);
    }
  }
  try {
    const [file, ...rest] = [...prefix, 'bwrap', ...args, '/bin/sh', '-c', script];
    const run = spawnSync(file!, rest, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe', ...fds],
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    for (const fd of fds) closeSync(fd);
    for (let i = 0; i < fds.length; i++) rmSync(join(scratch, `bwrap-data-${i}`), { force: true });
  }
}

/**
 * A mount table as findmnt -J prints it (-o TARGET,FSTYPE,VFS-OPTIONS,FS-OPTIONS), flattened and sorted
 * by target: findmnt's order follows mount ids, which the kernel reuses, not the order of mounting.
 */
export interface MountRow {
  target: string;
  fstype: string;
  'vfs-options': string;
  'fs-options': string;
}

export function mountRows(json: string): MountRow[] {
  type Tree = MountRow & { children?: Tree[] };
  const rows: MountRow[] = [];
  const walk = (fs: Tree[]) => {
    for (const { children, ...row } of fs) {
      rows.push(row);
      if (children) walk(children);
    }
  };
  walk((JSON.parse(json) as { filesystems: Tree[] }).filesystems);
  return rows.sort((a, b) => a.target.localeCompare(b.target));
}

/** `ls -la` lines cut to type+mode, owner, group, device numbers and name (+ link text): no dates, no link counts. */
export function normalListing(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^[-dlcbps]/.test(l))
    .map((l) => {
      const f = l.split(/\s+/);
      const device = f[0]!.startsWith('c') ? `${f[4]} ${f[5]} ` : '';
      const name = l.replace(/^.*\d\d:\d\d /, '');
      return `${f[0]} ${f[2]} ${f[3]} ${device}${name}`;
    });
}
