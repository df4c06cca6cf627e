// spawn() options: validated in full (TypeError / RangeError) before anything
// is opened or cloned.
import { constants } from 'node:os';
import type { Stream } from 'node:stream';
import { isNamespaceType, type NamespaceType, unknownType } from './constants.js';
import { Namespace } from './namespace.js';
import { type NativeMount, native } from './native.js';
import { CONTROL_KEYS, type ControlOptions, type ParsedControl, parseControl } from './spawn-control.js';
import { parseInit } from './spawn-init.js';
import { type Mount, parseMounts } from './spawn-mounts.js';
import { type ParsedPrivileges, PRIVILEGE_KEYS, type PrivilegeOptions, parsePrivileges } from './spawn-privileges.js';
import type { IdKind } from './subid.js';
import * as validate from './validate.js';

export interface IdMapEntry {
  /** First id inside the new user namespace. */
  inside: number;
  /** First id outside (in the parent user namespace). */
  outside: number;
  /** How many consecutive ids. */
  count: number;
}

/** A Stream entry must have an fd: an open fs stream (`fd`), a net.Socket or a TTY stream (its handle's). */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number | Stream | null | undefined;

export interface SpawnOptions extends ControlOptions, PrivilegeOptions {
  /**
   * New namespaces for the child (created with it; a user namespace first). In a new 'pid' namespace
   * the program is pid 1, which ignores every signal it has no handler for: see `init`.
   */
  namespaces?: readonly NamespaceType[];
  /** Existing namespaces for the child to join: a handle or a namespace file path. */
  join?: Partial<Record<NamespaceType, Namespace | string>>;
  /** New user namespace: map root inside to your own uid and gid outside (like `unshare -r`). */
  mapRootUser?: boolean;
  /**
   * New user namespace: uid_map lines (writing arbitrary ranges needs CAP_SETUID outside), or 'auto':
   * your first block of /etc/subuid from 0, written by newuidmap (as `unshare --map-auto`).
   */
  uidMap?: readonly IdMapEntry[] | 'auto';
  /** New user namespace: gid_map lines (arbitrary ranges need CAP_SETGID outside), or 'auto' (/etc/subgid, newgidmap). */
  gidMap?: readonly IdMapEntry[] | 'auto';
  /** New user namespace: /proc/PID/setgroups. Default 'deny' with mapRootUser or when unprivileged. */
  setgroups?: 'allow' | 'deny';
  /** New uts namespace: its hostname. */
  hostname?: string;
  /** New uts namespace: its NIS domain name. */
  domainname?: string;
  /** Mount a fresh /proc (implies a new mount namespace; with a new pid namespace it shows only the child's). */
  mountProc?: boolean;
  /**
   * Mount a fresh sysfs on /sys in place of the old one (implies a new mount namespace): it shows
   * the network devices of the child's network namespace, as `ip netns exec` arranges it.
   */
  mountSys?: boolean;
  /** New network namespace: bring `lo` up in it before exec (as `ip link set lo up`): 127.0.0.1 and ::1 work at once. */
  loopback?: boolean;
  /** New mount namespace: propagation applied recursively to / (default 'private', as unshare(1)). */
  propagation?: 'private' | 'slave' | 'shared' | 'unchanged';
  /** chroot(2) into this directory before exec; with `mounts`, the base of the new root (bound, not a chroot). */
  root?: string;
  /**
   * A sandbox: the child's root is built from nothing (a fresh tmpfs, or `root`) with these, in order,
   * then pivot_root into it; nothing of the host is visible but what they put there. Implies a new
   * mount namespace.
   */
  mounts?: readonly Mount[];
  /** Clock offsets in seconds for a new time namespace (implies one). */
  timeOffsets?: { monotonic?: number; boottime?: number };
  /** Working directory (after `root`). */
  cwd?: string;
  /** Environment (default: process.env). */
  env?: Record<string, string | undefined>;
  /** argv[0] for the program (default: `file`). */
  argv0?: string;
  /**
   * Joining a user namespace (join.user): keep your uid and gid, as that namespace maps them,
   * instead of becoming its root (`nsenter --preserve-credentials`).
   */
  keepCredentials?: boolean;
  /** setresuid(2) to this uid before exec (inside the child's user namespace). */
  uid?: number;
  /** setresgid(2) to this gid before exec. */
  gid?: number;
  /**
   * Signal the child when the thread that spawned it exits (PR_SET_PDEATHSIG): SIGKILL for
   * true, or the signal named (as `unshare --kill-child=SIGNAL`).
   */
  killOnParentDeath?: boolean | NodeJS.Signals;
  /** Start a new session (setsid). */
  setsid?: boolean;
  /**
   * A new pid namespace: a minimal init (nsbind-init, a program of its own) is its pid 1 and runs the
   * program as its child, forwarding every signal to it and reaping orphans, and exits with the
   * program's status (128 + the signal when a signal ended it), as bwrap, `docker --init` and tini do.
   * Without it the program is pid 1 itself, and the kernel drops every signal it has no handler for
   * (kill('SIGTERM') returns true and nothing happens; SIGKILL always works).
   */
  init?: boolean;
  /**
   * Like child_process, per child fd: 'pipe' (default for 0-2; a pipe for 0-2, a duplex socketpair
   * for 3 and up, as `child.stdio[n]`), 'inherit', 'ignore', an fd, or a stream that has one.
   */
  stdio?: StdioOption | readonly StdioOption[];
}

export interface ParsedSpawn {
  file: string;
  argv: string[];
  envp: string[];
  path: string | undefined;
  create: Set<NamespaceType>;
  join: Map<NamespaceType, Namespace | string>;
  uidMap: string | undefined;
  gidMap: string | undefined;
  /** The maps that are 'auto' (newuidmap/newgidmap writes them). */
  autoMaps: IdKind[];
  setgroups: 'allow' | 'deny' | undefined;
  hostname: string | undefined;
  domainname: string | undefined;
  mountProc: boolean;
  mountSys: boolean;
  loopback: boolean;
  propagation: 'private' | 'slave' | 'shared' | 'unchanged';
  root: string | undefined;
  /** A new root built from these; undefined: none. */
  mounts: NativeMount[] | undefined;
  timensOffsets: string | undefined;
  cwd: string | undefined;
  keepCredentials: boolean;
  /** Absent: unchanged. */
  uid: number | undefined;
  gid: number | undefined;
  /** The signal number; 0: none. */
  killOnParentDeath: number;
  setsid: boolean;
  /** 'pipe', 'inherit', 'ignore' or a parent fd, per child fd. */
  stdio: ('pipe' | 'inherit' | 'ignore' | number)[];
  control: ParsedControl;
  /** nsbind-init's path with `init: true`. */
  init: string | undefined;
  privileges: ParsedPrivileges;
}

const KEYS = new Set([
  'namespaces',
  'join',
  'mapRootUser',
  'uidMap',
  'gidMap',
  'setgroups',
  'hostname',
  'domainname',
  'mountProc',
  'mountSys',
  'loopback',
  'propagation',
  'root',
  'mounts',
  'timeOffsets',
  'cwd',
  'env',
  'argv0',
  'uid',
  'gid',
  'killOnParentDeath',
  'keepCredentials',
  'setsid',
  'stdio',
  ...PRIVILEGE_KEYS,
  ...CONTROL_KEYS,
  'init',
]);
const ID_MAX = 0xfffffffe; // (uid_t)-1 is "no id"
const MAX_MAP_LINES = 340;
const HOST_NAME_MAX = 64;
const MAX_NAMESPACES = 64; // more entries than types only repeat them
const TIME_OFFSET_MAX = 2 ** 40; // seconds; the kernel refuses offsets near the clock's range anyway

export function parseSpawn(file: unknown, args: unknown, options: unknown): ParsedSpawn {
  const o = options === undefined ? {} : (validate.object(options, 'options') as SpawnOptions);
  for (const key of Object.keys(o))
    if (!KEYS.has(key)) throw new TypeError(`unknown spawn option ${validate.describe(key)}`);
  const program = line(file, 'file');
  const argv = [
    option(o.argv0, 'options.argv0', (v, n) => arg(v, n)) ?? program,
    ...list(args, 'args', native.limits.args - 1).map((a, i) => arg(a, `args[${i}]`)),
  ];
  const env = environment(o.env);
  const create = namespaces(o);
  const mounts = parseMounts(o, create);
  const join = joins(o.join, create);
  const userMaps = maps(o, create);
  const uts = (key: 'hostname' | 'domainname') =>
    option(o[key], `options.${key}`, (v, n) => {
      if (!create.has('uts'))
        throw new TypeError(`options.${key} needs a new uts namespace: add 'uts' to options.namespaces`);
      const name = line(v, n);
      if (Buffer.byteLength(name) > HOST_NAME_MAX) throw new RangeError(`${n} is longer than ${HOST_NAME_MAX} bytes`);
      return name;
    });
  const propagation = option(o.propagation, 'options.propagation', (v, n): ParsedSpawn['propagation'] => {
    if (v !== 'private' && v !== 'slave' && v !== 'shared' && v !== 'unchanged')
      throw new TypeError(`${n} must be 'private', 'slave', 'shared' or 'unchanged'`);
    if (!create.has('mnt')) throw new TypeError(`${n} needs a new mount namespace: add 'mnt' to options.namespaces`);
    return v;
  });
  const mountProc = flag(o.mountProc, 'options.mountProc');
  const mountSys = flag(o.mountSys, 'options.mountSys');
  for (const [mounts, key, dir] of [
    [mountProc, 'mountProc', '/proc'],
    [mountSys, 'mountSys', '/sys'],
  ] as const) {
    if (mounts && (propagation === 'shared' || propagation === 'unchanged')) {
      throw new TypeError(
        `options.${key} needs 'private' or 'slave' propagation: with '${propagation}' the new ${dir} could propagate into the parent's mount namespace and hide its ${dir}`,
      );
    }
  }
  const loopback = flag(o.loopback, 'options.loopback');
  if (loopback && !create.has('net'))
    throw new TypeError("options.loopback needs a new network namespace: add 'net' to options.namespaces");
  return {
    file: program,
    argv,
    envp: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    path: env.PATH,
    create,
    join,
    ...userMaps,
    hostname: uts('hostname'),
    domainname: uts('domainname'),
    mountProc,
    mountSys,
    loopback,
    propagation: propagation ?? (create.has('mnt') ? 'private' : 'unchanged'),
    root: option(o.root, 'options.root', pathLine),
    mounts,
    timensOffsets: offsets(o.timeOffsets),
    cwd: option(o.cwd, 'options.cwd', pathLine),
    keepCredentials: keepCredentials(o.keepCredentials, join),
    uid: option(o.uid, 'options.uid', (v, n) => validate.integer(v, n, 0, ID_MAX)),
    gid: option(o.gid, 'options.gid', (v, n) => validate.integer(v, n, 0, ID_MAX)),
    killOnParentDeath: deathSignal(o.killOnParentDeath),
    setsid: flag(o.setsid, 'options.setsid'),
    stdio: stdio(o.stdio),
    privileges: parsePrivileges(o, create, userMaps),
    control: parseControl(o),
    init: parseInit(o.init, create),
  };
}

function option<T>(value: unknown, name: string, parse: (v: unknown, name: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value, name);
}

function keepCredentials(value: unknown, join: Map<NamespaceType, unknown>): boolean {
  const keep = flag(value, 'options.keepCredentials');
  if (keep && !join.has('user'))
    throw new TypeError('options.keepCredentials needs a user namespace to join: give options.join.user');
  return keep;
}

function deathSignal(value: unknown): number {
  if (typeof value === 'string') {
    if (!Object.hasOwn(constants.signals, value) || value === 'SIGSTOP')
      throw new TypeError(`options.killOnParentDeath: unknown signal ${validate.describe(value)}`);
    return constants.signals[value as NodeJS.Signals];
  }
  return flag(value, 'options.killOnParentDeath') ? constants.signals.SIGKILL : 0;
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${validate.describe(value)}`);
  return value;
}

/** An optional array (absent: empty), without holes: a copy. */
function list(value: unknown, name: string, max: number): unknown[] {
  return value === undefined ? [] : validate.array(value, name, max);
}

/** An argument or environment string: anything but NUL. */
function arg(value: unknown, name: string): string {
  return validate.text(value, name, { allowEmpty: true });
}

/** A name or path written into the kernel as one line: no NUL, no newline. */
function line(value: unknown, name: string): string {
  const s = validate.text(value, name);
  if (/[\n\r]/.test(s)) throw new RangeError(`${name} must not contain a newline`);
  return s;
}

function pathLine(value: unknown, name: string): string {
  return line(validate.path(value, name), name);
}

function environment(value: unknown): Record<string, string> {
  const source = value === undefined ? process.env : validate.object(value, 'options.env');
  const env: Record<string, string> = {};
  const entries = Object.entries(source);
  if (entries.length > native.limits.args)
    throw new RangeError(`options.env must have at most ${native.limits.args} variables`);
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    if (k === '' || k.includes('=') || k.includes('\0'))
      throw new RangeError(`options.env has an invalid name ${validate.describe(k)}`);
    env[k] = arg(v, `options.env.${k}`);
  }
  return env;
}

function namespaces(o: SpawnOptions): Set<NamespaceType> {
  const create = new Set<NamespaceType>();
  for (const t of list(o.namespaces, 'options.namespaces', MAX_NAMESPACES)) {
    if (!isNamespaceType(t)) throw unknownType(t);
    create.add(t);
  }
  if (flag(o.mountProc, 'options.mountProc')) create.add('mnt'); // as unshare --mount-proc
  if (flag(o.mountSys, 'options.mountSys')) create.add('mnt'); // as ip netns exec
  if (o.timeOffsets !== undefined) create.add('time');
  return create;
}

function joins(value: unknown, create: Set<NamespaceType>): Map<NamespaceType, Namespace | string> {
  const join = new Map<NamespaceType, Namespace | string>();
  if (value === undefined) return join;
  for (const [type, target] of Object.entries(validate.object(value, 'options.join'))) {
    if (!isNamespaceType(type)) throw unknownType(type);
    if (target === undefined) continue;
    if (create.has(type))
      throw new TypeError(`options.join.${type} conflicts with a new ${type} namespace in options.namespaces`);
    if (!(target instanceof Namespace) && typeof target !== 'string') {
      throw new TypeError(
        `options.join.${type} must be a Namespace or a namespace file path, got ${validate.describe(target)}`,
      );
    }
    if (typeof target === 'string') pathLine(target, `options.join.${type}`); // its type is checked once it is open
    join.set(type, target);
  }
  return join;
}

function maps(o: SpawnOptions, create: Set<NamespaceType>) {
  const root = flag(o.mapRootUser, 'options.mapRootUser');
  const anyMap = root || o.uidMap !== undefined || o.gidMap !== undefined || o.setgroups !== undefined;
  if (anyMap && !create.has('user'))
    throw new TypeError("id maps and setgroups need a new user namespace: add 'user' to options.namespaces");
  if (root && (o.uidMap !== undefined || o.gidMap !== undefined))
    throw new TypeError('options.mapRootUser and options.uidMap/gidMap exclude each other');
  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  const autoMaps = (['uid', 'gid'] as const).filter((k) => o[`${k}Map`] === 'auto');
  const given = (k: IdKind) => (autoMaps.includes(k) ? undefined : option(o[`${k}Map`], `options.${k}Map`, idMap));
  const uidMap = root ? `0 ${uid} 1\n` : given('uid');
  const gidMap = root ? `0 ${gid} 1\n` : given('gid');
  const setgroups = option(o.setgroups, 'options.setgroups', (v, n): 'allow' | 'deny' => {
    if (v !== 'allow' && v !== 'deny') throw new TypeError(`${n} must be 'allow' or 'deny'`);
    return v;
  });
  // unshare -r writes "deny"; without CAP_SETGID the kernel demands it before gid_map
  const deny: 'deny' | undefined = gidMap !== undefined && (root || uid !== 0) ? 'deny' : undefined;
  return { uidMap, gidMap, autoMaps, setgroups: setgroups ?? deny };
}

/** [{inside, outside, count}] → "inside outside count\n" lines; integers only, so no line can be injected. */
function idMap(value: unknown, name: string): string {
  const entries = list(value, name, MAX_MAP_LINES);
  if (entries.length === 0) throw new RangeError(`${name} must have 1 to ${MAX_MAP_LINES} entries`);
  const text = entries
    .map((e, i) => {
      const entry = validate.object(e, `${name}[${i}]`);
      for (const k of Object.keys(entry))
        if (k !== 'inside' && k !== 'outside' && k !== 'count')
          throw new TypeError(`${name}[${i}] has an unknown key ${validate.describe(k)}`);
      const inside = validate.integer(entry.inside, `${name}[${i}].inside`, 0, ID_MAX);
      const outside = validate.integer(entry.outside, `${name}[${i}].outside`, 0, ID_MAX);
      const count = validate.integer(entry.count, `${name}[${i}].count`, 1, ID_MAX + 1);
      if (inside + count > ID_MAX + 1 || outside + count > ID_MAX + 1)
        throw new RangeError(`${name}[${i}] runs past the last id`);
      return `${inside} ${outside} ${count}\n`;
    })
    .join('');
  // the kernel takes a map in one write of less than a page
  if (text.length > native.limits.idMap)
    throw new RangeError(
      `${name} is ${text.length} bytes as map lines; the kernel takes at most ${native.limits.idMap}`,
    );
  return text;
}

/** { monotonic, boottime } seconds → timens_offsets lines ("<clockid> <sec> <nsec>"). */
function offsets(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const o = validate.object(value, 'options.timeOffsets');
  const clocks: Record<string, number> = { monotonic: 1, boottime: 7 };
  let text = '';
  for (const [clock, seconds] of Object.entries(o)) {
    if (!(clock in clocks))
      throw new TypeError(`options.timeOffsets.${clock}: only monotonic and boottime clocks have offsets`);
    if (seconds === undefined) continue;
    if (typeof seconds !== 'number') throw new TypeError(`options.timeOffsets.${clock} must be a number of seconds`);
    if (!Number.isFinite(seconds) || Math.abs(seconds) > TIME_OFFSET_MAX)
      throw new RangeError(`options.timeOffsets.${clock} must be a finite number of seconds`);
    const sec = Math.floor(seconds);
    const nsec = Math.round((seconds - sec) * 1e9);
    text += `${clocks[clock]} ${sec} ${Math.min(nsec, 999_999_999)}\n`;
  }
  return text || undefined;
}

function stdio(value: unknown): ParsedSpawn['stdio'] {
  const entries: unknown[] =
    value === undefined || typeof value === 'string'
      ? [value, value, value]
      : list(value, 'options.stdio', native.limits.stdio);
  while (entries.length < 3) entries.push(undefined);
  return entries.map((e, i) => {
    const name = `options.stdio[${i}]`;
    if (e === undefined || e === null) return i < 3 ? 'pipe' : 'ignore';
    if (typeof e === 'number') return validate.fd(e, name);
    if (typeof e === 'object') return streamFd(e, name);
    if (e !== 'pipe' && e !== 'inherit' && e !== 'ignore')
      throw new TypeError(
        `${name} must be 'pipe', 'inherit', 'ignore', an fd or a stream, got ${validate.describe(e)}`,
      );
    return e;
  });
}

/** The fd of a stream, as child_process takes it: an fs stream's `fd`, a socket's or TTY's handle's. */
function streamFd(stream: object, name: string): number {
  const own = (stream as { fd?: unknown }).fd;
  const handle = (stream as { _handle?: { fd?: unknown } | null })._handle;
  const fd = typeof own === 'number' ? own : typeof handle?.fd === 'number' ? handle.fd : undefined;
  if (fd === undefined || fd < 0)
    throw new TypeError(`${name} is an object without an open fd (a stream must be open: wait for its 'open' event)`);
  return validate.fd(fd, name);
}
