// uidMap/gidMap 'auto': the caller's subordinate ids (/etc/subuid, /etc/subgid)
// mapped from 0 by newuidmap/newgidmap (the uidmap package), as
// `unshare --map-auto` does — the only programs nsbind runs, and only then.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { NamespaceError } from './errors.js';
import { native } from './native.js';

export type IdKind = 'uid' | 'gid';

/** A block of subordinate ids: first, count. */
export interface SubidRange {
  start: number;
  count: number;
}

const FILES = { uid: '/etc/subuid', gid: '/etc/subgid' } as const;
const TOOLS = { uid: 'newuidmap', gid: 'newgidmap' } as const;
const UIDMAP_HINT = 'newuidmap and newgidmap come with the uidmap package (apt-get install uidmap).';

/** The first block /etc/subuid or /etc/subgid gives the effective user (by name or by uid), as unshare --map-auto takes it. */
export function subordinateIds(kind: IdKind, uid = process.geteuid?.() ?? 0): SubidRange {
  const file = FILES[kind];
  const name = native.userName(uid);
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    const errno = -Math.abs((e as NodeJS.ErrnoException).errno ?? constants.errno.EIO);
    throw new NamespaceError(errno, {
      syscall: 'open',
      path: file,
      step: `${kind}_map`,
      hint: noEntry(kind, name, uid),
    });
  }
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner !== name && owner !== String(uid)) continue;
    const first = Number(start);
    const n = Number(count);
    if (/^\d+$/.test(start ?? '') && /^\d+$/.test(count ?? '') && n > 0 && first + n <= 2 ** 32)
      return { start: first, count: n };
  }
  throw new NamespaceError(-constants.errno.ENOENT, {
    syscall: 'open',
    path: file,
    step: `${kind}_map`,
    hint: noEntry(kind, name, uid),
  });
}

function noEntry(kind: IdKind, name: string | undefined, uid: number): string {
  const who = name ? `${name} (uid ${uid})` : `uid ${uid}`;
  return `${FILES[kind]} has no entry for ${who}: ${kind}Map 'auto' maps the ids it gives, e.g. as added by usermod --add-sub${kind}s 100000-165535 ${name ?? uid}.`;
}

/** newuidmap/newgidmap PID 0 START COUNT for a child waiting on its go-ahead. */
export function writeAutoMap(kind: IdKind, pid: number, range: SubidRange): void {
  const tool = TOOLS[kind];
  // node:child_process is loaded only here: it is a good part of a short CLI run's start-up otherwise
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(tool, [String(pid), '0', String(range.start), String(range.count)], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const path = `/proc/${pid}/${kind}_map`;
  if (r.error) {
    const errno = -Math.abs((r.error as NodeJS.ErrnoException).errno ?? constants.errno.EIO);
    throw new NamespaceError(errno, { syscall: tool, path, step: `${kind}_map`, hint: UIDMAP_HINT });
  }
  if (r.status !== 0) {
    const said = r.stderr.trim().replace(/\s+/g, ' ');
    throw new NamespaceError(-constants.errno.EPERM, {
      syscall: tool,
      path,
      step: `${kind}_map`,
      hint: `${tool} refused (exit status ${r.status ?? r.signal}${said ? `: ${said}` : ''}).`,
    });
  }
}
