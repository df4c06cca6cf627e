// spawn()'s `mounts`: the filesystem of a sandbox, built by the child on a new
// root (native/sandbox_mounts.c). Validated in full before anything is cloned.
import type { NamespaceType } from './constants.js';
import { type NativeMount, native } from './native.js';
import * as validate from './validate.js';

/** A recursive bind mount of `source` (a path as this process sees it); nosuid, and nodev unless `devices`. */
export interface BindMount {
  type: 'bind';
  source: string;
  target: string;
  /** Read-only, every submount too. */
  readonly?: boolean;
  /** Device files under it stay usable (bwrap's --dev-bind). */
  devices?: boolean;
}

export interface TmpfsMount {
  type: 'tmpfs';
  target: string;
  /** Bytes (default: the kernel's, half of RAM). */
  size?: number;
  /** Permissions of its root (default 0o755). */
  mode?: number;
}

/** A new proc (with `sys`, `sysrq-trigger`, `irq` and `bus` read-only where writable, as bwrap does). */
export interface ProcMount {
  type: 'proc';
  target: string;
}

/** A minimal /dev as bwrap --dev: null, zero, full, random, urandom, tty, pts (new devpts), ptmx, shm (tmpfs), fd, stdin/out/err, core. */
export interface DevMount {
  type: 'dev';
  target: string;
}

export interface DirMount {
  type: 'dir';
  target: string;
  /** Default 0o755 (only for a directory made here). */
  mode?: number;
}

export interface SymlinkMount {
  type: 'symlink';
  /** The link's text. */
  source: string;
  target: string;
}

export interface FileMount {
  type: 'file';
  target: string;
  /** The file's contents (a string is written as UTF-8). Default: empty. */
  data?: string | Uint8Array;
  /** Default 0o644. */
  mode?: number;
  /** A read-only bind of the file on itself. */
  readonly?: boolean;
}

/** One entry of `mounts`: targets are paths inside the sandbox. */
export type Mount = BindMount | TmpfsMount | ProcMount | DevMount | DirMount | SymlinkMount | FileMount;

const KEYS: Record<Mount['type'], readonly string[]> = {
  bind: ['source', 'readonly', 'devices'],
  tmpfs: ['size', 'mode'],
  proc: [],
  dev: [],
  dir: ['mode'],
  symlink: ['source'],
  file: ['data', 'mode', 'readonly'],
};

/**
 * `options.mounts` (a new root for the child, which implies a new mount namespace: added to
 * `create`), or undefined. The options it cannot go with are a TypeError.
 */
export function parseMounts(
  options: { mounts?: unknown; mountProc?: unknown; mountSys?: unknown; propagation?: unknown },
  create: Set<NamespaceType>,
): NativeMount[] | undefined {
  if (options.mounts === undefined) return undefined;
  const entries = validate.array(options.mounts, 'options.mounts', native.limits.mounts);
  if (options.mountProc === true)
    throw new TypeError(
      "options.mountProc does not go with options.mounts: add { type: 'proc', target: '/proc' } to them",
    );
  if (options.mountSys === true)
    throw new TypeError('options.mountSys does not go with options.mounts: the new root has only what they put there');
  if (options.propagation === 'shared' || options.propagation === 'unchanged') {
    throw new TypeError(
      `options.mounts needs 'private' or 'slave' propagation: with '${options.propagation}' the sandbox's mounts could propagate into the parent's mount namespace`,
    );
  }
  create.add('mnt');
  return entries.map((e, i) => entry(e, `options.mounts[${i}]`));
}

function entry(value: unknown, name: string): NativeMount {
  const o = validate.object(value, name);
  const type = o.type;
  if (typeof type !== 'string' || !Object.hasOwn(KEYS, type)) {
    throw new TypeError(
      `${name}.type must be one of ${Object.keys(KEYS)
        .map((t) => `'${t}'`)
        .join(', ')}, got ${validate.describe(type)}`,
    );
  }
  const t = type as Mount['type'];
  validate.knownKeys(o, ['type', 'target', ...KEYS[t]], name);
  const m: NativeMount = { type: t, target: target(o.target, `${name}.target`) };
  const read = <T>(key: string, parse: (v: unknown, n: string) => T): T | undefined => {
    const v = o[key];
    return v === undefined ? undefined : parse(v, `${name}.${key}`);
  };
  if (t === 'bind') m.source = validate.path(o.source, `${name}.source`);
  if (t === 'symlink') m.source = validate.path(o.source, `${name}.source`);
  const readonly = read('readonly', flag);
  const devices = read('devices', flag);
  if (readonly) m.readonly = true;
  if (devices) m.devices = true;
  if (t === 'tmpfs' || t === 'dir' || t === 'file') m.mode = read('mode', mode) ?? (t === 'file' ? 0o644 : 0o755);
  const size = read('size', (v, n) => validate.integer(v, n, 1, Number.MAX_SAFE_INTEGER));
  if (size !== undefined) m.size = size;
  if (t === 'file') m.data = read('data', data) ?? new Uint8Array();
  return m;
}

/** An absolute path inside the sandbox, in its plain form: no '.' or '..', no empty component, not '/'. */
function target(value: unknown, name: string): string {
  const p = validate.path(value, name);
  const parts = p.split('/');
  if (parts[0] !== '' || parts.length < 2 || parts.slice(1).some((c) => c === '' || c === '.' || c === '..')) {
    throw new RangeError(
      `${name} must be an absolute path inside the sandbox other than '/', without empty, '.' or '..' components, got ${validate.describe(p)}`,
    );
  }
  return p;
}

function flag(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${validate.describe(value)}`);
  return value;
}

function mode(value: unknown, name: string): number {
  return validate.integer(value, name, 0, 0o7777);
}

function data(value: unknown, name: string): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`${name} must be a string or a Uint8Array, got ${validate.describe(value)}`);
}
