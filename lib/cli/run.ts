// nsbind run: unshare(1) on spawn — a command in new namespaces.

import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { NamespaceType } from '../constants.js';
import { NamespaceError } from '../errors.js';
import type { SpawnOptions } from '../spawn.js';
import { CAPABILITIES } from '../spawn-privileges.js';
import type { Remedies } from '../spawn-steps.js';
import type { Subprocess } from '../subprocess.js';
import {
  environment,
  FLAG_REMEDIES,
  flaggedTypes,
  NAMESPACE_FLAGS,
  runCommand,
  signalArgument,
  TYPE_FLAGS,
} from './child.js';
import { type Command, type Io, optionalValues, parseBeforeCommand, UsageError } from './command.js';
import { ID_MAP_FLAGS, idMapOptions } from './id-maps.js';
import { SANDBOX_FLAGS, SANDBOX_PAIRS, SANDBOX_USAGE, sandboxMounts, sandboxOptions } from './sandbox-flags.js';

const usage = `Usage: nsbind run [OPTIONS] [--] [COMMAND [ARGS...]]

Run COMMAND in new namespaces, like unshare(1) --fork: COMMAND is always a
new process, so with --pid it is pid 1 of the new pid namespace. Without
COMMAND: $SHELL (default /bin/sh), as a login shell. Options end at COMMAND
or at '--'.

Namespaces (each --TYPE=FILE also bind-mounts the new namespace on FILE, as
unshare does, so that it outlives COMMAND; remove it with umount FILE. Until
then COMMAND is /bin/sh waiting in the new namespaces, which then execs it):
  -U, --user[=FILE]     a new user namespace (COMMAND runs as nobody in it
                        unless ids are mapped)
  -u, --uts[=FILE]      a new uts namespace
      --hostname NAME   its hostname; implies --uts
  -n, --net[=FILE]      a new network namespace (lo only, down)
      --loopback        bring its lo up (127.0.0.1 and ::1 work); needs --net
  -i, --ipc[=FILE]      a new ipc namespace
  -p, --pid[=FILE]      a new pid namespace
  -m, --mount[=FILE]    a new mount namespace, private propagation (as unshare)
      --propagation private|shared|slave|unchanged
                        the propagation of its mounts (with --mount)
      --mount-proc      mount a fresh /proc in it; implies --mount
  -C, --cgroup[=FILE]   a new cgroup namespace
  -T, --time[=FILE]     a new time namespace
      --boottime SECS   its CLOCK_BOOTTIME offset; implies --time (unshare
                        asks for -T); negative: --boottime=-SECS
      --monotonic SECS  its CLOCK_MONOTONIC offset; implies --time

User namespace ids (each implies --user):
  -r, --map-root-user   map your uid and gid to root inside
      --map-auto        map your first blocks of /etc/subuid and /etc/subgid
                        from 0 (with newuidmap/newgidmap; alone)
  -c, --map-current-user
                        map your uid and gid to themselves inside
      --map-user UID|NAME, --map-group GID|NAME
                        map your uid (gid) to this one inside
      --map-users INNER:OUTER:COUNT|all, --map-groups INNER:OUTER:COUNT|all
                        map a range (again for more; OUTER,INNER,COUNT too;
                        all: every id you have); the single ids above come
                        first, ranges lose the id they overlap (as unshare)
      --setgroups allow|deny
                        /proc/PID/setgroups (deny with a single gid mapped)

Process:
  -S, --setuid UID      the uid COMMAND runs as inside
  -G, --setgid GID      the gid COMMAND runs as inside, no supplementary groups
  -R, --root DIR        chroot to DIR before running COMMAND
  -w, --wd DIR          working directory (inside --root)
      --kill-child[=SIGNAL]
                        send COMMAND SIGNAL (default KILL) when nsbind dies
      --clear-env       start COMMAND with an empty environment
      --whitelist-env NAME,...
                        start COMMAND with only these variables of ours
      --keep-caps       with --user: COMMAND keeps the capabilities the new
                        user namespace gives (ambient), also as non-root
  -f, --fork            accepted: COMMAND is always a new process
      --forward-signals accepted: signals are always passed on (see below)
  -h, --help            show this help

${SANDBOX_USAGE}
Not supported (unshare's): --map-subids, the subids range (auto only alone), --owner,
--mount-binfmt, --load-interp, --mount-proc=DIR.

COMMAND gets this terminal (stdin, stdout, stderr). nsbind passes on SIGINT,
SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2, except a terminal's Ctrl-C and
Ctrl-\\, which the terminal sends to COMMAND itself. As pid 1 (--pid) COMMAND
ignores every signal it has no handler for, SIGKILL aside, as any init does.

Exit status: COMMAND's, or 128+N when signal N ended it; 127 when COMMAND was
not found, 126 when it could not be executed; 1 when setting up failed (the
message names the step); 2 for bad usage.
`;

/** What spawn's hints suggest, as run's options. */
const REMEDIES: Remedies = {
  ...FLAG_REMEDIES,
  mapRootUser: 'add --map-root-user (-r)',
  mapOwnIds: 'map only your own ids: --map-root-user (-r), --map-current-user (-c) or --map-user/--map-group',
};

const PROPAGATIONS = ['private', 'shared', 'slave', 'unchanged'] as const;

const OPTIONS = {
  ...NAMESPACE_FLAGS,
  ...ID_MAP_FLAGS,
  hostname: { type: 'string' },
  loopback: { type: 'boolean' },
  propagation: { type: 'string' },
  'mount-proc': { type: 'boolean' },
  boottime: { type: 'string' },
  monotonic: { type: 'string' },
  setuid: { type: 'string', short: 'S' },
  setgid: { type: 'string', short: 'G' },
  root: { type: 'string', short: 'R' },
  wd: { type: 'string', short: 'w' },
  'kill-child': { type: 'boolean' },
  'clear-env': { type: 'boolean' },
  'whitelist-env': { type: 'string', multiple: true },
  fork: { type: 'boolean', short: 'f' },
  'forward-signals': { type: 'boolean' },
  // unshare's, refused with a reason rather than as unknown
  'keep-caps': { type: 'boolean' },
  owner: { type: 'string' },
  'mount-binfmt': { type: 'boolean' },
  'load-interp': { type: 'string', short: 'l' },
  ...SANDBOX_FLAGS,
} as const;

/** The options that take a value only as --name=VALUE (getopt's optional arguments). */
const OPTIONAL = [...Object.keys(NAMESPACE_FLAGS), 'kill-child', 'mount-proc', 'mount-binfmt'];
const UNSUPPORTED = ['owner', 'mount-binfmt', 'load-interp'] as const;

export const run: Command = {
  usage,
  run(args: string[], io: Io): number | Promise<number> {
    const optional = optionalValues(args, OPTIONS, OPTIONAL, false, SANDBOX_PAIRS);
    const sandbox = sandboxMounts(optional.args);
    const parsed = parseBeforeCommand(this, sandbox.args, io, OPTIONS);
    if (!parsed) return 0;
    const { values } = parsed;
    for (const flag of UNSUPPORTED)
      if (values[flag] !== undefined) throw new UsageError(`--${flag} is not supported (see 'nsbind run --help')`);
    const procDir = optional.values.get('mount-proc');
    if (procDir !== undefined && procDir !== '/proc')
      throw new UsageError(`--mount-proc=${procDir} is not supported: only /proc`);
    const maps = idMapOptions(values);
    const namespaces = flaggedTypes(values);
    if (maps.user) namespaces.push('user');
    if (values.hostname !== undefined) namespaces.push('uts');
    const persists = persistTargets(optional.values);
    for (const type of persists.keys()) namespaces.push(type);
    const propagation = values.propagation;
    if (propagation !== undefined && !PROPAGATIONS.includes(propagation as (typeof PROPAGATIONS)[number]))
      throw new UsageError(`unsupported propagation mode: ${propagation}`);
    const created = new Set(namespaces);
    if (values.loopback && !created.has('net')) throw new UsageError('--loopback needs --net (-n)');
    const killSignal = optional.values.get('kill-child');
    const options: SpawnOptions = {
      namespaces: [...created],
      uidMap: maps.uidMap,
      gidMap: maps.gidMap,
      setgroups: maps.setgroups,
      hostname: values.hostname,
      loopback: values.loopback,
      // unshare ignores --propagation without --mount
      propagation:
        created.has('mnt') || values['mount-proc'] ? (propagation as SpawnOptions['propagation']) : undefined,
      mountProc: values['mount-proc'],
      timeOffsets:
        values.boottime === undefined && values.monotonic === undefined
          ? undefined
          : { boottime: seconds(values.boottime, 'boottime'), monotonic: seconds(values.monotonic, 'monotonic') },
      uid: idArgument(values.setuid, 'uid'),
      gid: idArgument(values.setgid, 'gid'),
      root: values.root,
      mounts: sandbox.mounts,
      cwd: values.wd,
      killOnParentDeath:
        values['kill-child'] && (killSignal === undefined ? true : signalArgument(killSignal, '--kill-child')),
      env: environment(values['clear-env'], values['whitelist-env']),
      capabilities: values['keep-caps'] && created.has('user') ? userNamespaceCapabilities() : undefined,
      ...sandboxOptions(values),
    };
    if (persists.size === 0) return runCommand(parsed.command, options, REMEDIES);
    const shell = (options.env ?? process.env).SHELL || '/bin/sh';
    return runCommand(
      held(parsed.command, shell),
      { ...options, stdio: ['inherit', 'inherit', 'inherit', 'pipe'] },
      REMEDIES,
      (child) => {
        persistAll(child, persists);
        (child.stdio[3] as Duplex).end('\n'); // kept: go on
      },
    );
  },
};

/**
 * --keep-caps, as unshare's cap_permitted_to_ambient: every capability this
 * kernel has (up to cap_last_cap), all of which a new user namespace gives,
 * bounding set included, kept across exec as ambient ones.
 */
function userNamespaceCapabilities(): string[] {
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'latin1'));
  return CAPABILITIES.slice(0, last + 1);
}

/** --TYPE=FILE: where to bind-mount each new namespace. */
function persistTargets(values: Map<string, string>): Map<NamespaceType, string> {
  const targets = new Map<NamespaceType, string>();
  for (const [type, flag] of Object.entries(TYPE_FLAGS) as [NamespaceType, string][]) {
    const file = values.get(flag);
    if (file === undefined) continue;
    if (file === '') throw new UsageError(`--${flag}= needs a FILE`);
    targets.set(type, file);
  }
  return targets;
}

/**
 * With --TYPE=FILE the command has to be in its namespaces, and still there,
 * when nsbind bind-mounts them (as unshare does from its forked parent): it
 * starts as /bin/sh, in the new namespaces already (pid 1 with --pid), waiting
 * on fd 3 (a socket of ours) until they are kept, and then execs COMMAND, which
 * keeps its pid (no command: $SHELL as a login shell, -l).
 */
function held(command: readonly string[], shell: string): string[] {
  const exec = command.length > 0 ? 'exec "$@"' : `exec ${quote(shell)} -l`;
  return ['/bin/sh', '-c', `read -r _ <&3 || exit 1; exec 3<&-; ${exec}`, 'sh', ...command];
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Bind-mount the command's new namespaces on their files, while it waits. */
function persistAll(child: Subprocess, targets: Map<NamespaceType, string>): void {
  const { persist } = require('../persist.js') as typeof import('../persist.js'); // only for --TYPE=FILE
  for (const [type, file] of targets) {
    let ns: ReturnType<Subprocess['namespace']>;
    try {
      ns = child.namespace(type);
    } catch (e) {
      if (!(e instanceof NamespaceError)) throw e;
      const hint = `The command (still /bin/sh, waiting) was gone before nsbind could bind-mount its ${type} namespace on ${file}.`;
      throw new NamespaceError(e.errno, { syscall: e.syscall, path: e.path, step: 'persist', hint }, { cause: e });
    }
    try {
      persist(ns, file);
    } catch (e) {
      if (!(e instanceof NamespaceError)) throw e;
      throw new NamespaceError(
        e.errno,
        { syscall: e.syscall, path: e.path, step: 'persist', hint: e.hint },
        { cause: e },
      );
    } finally {
      ns.close();
    }
  }
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(value)) throw new UsageError(`invalid --${flag} '${value}' (seconds)`);
  return Number(value);
}

/** -S/-G: a number, as unshare parses it. */
function idArgument(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n >= 0xffffffff) throw new UsageError(`failed to parse ${what} '${value}'`);
  return n;
}
