// nsfs bind mounts (persisted namespaces) seen from this thread's mount namespace.
import { readFileSync } from 'node:fs';
import { isNamespaceType, type NamespaceType } from './constants.js';
import { fromFsError } from './errors.js';

export interface NsfsMounts {
  type: NamespaceType;
  /** Mount points, in mountinfo order. */
  targets: string[];
}

/** inode → the namespace's type and where it is mounted, from /proc/thread-self/mountinfo. */
export function nsfsMounts(): Map<number, NsfsMounts> {
  const path = '/proc/thread-self/mountinfo';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fromFsError(e, { syscall: 'open', path });
  }
  const out = new Map<number, NsfsMounts>();
  for (const line of text.split('\n')) {
    if (!line.includes(' - nsfs ')) continue;
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT …; an nsfs ROOT reads like net:[4026532177]
    const [, , , root, mountpoint] = line.split(' ');
    const match = /^(\w+):\[(\d+)\]$/.exec(root ?? '');
    if (!match || !isNamespaceType(match[1]) || mountpoint === undefined) continue;
    const inode = Number(match[2]);
    const entry = out.get(inode) ?? { type: match[1], targets: [] };
    entry.targets.push(decodeOctal(mountpoint));
    out.set(inode, entry);
  }
  return out;
}

/** mountinfo writes space, tab, newline and backslash as \\ooo octal escapes. */
function decodeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
