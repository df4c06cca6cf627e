// nsbind netns add|del|ls|exec NAME: named network namespaces, shared with `ip netns`.
import { NamespaceError } from '../errors.js';
import * as netns from '../netns.js';
import { runCommand, withHint } from './child.js';
import {
  type Command,
  type CommandEntry,
  commandList,
  dispatch,
  type Io,
  parse,
  parseBeforeCommand,
  UsageError,
} from './command.js';

const add: Command = {
  usage: `Usage: nsbind netns add [--loopback] NAME

Create a network namespace and bind-mount it on /run/netns/NAME, where
\`ip netns\` finds it. No thread of nsbind itself changes namespace.

Options:
  -l, --loopback  bring lo up in it (ip -n NAME link set lo up): 127.0.0.1
                  and ::1 work at once
`,
  run(args: string[], io: Io): number {
    const parsed = parse(
      this,
      args,
      io,
      { loopback: { type: 'boolean', short: 'l' } },
      { min: 1, max: 1, names: 'NAME' },
    );
    if (!parsed) return 0;
    netns.create(parsed.positionals[0]!, { loopback: parsed.values.loopback === true }).close();
    return 0;
  },
};

const del: Command = {
  usage: `Usage: nsbind netns del NAME

Unmount and remove /run/netns/NAME. The namespace itself lives on while
processes or open files still use it.
`,
  run(args: string[], io: Io): number {
    const parsed = parse(this, args, io, {}, { min: 1, max: 1, names: 'NAME' });
    if (!parsed) return 0;
    netns.remove(parsed.positionals[0]!);
    return 0;
  },
};

const ls: Command = {
  usage: `Usage: nsbind netns ls

Print the names in /run/netns (/var/run/netns without /run), one a line.
`,
  run(args: string[], io: Io): number {
    if (!parse(this, args, io, {}, { min: 0, max: 0, names: '' })) return 0;
    io.out(
      netns
        .list()
        .map((name) => `${name}\n`)
        .join(''),
    );
    return 0;
  },
};

const exec: Command = {
  usage: `Usage: nsbind netns exec NAME [--] COMMAND [ARGS...]

Run COMMAND in the network namespace named NAME, as \`ip netns exec\` does:
in a new mount namespace (propagation slave, so the host's mounts still
show) where a fresh /sys shows NAME's network devices. Unlike ip netns exec,
files in /etc/netns/NAME/ are not bind-mounted over /etc.

Signals and exit status: as for 'nsbind run' (see 'nsbind run --help').
`,
  run(args: string[], io: Io): number | Promise<number> {
    const parsed = parseBeforeCommand(this, args, io, {});
    if (!parsed) return 0;
    const [name, ...rest] = parsed.command;
    if (name === undefined) throw new UsageError('missing NAME');
    const command = rest[0] === '--' ? rest.slice(1) : rest;
    if (command.length === 0) throw new UsageError('missing COMMAND');
    using net = netns.open(name); // needed only while spawning, which is synchronous
    try {
      return runCommand(command, { join: { net }, mountSys: true, propagation: 'slave' }, {});
    } catch (e) {
      if (e instanceof NamespaceError && e.code === 'EPERM')
        throw withHint(e, 'Entering a named network namespace needs root (CAP_SYS_ADMIN), as ip netns exec does.');
      throw e;
    }
  },
};

const commands: readonly CommandEntry[] = [
  { name: 'add', summary: 'create a network namespace named NAME (ip netns add)', load: () => add },
  { name: 'del', aliases: ['delete'], summary: 'remove the name NAME (ip netns delete)', load: () => del },
  { name: 'ls', aliases: ['list'], summary: 'list the names, one a line (ip netns list)', load: () => ls },
  { name: 'exec', summary: 'run a command in network namespace NAME (ip netns exec)', load: () => exec },
];

export const netnsCommand: Command = {
  usage: `Usage: nsbind netns add|del|ls|exec [NAME] [[--] COMMAND [ARGS...]]

Named network namespaces in /run/netns, interoperable with iproute2.
Without a command: ls.

Commands:
${commandList(commands)}

Run 'nsbind netns COMMAND --help' for more.
`,
  run(args: string[], io: Io): Promise<number> {
    return dispatch('nsbind netns', commands, args.length === 0 ? ['ls'] : args, io, this.usage);
  },
};
