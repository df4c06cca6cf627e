// What run, enter and netns exec share: unshare(1)'s and nsenter(1)'s
// namespace flags, and the command they start on this terminal, with signals
// passed on and its exit status as ours.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { basename } from 'node:path';
import type { NamespaceType } from '../constants.js';
import { NamespaceError } from '../errors.js';
import { type SpawnOptions, spawnWith } from '../spawn.js';
import type { Remedies } from '../spawn-steps.js';
import type { Subprocess } from '../subprocess.js';
import { UsageError } from './command.js';

/** The namespace flags, with unshare's and nsenter's letters. */
export const NAMESPACE_FLAGS = {
  mount: { type: 'boolean', short: 'm' },
  uts: { type: 'boolean', short: 'u' },
  ipc: { type: 'boolean', short: 'i' },
  net: { type: 'boolean', short: 'n' },
  pid: { type: 'boolean', short: 'p' },
  user: { type: 'boolean', short: 'U' },
  cgroup: { type: 'boolean', short: 'C' },
  time: { type: 'boolean', short: 'T' },
} as const;

const FLAG_TYPES: Record<keyof typeof NAMESPACE_FLAGS, NamespaceType> = {
  mount: 'mnt',
  uts: 'uts',
  ipc: 'ipc',
  net: 'net',
  pid: 'pid',
  user: 'user',
  cgroup: 'cgroup',
  time: 'time',
};

/** The long flag of each namespace type: `net` for 'net', `mount` for 'mnt'. */
export const TYPE_FLAGS = Object.fromEntries(Object.entries(FLAG_TYPES).map(([flag, type]) => [type, flag])) as Record<
  NamespaceType,
  keyof typeof NAMESPACE_FLAGS
>;

/** The namespace types whose flags were given. */
export function flaggedTypes(
  values: Partial<Record<keyof typeof NAMESPACE_FLAGS, boolean | undefined>>,
): NamespaceType[] {
  return Object.entries(FLAG_TYPES)
    .filter(([flag]) => values[flag as keyof typeof NAMESPACE_FLAGS])
    .map(([, type]) => type);
}

/** The remedies spawn's hints suggest, in terms of the namespace flags: `add --pid (-p)`. */
export const FLAG_REMEDIES: Remedies = {
  create: (type) => {
    const flag = (Object.keys(FLAG_TYPES) as (keyof typeof NAMESPACE_FLAGS)[]).find((f) => FLAG_TYPES[f] === type);
    return flag && `add --${flag} (-${NAMESPACE_FLAGS[flag].short})`;
  },
};

/** The same failure, with a hint in the CLI's terms (the option to add) instead of the API's. */
export function withHint(error: NamespaceError, hint: string): NamespaceError {
  return new NamespaceError(
    error.errno,
    { syscall: error.syscall, path: error.path, step: error.step, hint },
    { cause: error },
  );
}

/**
 * Signals the CLI passes on to the command while it runs — but not the
 * terminal's own SIGINT and SIGQUIT (Ctrl-C, Ctrl-\), which reach the command
 * directly when it shares our foreground process group.
 */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/**
 * Start `command` — or, when it is empty, $SHELL (of its environment; default
 * /bin/sh) as a login shell ('-bash'), as unshare and nsenter start it — with
 * our stdin, stdout and stderr (unless options.stdio says more). Spawning is synchronous (setup failures throw
 * here, with hints in terms of `remedies`), and so is `started`, which may
 * throw too (the command is killed then); the promise gives the exit status:
 * the command's, or 128+N when signal N ended it, as shells report it.
 */
export function runCommand(
  command: readonly string[],
  options: SpawnOptions,
  remedies: Remedies,
  started?: (child: Subprocess) => void,
): Promise<number> {
  const shell = (options.env ?? process.env).SHELL || '/bin/sh';
  const [file, ...args] = command.length > 0 ? command : [shell];
  const argv0 = command.length > 0 ? undefined : `-${basename(shell)}`;
  // Listening before the command starts: a signal sent as soon as it runs must not find us without
  // a handler (and so end us). Handlers run on the event loop, so only once `child` is set.
  let child: Subprocess | undefined;
  const forward = (signal: NodeJS.Signals) => {
    if ((signal === 'SIGINT' || signal === 'SIGQUIT') && inForeground()) return; // the terminal sent it to the command too
    try {
      child?.kill(signal);
    } catch {
      // not ours to signal any more (it became another user): it goes on, as it would under a shell
    }
  };
  const stop = () => {
    for (const signal of FORWARDED) process.off(signal, forward);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    child = spawnWith(remedies, file!, args, { ...options, argv0, stdio: options.stdio ?? 'inherit' });
    started?.(child);
  } catch (e) {
    child?.kill('SIGKILL'); // what had to follow its start failed: it does not run on
    stop();
    throw e;
  }
  return child.exited.then(({ code, signal }) => {
    stop();
    return signal === null ? code! : 128 + signalNumber(signal);
  });
}

/** Whether we are in the foreground process group of our terminal (/proc/self/stat: pgrp = tpgid), as the command is. */
function inForeground(): boolean {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp session tty_nr tpgid …
  return fields[2] === fields[5];
}

/** os.constants' number, or N from the 'SIGN' that Subprocess names signals Node does not know (real-time ones). */
function signalNumber(name: NodeJS.Signals): number {
  return constants.signals[name] ?? Number(name.slice(3));
}

/** unshare's --clear-env and --whitelist-env LIST (comma-separated names, the option given any number of times). */
export function environment(clear: boolean | undefined, keep: readonly string[] | undefined): SpawnOptions['env'] {
  if (!clear && keep === undefined) return undefined;
  const names = new Set((keep ?? []).flatMap((list) => list.split(',')));
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => names.has(name)));
}

/** A signal as unshare and nsenter take it: KILL, SIGKILL or 9. */
export function signalArgument(value: string, flag: string): NodeJS.Signals {
  const name = /^\d+$/.test(value)
    ? Object.entries(constants.signals).find(([, n]) => n === Number(value))?.[0]
    : `SIG${value.toUpperCase().replace(/^SIG/, '')}`;
  if (name === undefined || !Object.hasOwn(constants.signals, name) || name === 'SIGSTOP')
    throw new UsageError(`unknown signal '${value}' for ${flag}`);
  return name as NodeJS.Signals;
}
