// nsbind enter: nsenter(1) on spawn — a command in the namespaces of a
// running process, or of namespace files.
import { existsSync, readlinkSync } from 'node:fs';
import { NAMESPACE_TYPES, type NamespaceType } from '../constants.js';
import { fromFsError } from '../errors.js';
import type { SpawnOptions } from '../spawn.js';
import type { Remedies } from '../spawn-steps.js';
import { flaggedTypes, NAMESPACE_FLAGS, runCommand, TYPE_FLAGS } from './child.js';
import { type Command, type Io, optionalValues, parseBeforeCommand, pidArgument, UsageError } from './command.js';
import { joinCgroup, targetEnvironment, targetOwner } from './target-process.js';

const usage = `Usage: nsbind enter [-t PID] (--all | NAMESPACES...) [OPTIONS] [--] [COMMAND [ARGS...]]

Run COMMAND in namespaces of process PID (/proc/PID/ns/*) or of namespace
files, like nsenter(1) --fork: COMMAND is a new process, so it starts inside
the pid namespace too. Without COMMAND: $SHELL (default /bin/sh), as a login
shell. Options end at COMMAND or at '--'.

Namespaces (each of PID's, or with =FILE, or -nFILE, the one FILE holds,
e.g. --net=/run/netns/NAME; FILE forms need no -t):
  -t, --target PID      the process whose namespaces (and root, cwd, env) to use
  -a, --all             every namespace of PID that we are not in already
  -m, --mount[=FILE]    a mount namespace (COMMAND starts at its /)
  -u, --uts[=FILE]      a uts namespace
  -i, --ipc[=FILE]      an ipc namespace
  -n, --net[=FILE]      a network namespace
  -p, --pid[=FILE]      a pid namespace
  -U, --user[=FILE]     a user namespace, as root there (unless the options below)
  -C, --cgroup[=FILE]   a cgroup namespace
  -T, --time[=FILE]     a time namespace

Process:
  -S, --setuid UID|follow   the uid COMMAND runs as (follow: PID's owner)
  -G, --setgid GID|follow   the gid, no supplementary groups (follow: PID's)
      --preserve-credentials
                        keep your uid and gid in the user namespace entered
  -r, --root[=DIR]      chroot to DIR (default: PID's root directory)
  -w, --wd[=DIR]        working directory (default: PID's)
  -W, --wdns DIR        working directory, after entering and --root
  -e, --env             COMMAND gets PID's environment (/proc/PID/environ)
  -c, --join-cgroup     COMMAND starts in PID's cgroup (cgroup v2)
  -F, --no-fork         accepted: COMMAND is always a new process
  -h, --help            show this help

As nsenter does, the user namespace is joined first when it gives the rights
to join the others, last when it would take them away. DIRs are looked up
after entering (nsenter opens -r and -w DIRs before). Not supported
(nsenter's): -N/--net-socket, --keep-caps, --user-parent, -Z.

Signals and exit status: as for 'nsbind run' (see 'nsbind run --help').
`;

const OPTIONS = {
  target: { type: 'string', short: 't' },
  all: { type: 'boolean', short: 'a' },
  ...NAMESPACE_FLAGS,
  setuid: { type: 'string', short: 'S' },
  setgid: { type: 'string', short: 'G' },
  'preserve-credentials': { type: 'boolean' },
  root: { type: 'boolean', short: 'r' },
  wd: { type: 'boolean', short: 'w' },
  wdns: { type: 'string', short: 'W' },
  env: { type: 'boolean', short: 'e' },
  'join-cgroup': { type: 'boolean', short: 'c' },
  'no-fork': { type: 'boolean', short: 'F' },
  // nsenter's, refused with a reason rather than as unknown
  'net-socket': { type: 'string', short: 'N' },
  'keep-caps': { type: 'boolean' },
  'user-parent': { type: 'boolean' },
  'follow-context': { type: 'boolean', short: 'Z' },
} as const;

/** getopt's optional arguments: --net=FILE, -nFILE, --root=DIR, -rDIR. */
const OPTIONAL = [...Object.keys(NAMESPACE_FLAGS), 'root', 'wd'];
const UNSUPPORTED = ['net-socket', 'keep-caps', 'user-parent', 'follow-context'] as const;

export const enter: Command = {
  usage,
  run(args: string[], io: Io): number | Promise<number> {
    const optional = optionalValues(args, OPTIONS, OPTIONAL, true);
    const parsed = parseBeforeCommand(this, optional.args, io, OPTIONS);
    if (!parsed) return 0;
    const { values } = parsed;
    for (const flag of UNSUPPORTED)
      if (values[flag] !== undefined) throw new UsageError(`--${flag} is not supported (see 'nsbind enter --help')`);
    const pid = values.target === undefined ? undefined : pidArgument(values.target);
    const files = optional.values;
    const types = [...new Set([...(values.all ? kernelTypes(pid) : []), ...flaggedTypes(values)])];
    if (types.length === 0)
      throw new UsageError("nothing to enter: give --all or namespace options (see 'nsbind enter --help')");
    const needPid = (what: string) => {
      if (pid === undefined) throw new UsageError(`missing -t PID (for ${what})`);
      return pid;
    };
    // spawn skips the namespaces we are in already, as nsenter -a does
    const join = Object.fromEntries(
      types.map((type) => [
        type,
        files.get(TYPE_FLAGS[type]) ?? `/proc/${needPid(`--${TYPE_FLAGS[type]}`)}/ns/${type}`,
      ]),
    );
    const options: SpawnOptions = {
      join,
      ...directories(values, files, needPid),
      env: values.env ? targetEnvironment(needPid('--env')) : undefined,
      ...credentials(values, pid, types.includes('user')),
    };
    if (values['join-cgroup']) joinCgroup(needPid('--join-cgroup'));
    return runCommand(parsed.command, options, REMEDIES);
  },
};

/**
 * -r/--root[=DIR], -w/--wd[=DIR], -W/--wdns DIR. Without DIR, PID's root and
 * working directory as paths (/proc/PID/root and cwd read here: the paths
 * they show are those inside PID's mount namespace, where the command looks
 * them up once it has entered it; its cwd is taken relative to its root).
 */
function directories(
  values: { root?: boolean; wd?: boolean; wdns?: string },
  files: Map<string, string>,
  pid: (what: string) => number,
): Pick<SpawnOptions, 'root' | 'cwd'> {
  if (values.wd && values.wdns !== undefined) throw new UsageError('--wd and --wdns are mutually exclusive');
  const link = (what: 'root' | 'cwd', flag: string) => {
    const path = `/proc/${pid(flag)}/${what}`;
    try {
      return readlinkSync(path);
    } catch (e) {
      throw fromFsError(e, { syscall: 'readlink', path });
    }
  };
  const root = values.root ? (files.get('root') ?? link('root', '--root')) : undefined;
  let cwd = values.wd ? files.get('wd') : values.wdns;
  if (values.wd && cwd === undefined) {
    cwd = link('cwd', '--wd');
    if (values.root && !files.has('root') && root !== '/' && cwd.startsWith(`${root}/`)) cwd = cwd.slice(root!.length);
  }
  return { root, cwd };
}

/** What spawn's hints suggest, as enter's options. */
const REMEDIES: Remedies = { joinUser: 'add --user (-U), or use --all' };

/** The types this kernel has (time namespaces arrived in Linux 5.6); --all needs PID. */
function kernelTypes(pid: number | undefined): NamespaceType[] {
  if (pid === undefined) throw new UsageError('missing -t PID (for --all)');
  return NAMESPACE_TYPES.filter((type) => existsSync(`/proc/thread-self/ns/${type}`));
}

/** -S/-G (an id, or follow: PID's owner) and --preserve-credentials; spawn makes us root of a joined user namespace otherwise. */
function credentials(
  values: { setuid?: string; setgid?: string; 'preserve-credentials'?: boolean },
  pid: number | undefined,
  joinsUser: boolean,
): Pick<SpawnOptions, 'uid' | 'gid' | 'keepCredentials'> {
  const id = (value: string | undefined, flag: string, key: 'uid' | 'gid') => {
    if (value === undefined) return undefined;
    if (value === 'follow') {
      if (pid === undefined) throw new UsageError(`missing -t PID (for ${flag} follow)`);
      return targetOwner(pid)[key];
    }
    const n = Number(value);
    if (!/^\d+$/.test(value) || n >= 0xffffffff) throw new UsageError(`failed to parse ${key} '${value}'`);
    return n;
  };
  const uid = id(values.setuid, '--setuid', 'uid');
  const gid = id(values.setgid, '--setgid', 'gid');
  if (!joinsUser) return { uid, gid };
  if (values['preserve-credentials']) return { uid, gid, keepCredentials: true };
  // nsenter sets both in a user namespace it enters, 0 for the one not given
  return uid === undefined && gid === undefined ? {} : { uid: uid ?? 0, gid: gid ?? 0 };
}
