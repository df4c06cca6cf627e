// nsbind run's sandbox flags, with bwrap's names: each adds one entry to
// spawn's `mounts`, in the order given.
import type { Mount } from '../spawn-mounts.js';
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
`;

/** For run's option table (one spread): taken out of the arguments by sandboxMounts before they are parsed. */
export const SANDBOX_FLAGS = {
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

type Flag = keyof typeof SANDBOX_FLAGS;
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
    if (!arg.startsWith('--') || eq < 0 || !Object.hasOwn(SANDBOX_FLAGS, name)) {
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
