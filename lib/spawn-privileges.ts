// spawn()'s privilege options (native/sandbox_privs.c does them in the child):
// resource limits, supplementary groups, capabilities, no_new_privs, a seccomp
// filter and the cgroup to start in. Validated in full before anything is cloned.
import type { NamespaceType } from './constants.js';
import * as validate from './validate.js';

/** The capabilities, by number (linux/capability.h). */
export const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** The resource limits, by RLIMIT_* number, in lower case (as prlimit(1) names them). */
export const RLIMITS = [
  'cpu',
  'fsize',
  'data',
  'stack',
  'core',
  'rss',
  'nproc',
  'nofile',
  'memlock',
  'as',
  'locks',
  'sigpending',
  'msgqueue',
  'nice',
  'rtprio',
  'rttime',
] as const;

export type RlimitName = (typeof RLIMITS)[number];
/** One number for both limits, or each; Infinity is unlimited. */
export type RlimitValue = number | { soft: number; hard: number };

export interface PrivilegeOptions {
  /** PR_SET_NO_NEW_PRIVS: exec can never grant more (setuid binaries and file capabilities do nothing). */
  noNewPrivileges?: boolean;
  /**
   * The capabilities the program keeps, in all five sets (bounding, inheritable, permitted,
   * effective and ambient), also across `uid`: 'CAP_NET_ADMIN' or 'net_admin'. [] drops all.
   */
  capabilities?: readonly string[];
  /** A classic BPF program (struct sock_filter, 8 bytes each), loaded as the last step before exec. */
  seccomp?: Uint8Array;
  /** Resource limits of the child (prlimit), e.g. { nofile: 256, cpu: { soft: 10, hard: 20 } }. */
  rlimits?: Partial<Record<RlimitName, RlimitValue>>;
  /** Supplementary groups (setgroups(2) before `gid` and `uid`); [] clears them. */
  groups?: readonly number[];
  /** Start in this cgroup v2 directory (clone3 CLONE_INTO_CGROUP, Linux 5.7). */
  cgroup?: string;
  /**
   * Return once the child's new namespaces exist and its id maps are written, before the rest of its
   * setup (joins included); `child.resume()` runs the rest and exec, throwing as spawn would.
   */
  paused?: boolean;
}

export const PRIVILEGE_KEYS = [
  'noNewPrivileges',
  'capabilities',
  'seccomp',
  'rlimits',
  'groups',
  'cgroup',
  'paused',
] as const;

export interface ParsedRlimit {
  resource: number;
  name: RlimitName;
  /** -1: unlimited. */
  soft: number;
  hard: number;
}

export interface ParsedPrivileges {
  noNewPrivileges: boolean;
  /** Capability numbers; undefined: the sets are left as they are. */
  capabilities: number[] | undefined;
  seccomp: Uint8Array | undefined;
  rlimits: ParsedRlimit[];
  groups: number[] | undefined;
  cgroup: string | undefined;
  paused: boolean;
}

/** The user namespace settings groups depend on. */
interface UserMaps {
  gidMap: string | undefined;
  setgroups: 'allow' | 'deny' | undefined;
}

const ID_MAX = 0xfffffffe;
const MAX_GROUPS = 65536; // NGROUPS_MAX
const MAX_SECCOMP = 4096; // BPF_MAXINSNS
const SOCK_FILTER = 8; // sizeof(struct sock_filter)

export function parsePrivileges(
  o: PrivilegeOptions,
  create: ReadonlySet<NamespaceType>,
  maps: UserMaps,
): ParsedPrivileges {
  return {
    noNewPrivileges: flag(o.noNewPrivileges, 'options.noNewPrivileges'),
    capabilities: o.capabilities === undefined ? undefined : capabilities(o.capabilities),
    seccomp: o.seccomp === undefined ? undefined : seccomp(o.seccomp),
    rlimits: o.rlimits === undefined ? [] : rlimits(o.rlimits),
    groups: o.groups === undefined ? undefined : groups(o.groups, create, maps),
    cgroup: o.cgroup === undefined ? undefined : cgroup(o.cgroup),
    paused: flag(o.paused, 'options.paused'),
  };
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${validate.describe(value)}`);
  return value;
}

/** 'CAP_NET_ADMIN', 'cap_net_admin' or 'net_admin' → 12. */
export function capabilityNumber(value: unknown, name: string): number {
  if (typeof value !== 'string')
    throw new TypeError(`${name} must be a capability name, got ${validate.describe(value)}`);
  const upper = value.toUpperCase();
  const n = CAPABILITIES.indexOf((upper.startsWith('CAP_') ? upper : `CAP_${upper}`) as (typeof CAPABILITIES)[number]);
  if (n < 0) throw new RangeError(`${name}: unknown capability ${validate.describe(value)}`);
  return n;
}

function capabilities(value: unknown): number[] {
  const caps = validate.array(value, 'options.capabilities', 1024);
  return [...new Set(caps.map((c, i) => capabilityNumber(c, `options.capabilities[${i}]`)))].sort((a, b) => a - b);
}

function seccomp(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new TypeError(`options.seccomp must be a Buffer of struct sock_filter, got ${validate.describe(value)}`);
  const n = value.byteLength / SOCK_FILTER;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SECCOMP)
    throw new RangeError(
      `options.seccomp must hold 1 to ${MAX_SECCOMP} instructions of ${SOCK_FILTER} bytes, got ${value.byteLength} bytes`,
    );
  return Uint8Array.from(value); // a copy: the caller may change theirs meanwhile
}

function limit(value: unknown, name: string): number {
  if (value === Number.POSITIVE_INFINITY) return -1;
  return validate.integer(value, name, 0, Number.MAX_SAFE_INTEGER);
}

function rlimits(value: unknown): ParsedRlimit[] {
  const o = validate.object(value, 'options.rlimits');
  const parsed: ParsedRlimit[] = [];
  for (const [key, v] of Object.entries(o)) {
    const resource = RLIMITS.indexOf(key as RlimitName);
    if (resource < 0)
      throw new TypeError(`options.rlimits: unknown resource ${validate.describe(key)} (one of ${RLIMITS.join(', ')})`);
    if (v === undefined) continue;
    const n = `options.rlimits.${key}`;
    let soft: number;
    let hard: number;
    if (typeof v === 'number') {
      soft = hard = limit(v, n);
    } else {
      const both = validate.object(v, n);
      validate.knownKeys(both, ['soft', 'hard'], n);
      soft = limit(both.soft, `${n}.soft`);
      hard = limit(both.hard, `${n}.hard`);
      if (hard !== -1 && (soft === -1 || soft > hard)) throw new RangeError(`${n}.soft must not be above ${n}.hard`);
    }
    parsed.push({ resource, name: key as RlimitName, soft, hard });
  }
  return parsed;
}

function groups(value: unknown, create: ReadonlySet<NamespaceType>, maps: UserMaps): number[] {
  const ids = validate
    .array(value, 'options.groups', MAX_GROUPS)
    .map((g, i) => validate.integer(g, `options.groups[${i}]`, 0, ID_MAX));
  if (create.has('user') && (maps.gidMap === undefined || maps.setgroups === 'deny'))
    throw new TypeError(
      "options.groups in a new user namespace needs a gidMap that maps them and setgroups: 'allow' (which only a user with CAP_SETGID outside may have)",
    );
  return ids;
}

function cgroup(value: unknown): string {
  const dir = validate.path(value, 'options.cgroup');
  if (/[\n\r]/.test(dir)) throw new RangeError('options.cgroup must not contain a newline');
  return dir;
}
