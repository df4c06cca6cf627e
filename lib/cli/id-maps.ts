// unshare(1)'s id-map flags for `nsbind run`: --map-root-user, --map-current-user,
// --map-user/--map-group (an id or a name), --map-users/--map-groups (ranges,
// or all), merged as util-linux merges them (the single id first, a hole in
// any range it overlaps), and --setgroups.
import { readFileSync } from 'node:fs';
import type { IdMapEntry, SpawnOptions } from '../spawn.js';
import { UsageError } from './command.js';

export const ID_MAP_FLAGS = {
  'map-root-user': { type: 'boolean', short: 'r' },
  'map-current-user': { type: 'boolean', short: 'c' },
  'map-user': { type: 'string' },
  'map-group': { type: 'string' },
  'map-users': { type: 'string', multiple: true },
  'map-groups': { type: 'string', multiple: true },
  'map-auto': { type: 'boolean' },
  'map-subids': { type: 'boolean' },
  setgroups: { type: 'string' },
} as const;

type Values = {
  [K in keyof typeof ID_MAP_FLAGS]?: (typeof ID_MAP_FLAGS)[K] extends { multiple: true }
    ? string[]
    : (typeof ID_MAP_FLAGS)[K]['type'] extends 'string'
      ? string
      : boolean;
};

const NONE = 0xffffffff; // (uid_t)-1: no single id to map

/** The spawn options the flags ask for; `user`: whether any of them was given (each implies --user). */
export function idMapOptions(
  values: Values,
): Pick<SpawnOptions, 'uidMap' | 'gidMap' | 'setgroups'> & { user: boolean } {
  const setgroups = values.setgroups;
  if (setgroups !== undefined && setgroups !== 'allow' && setgroups !== 'deny')
    throw new UsageError(`unsupported --setgroups argument '${setgroups}' (allow or deny)`);
  if (values['map-subids'])
    throw new UsageError(
      '--map-subids is not supported yet (your own id with the subordinate ids): give the ranges with --map-users and --map-groups',
    );
  if (values['map-auto']) {
    // as unshare --map-auto: the first subordinate blocks from 0, setgroups left 'allow'
    const others = Object.keys(ID_MAP_FLAGS).filter((f) => f !== 'map-auto' && values[f as keyof Values] !== undefined);
    if (others.length > 0) throw new UsageError(`--map-auto with --${others[0]} is not supported`);
    return { user: true, uidMap: 'auto', gidMap: 'auto' };
  }
  const euid = process.geteuid!();
  const egid = process.getegid!();
  // the single ids: --map-user/--map-group over -c over -r
  let user = values['map-root-user'] ? 0 : NONE;
  let group = user;
  if (values['map-current-user']) [user, group] = [euid, egid];
  if (values['map-user'] !== undefined) user = lookup(values['map-user'], '/etc/passwd', 'user');
  if (values['map-group'] !== undefined) group = lookup(values['map-group'], '/etc/group', 'group');
  const users = auto(values['map-users'], user) ?? ranges(values['map-users'], '/proc/self/uid_map');
  const groups = auto(values['map-groups'], group) ?? ranges(values['map-groups'], '/proc/self/gid_map');
  const options: ReturnType<typeof idMapOptions> = {
    user: Object.keys(ID_MAP_FLAGS).some((flag) => flag !== 'setgroups' && values[flag as keyof Values] !== undefined),
    setgroups,
  };
  if (users === 'auto') options.uidMap = 'auto';
  else if (users) options.uidMap = withSingle(users, euid, user);
  else if (user !== NONE) options.uidMap = [{ inside: user, outside: euid, count: 1 }];
  if (groups === 'auto') options.gidMap = 'auto';
  else if (groups) options.gidMap = withSingle(groups, egid, group);
  else if (group !== NONE) {
    // as unshare: a single gid is written under setgroups "deny", which the kernel demands of the unprivileged
    if (setgroups === 'allow') throw new UsageError('options --setgroups=allow and --map-group are mutually exclusive');
    options.gidMap = [{ inside: group, outside: egid, count: 1 }];
    options.setgroups = 'deny';
  }
  return options;
}

/**
 * --map-users=auto alone (no other range, no single id): the first subordinate block from 0, written by
 * newuidmap as unshare writes it (spawn's 'auto'); with anything else 'auto' is refused in `ranges`.
 */
function auto(values: string[] | undefined, single: number): 'auto' | undefined {
  return values?.length === 1 && values[0] === 'auto' && single === NONE ? 'auto' : undefined;
}

/** An id, or a name in the passwd or group file (getpwnam's answer without NSS). */
function lookup(value: string, file: string, what: string): number {
  if (/^\d+$/.test(value)) return id(value, `${what} '${value}'`);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, , number] = line.split(':');
    if (name === value && number !== undefined && /^\d+$/.test(number)) return Number(number);
  }
  throw new UsageError(`unknown ${what} '${value}' (not in ${file})`);
}

function id(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n >= NONE) throw new UsageError(`invalid ${what}`);
  return n;
}

/**
 * --map-users/--map-groups, in the order unshare chains them (each one put
 * first): INNER:OUTER:COUNT, the older OUTER,INNER,COUNT, or `all` (every id of
 * our user namespace, mapped to itself).
 */
function ranges(values: string[] | undefined, kernelMap: string): IdMapEntry[] | undefined {
  if (values === undefined) return undefined;
  const chain: IdMapEntry[] = [];
  for (const value of values) {
    if (value === 'all') {
      for (const line of readFileSync(kernelMap, 'latin1').trim().split('\n')) {
        const [start, , count] = line.trim().split(/\s+/).map(Number);
        chain.unshift({ inside: start!, outside: start!, count: count! });
      }
      continue;
    }
    if (value === 'auto' || value === 'subids')
      throw new UsageError(
        value === 'auto'
          ? `'auto' maps go alone: not with other ranges or a single id (use --map-auto, or give the ranges)`
          : `'subids' maps are not supported yet (your own id with the subordinate ids of /etc/subuid and /etc/subgid)`,
      );
    const colon = /^(\d+):(\d+):(\d+)$/.exec(value);
    const comma = /^(\d+),(\d+),(\d+)$/.exec(value);
    if (!colon && !comma) throw new UsageError(`invalid mapping '${value}'`);
    const [a, b, count] = (colon ?? comma)!.slice(1).map((n) => id(n, `mapping '${value}'`)) as [
      number,
      number,
      number,
    ];
    if (count === 0) throw new UsageError(`invalid mapping '${value}'`);
    chain.unshift(colon ? { inside: a, outside: b, count } : { inside: b, outside: a, count });
  }
  return chain;
}

/**
 * util-linux's add_single_map_range: the single id `inner` (for our `outer`)
 * first, and every range cut around it where it overlaps, dropping the range's
 * topmost id so that no id is mapped twice.
 */
function withSingle(chain: readonly IdMapEntry[], outer: number, inner: number): IdMapEntry[] {
  const out: IdMapEntry[] = [];
  const o = inner === NONE ? NONE : outer;
  for (const map of chain) {
    let count = map.count;
    if (
      inner !== NONE &&
      ((o >= map.outside && o <= map.outside + count) || (inner >= map.inside && inner <= map.inside + count))
    )
      count--;
    const outerOffset = Math.min(o > map.outside ? o - map.outside : 0, count);
    const innerOffset = Math.min(inner > map.inside ? inner - map.inside : 0, count);
    const lo = { outside: map.outside, inside: map.inside, count: Math.min(innerOffset, outerOffset) };
    const mid = {
      outside: lo.outside + lo.count,
      inside: lo.inside + lo.count,
      count: Math.abs(outerOffset - innerOffset),
    };
    if (mid.outside === o) mid.outside++;
    if (mid.inside === inner) mid.inside++;
    const hi = { outside: mid.outside + mid.count, inside: mid.inside + mid.count, count: 0 };
    if (hi.outside === o) hi.outside++;
    if (hi.inside === inner) hi.inside++;
    hi.count = count - lo.count - mid.count;
    out.unshift(...[lo, mid, hi].filter((m) => m.count > 0));
  }
  if (inner !== NONE) out.unshift({ inside: inner, outside: o, count: 1 });
  return out;
}
