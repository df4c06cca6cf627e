// nsbind run's sandbox flags, with bwrap's names: the mounts (each adds one
// entry to spawn's `mounts`, in the order given) and the privileges
// (--cap-drop, --cap-add, --new-session, --die-with-parent, --seccomp FD, and
// setpriv's --no-new-privs), mapped to spawn options.
import { readFileSync } from 'node:fs';
import type { SpawnOptions } from '../spawn.js';
import type { Mount } from '../spawn-mounts.js';
import { CAPABILITIES, capabilityNumber } from '../spawn-privileges.js';
import { UsageError } from './command.js';

export const SANDBOX_USAGE = `Sandbox (bwrap's flags, applied in order; any of them gives COMMAND a root
built from nothing with only what they put there, then pivot_root into it;
they imply --mount, and --root DIR becomes the new root's base):
      --bind SRC DEST   bind SRC (with its submounts) on DEST, nosuid, nodev
      --ro-bind SRC DEST
                        the same, read-only, every submount too
      --dev-bind SRC DEST
                        the same, device files usable
      --tmpfs DEST      a new tmpfs (mode 0755 unless --perms)
      --proc DEST       a new proc (with --pid: COMMAND's processes only)
      --dev DEST        a minimal /dev: null zero full random urandom tty,
                        pts, ptmx, shm, fd, stdin, stdout, stderr, core
      --dir DEST        a directory (0755 unless --perms)
      --symlink TEXT DEST
                        a symbolic link to TEXT
      --perms MODE      octal mode of the --tmpfs or --dir right after it
      --size BYTES      size of the --tmpfs right after it

Privileges (bwrap's flags, and setpriv's --no-new-privs):
      --cap-drop CAP|ALL, --cap-add CAP
                        the capabilities COMMAND keeps, in all five sets:
                        ALL dropped first, then those added, then the other
                        drops, from the bounding set nsbind has (again for
                        more; CAP_NET_ADMIN or net_admin)
      --new-session     a new session (setsid): COMMAND has no terminal to
                        inject input into
      --die-with-parent same as --kill-child
      --seccomp FD      load the classic BPF program read from fd FD (as bwrap
                        takes it, e.g. from seccomp_export_bpf) last before
                        exec; implies --no-new-privs, as bwrap always sets it
      --no-new-privs    PR_SET_NO_NEW_PRIVS: exec can never grant more
`;

/** Taken out of the arguments by sandboxMounts before they are parsed. */
const MOUNT_FLAGS = {
  bind: { type: 'string' },
  'ro-bind': { type: 'string' },
  'dev-bind': { type: 'string' },
  tmpfs: { type: 'string' },
  proc: { type: 'string' },
  dev: { type: 'string' },
  dir: { type: 'string' },
  symlink: { type: 'string' },
  perms: { type: 'string' },
  size: { type: 'string' },
} as const;

const PRIVILEGE_FLAGS = {
  'cap-add': { type: 'string', multiple: true },
  'cap-drop': { type: 'string', multiple: true },
  'new-session': { type: 'boolean' },
  'die-with-parent': { type: 'boolean' },
  seccomp: { type: 'string' },
  'no-new-privs': { type: 'boolean' },
} as const;

/** For run's option table (one spread). */
export const SANDBOX_FLAGS = { ...MOUNT_FLAGS, ...PRIVILEGE_FLAGS } as const;

type Flag = keyof typeof MOUNT_FLAGS;
/** The flags with two arguments, for optionalValues (which joins them with a NUL). */
export const SANDBOX_PAIRS: readonly Flag[] = ['bind', 'ro-bind', 'dev-bind', 'symlink'];

/**
 * The sandbox flags taken out of `args` (as optionalValues leaves them: `--name=VALUE`, and
 * `--name=FIRST\0SECOND` for SANDBOX_PAIRS), up to where the command begins, into `mounts`
 * (undefined: none given).
 */
export function sandboxMounts(args: readonly string[]): { args: string[]; mounts: Mount[] | undefined } {
  const out: string[] = [];
  const mounts: Mount[] = [];
  let modifiers: { perms?: number; size?: number; flag?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || !arg.startsWith('-') || arg === '-') {
      out.push(...args.slice(i));
      break;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq) as Flag;
    if (!arg.startsWith('--') || eq < 0 || !Object.hasOwn(MOUNT_FLAGS, name)) {
      out.push(arg);
      continue;
    }
    const value = arg.slice(eq + 1);
    if (name === 'perms' || name === 'size') {
      modifiers = { ...modifiers, [name]: number(name, value), flag: `--${name}` };
      continue;
    }
    const [first, second] = value.split('\0');
    const pair = SANDBOX_PAIRS.includes(name);
    mounts.push(entry(name, pair ? first : undefined, pair ? second! : first!, modifiers));
    modifiers = {};
  }
  if (modifiers.flag)
    throw new UsageError(`${modifiers.flag} must come right before the --tmpfs or --dir it applies to`);
  return { args: out, mounts: mounts.length > 0 ? mounts : undefined };
}

function entry(
  name: Exclude<Flag, 'perms' | 'size'>,
  source: string | undefined,
  target: string,
  { perms, size, flag }: { perms?: number; size?: number; flag?: string },
): Mount {
  if (!target.startsWith('/')) throw new UsageError(`--${name}: DEST must be an absolute path, got '${target}'`);
  if (flag && !(name === 'tmpfs' || (name === 'dir' && size === undefined)))
    throw new UsageError(`${flag} must come right before the --tmpfs or --dir it applies to`);
  const mode = perms === undefined ? {} : { mode: perms };
  switch (name) {
    case 'bind':
    case 'ro-bind':
    case 'dev-bind':
      return {
        type: 'bind',
        source: source!,
        target,
        ...(name === 'ro-bind' ? { readonly: true } : name === 'dev-bind' ? { devices: true } : {}),
      };
    case 'symlink':
      return { type: 'symlink', source: source!, target };
    case 'tmpfs':
      return { type: 'tmpfs', target, ...mode, ...(size === undefined ? {} : { size }) };
    case 'dir':
      return { type: 'dir', target, ...mode };
    default:
      return { type: name, target };
  }
}

/** --perms MODE (octal, as bwrap) or --size BYTES (decimal). */
function number(name: 'perms' | 'size', value: string): number {
  const octal = name === 'perms';
  if (!(octal ? /^[0-7]{1,4}$/ : /^[1-9]\d*$/).test(value) || (!octal && !Number.isSafeInteger(Number(value))))
    throw new UsageError(`--${name}: invalid ${octal ? 'octal mode' : 'size in bytes'} '${value}'`);
  return octal ? Number.parseInt(value, 8) : Number(value);
}

interface Values {
  'cap-add'?: string[];
  'cap-drop'?: string[];
  'new-session'?: boolean;
  'die-with-parent'?: boolean;
  seccomp?: string;
  'no-new-privs'?: boolean;
}

type SandboxOptions = Pick<
  SpawnOptions,
  'capabilities' | 'setsid' | 'killOnParentDeath' | 'seccomp' | 'noNewPrivileges'
>;

/** The spawn options the flags ask for (only those given). */
export function sandboxOptions(values: Values): SandboxOptions {
  const options: SandboxOptions = {};
  const capabilities = capabilitySet(values['cap-drop'] ?? [], values['cap-add'] ?? []);
  if (capabilities) options.capabilities = capabilities;
  if (values['new-session']) options.setsid = true;
  if (values['die-with-parent']) options.killOnParentDeath = true;
  if (values.seccomp !== undefined) options.seccomp = readProgram(values.seccomp);
  if (values['no-new-privs'] || values.seccomp !== undefined) options.noNewPrivileges = true;
  return options;
}

function capabilitySet(drops: string[], adds: string[]): string[] | undefined {
  if (drops.length === 0 && adds.length === 0) return undefined;
  const number = (name: string, flag: string) => {
    try {
      return capabilityNumber(name, flag);
    } catch {
      throw new UsageError(`${flag}: unknown capability '${name}'`);
    }
  };
  const all = drops.some((d) => d.toUpperCase() === 'ALL');
  const kept = new Set(all ? [] : bounding());
  for (const a of adds) kept.add(number(a, '--cap-add'));
  for (const d of drops) if (d.toUpperCase() !== 'ALL') kept.delete(number(d, '--cap-drop'));
  return [...kept].sort((a, b) => a - b).map((n) => CAPABILITIES[n]!);
}

/** The capabilities in our bounding set: all a child can hold, in a new user namespace too. */
function bounding(): number[] {
  const line = /^CapBnd:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
  const mask = BigInt(`0x${line?.[1] ?? '0'}`);
  return CAPABILITIES.map((_, n) => n).filter((n) => (mask >> BigInt(n)) & 1n);
}

/** --seccomp FD: the whole program, read from that fd until its end (as bwrap reads it). */
function readProgram(value: string): Buffer {
  if (!/^\d+$/.test(value) || Number(value) > 0x7fffffff) throw new UsageError(`--seccomp: invalid fd '${value}'`);
  try {
    return readFileSync(Number(value));
  } catch (e) {
    throw new UsageError(`--seccomp ${value}: cannot read the program (${(e as NodeJS.ErrnoException).code})`);
  }
}
