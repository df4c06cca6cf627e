// nsbind enter: nsenter(1) on spawn — a command in the namespaces of a
// running process.
import { existsSync } from 'node:fs';
import { NAMESPACE_TYPES, type NamespaceType } from '../constants.js';
import type { Remedies } from '../spawn-steps.js';
import { flaggedTypes, NAMESPACE_FLAGS, runCommand } from './child.js';
import { type Command, type Io, parseBeforeCommand, pidArgument, UsageError } from './command.js';

const usage = `Usage: nsbind enter -t PID (--all | NAMESPACES...) [--] [COMMAND [ARGS...]]

Run COMMAND in namespaces of process PID (/proc/PID/ns/*), like nsenter(1)
--fork: COMMAND is a new process, so it starts inside PID's pid namespace too.
Without COMMAND: $SHELL (default /bin/sh), as a login shell. Options end at
COMMAND or at '--'.

Options:
  -t, --target PID  the process whose namespaces to enter
  -a, --all         every namespace of PID that we are not in already (nsenter -a)
  -m, --mount       its mount namespace (COMMAND starts at its /)
  -u, --uts         its uts namespace
  -i, --ipc         its ipc namespace
  -n, --net         its network namespace
  -p, --pid         its pid namespace
  -U, --user        its user namespace, as root there
  -C, --cgroup      its cgroup namespace
  -T, --time        its time namespace
  -h, --help        show this help

As nsenter does, the user namespace is joined first when it gives the rights
to join the others, last when it would take them away. Not supported: nsenter's
-r and -w (PID's root and working directory), namespace file arguments
(--net=FILE; see 'nsbind netns exec'), and credential options.

Signals and exit status: as for 'nsbind run' (see 'nsbind run --help').
`;

const OPTIONS = {
  target: { type: 'string', short: 't' },
  all: { type: 'boolean', short: 'a' },
  ...NAMESPACE_FLAGS,
} as const;

export const enter: Command = {
  usage,
  run(args: string[], io: Io): number | Promise<number> {
    const parsed = parseBeforeCommand(this, args, io, OPTIONS);
    if (!parsed) return 0;
    const { values } = parsed;
    if (values.target === undefined) throw new UsageError('missing -t PID');
    const pid = pidArgument(values.target);
    const types = values.all ? kernelTypes() : flaggedTypes(values);
    if (types.length === 0)
      throw new UsageError("nothing to enter: give --all or namespace options (see 'nsbind enter --help')");
    // spawn skips the namespaces we are in already, as nsenter -a does
    const join = Object.fromEntries(types.map((type) => [type, `/proc/${pid}/ns/${type}`]));
    return runCommand(parsed.command, { join }, REMEDIES);
  },
};

/** What spawn's hints suggest, as enter's options. */
const REMEDIES: Remedies = { joinUser: 'add --user (-U), or use --all' };

/** The types this kernel has (time namespaces arrived in Linux 5.6). */
function kernelTypes(): NamespaceType[] {
  return NAMESPACE_TYPES.filter((type) => existsSync(`/proc/thread-self/ns/${type}`));
}
