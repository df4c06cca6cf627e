// nsbind run: unshare(1) on spawn — a command in new namespaces.
import type { SpawnOptions } from '../spawn.js';
import type { Remedies } from '../spawn-steps.js';
import { FLAG_REMEDIES, flaggedTypes, NAMESPACE_FLAGS, runCommand } from './child.js';
import { type Command, type Io, parseBeforeCommand, UsageError } from './command.js';

const usage = `Usage: nsbind run [OPTIONS] [--] [COMMAND [ARGS...]]

Run COMMAND in new namespaces, like unshare(1) --fork: COMMAND is always a
new process, so with --pid it is pid 1 of the new pid namespace. Without
COMMAND: $SHELL (default /bin/sh), as a login shell. Options end at COMMAND
or at '--'.

Namespaces:
  -U, --user            a new user namespace (COMMAND runs as nobody in it
                        unless --map-root-user)
  -r, --map-root-user   map your uid and gid to root inside; implies --user
  -u, --uts             a new uts namespace
      --hostname NAME   its hostname; implies --uts
  -n, --net             a new network namespace (lo only, down)
  -i, --ipc             a new ipc namespace
  -p, --pid             a new pid namespace
  -m, --mount           a new mount namespace, private propagation (as unshare)
      --mount-proc      mount a fresh /proc in it; implies --mount
  -C, --cgroup          a new cgroup namespace
  -T, --time            a new time namespace
      --boottime SECS   its CLOCK_BOOTTIME offset; implies --time (unshare
                        asks for -T); negative: --boottime=-SECS
      --monotonic SECS  its CLOCK_MONOTONIC offset; implies --time

Process:
  -R, --root DIR        chroot to DIR before running COMMAND
  -w, --wd DIR          working directory (inside --root)
  -h, --help            show this help

COMMAND gets this terminal (stdin, stdout, stderr). nsbind passes on SIGINT,
SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2, except a terminal's Ctrl-C and
Ctrl-\\, which the terminal sends to COMMAND itself. As pid 1 (--pid) COMMAND
ignores every signal it has no handler for, SIGKILL aside, as any init does.

Exit status: COMMAND's, or 128+N when signal N ended it; 127 when COMMAND was
not found, 126 when it could not be executed; 1 when setting up failed (the
message names the step); 2 for bad usage.
`;

/** What spawn's hints suggest, as run's options. */
const REMEDIES: Remedies = { ...FLAG_REMEDIES, mapRootUser: 'add --map-root-user (-r)' };

const OPTIONS = {
  ...NAMESPACE_FLAGS,
  'map-root-user': { type: 'boolean', short: 'r' },
  hostname: { type: 'string' },
  'mount-proc': { type: 'boolean' },
  boottime: { type: 'string' },
  monotonic: { type: 'string' },
  root: { type: 'string', short: 'R' },
  wd: { type: 'string', short: 'w' },
} as const;

export const run: Command = {
  usage,
  run(args: string[], io: Io): number | Promise<number> {
    const parsed = parseBeforeCommand(this, args, io, OPTIONS);
    if (!parsed) return 0;
    const { values } = parsed;
    const namespaces = flaggedTypes(values);
    if (values['map-root-user']) namespaces.push('user');
    if (values.hostname !== undefined) namespaces.push('uts');
    const options: SpawnOptions = {
      namespaces: [...new Set(namespaces)],
      mapRootUser: values['map-root-user'],
      hostname: values.hostname,
      mountProc: values['mount-proc'],
      timeOffsets:
        values.boottime === undefined && values.monotonic === undefined
          ? undefined
          : { boottime: seconds(values.boottime, 'boottime'), monotonic: seconds(values.monotonic, 'monotonic') },
      root: values.root,
      cwd: values.wd,
    };
    return runCommand(parsed.command, options, REMEDIES);
  },
};

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(value)) throw new UsageError(`invalid --${flag} '${value}' (seconds)`);
  return Number(value);
}
