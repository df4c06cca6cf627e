// The CLI's plumbing: a command table, dispatch, argument parsing and the
// one-line error report. Commands are modules with a `Command` export.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { NamespaceError } from '../errors.js';

/** Where a command writes, and how the terminal looks. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colour and tables fitted to `columns`: only when stdout is a terminal. */
  tty: boolean;
  columns: number | undefined;
}

/** What a command module exports: its help and what it does. */
export interface Command {
  /** The full --help text. */
  usage: string;
  /** Runs the command; returns the exit status (a promise, for commands that wait for a child). */
  run(args: string[], io: Io): number | Promise<number>;
}

/**
 * A line of a command table. `load` gives the command only when it is the one
 * to run, so that a table entry can import its module then (start-up loads
 * nothing a command does not need).
 */
export interface CommandEntry {
  name: string;
  aliases?: readonly string[];
  /** One line for the command list. */
  summary: string;
  load(): Command | Promise<Command>;
}

/** Bad input: reported as one line, exit status 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;

/**
 * util.parseArgs in strict mode, plus -h/--help (prints the command's usage
 * and returns undefined) and a count of positionals (UsageError outside it).
 */
export function parse<O extends Options>(
  command: Command,
  args: string[],
  io: Io,
  options: O,
  positionals: { min: number; max: number; names: string },
): Parsed<O> | undefined {
  let parsed: Parsed<O>;
  try {
    const all = { ...options, help: { type: 'boolean', short: 'h' } } as O;
    parsed = parseArgs({ args, options: all, strict: true, allowPositionals: true });
  } catch (e) {
    // "Unknown option '--x'. To specify a positional argument …": the first sentence says it
    throw new UsageError(lowerFirst((e as Error).message.split('. ')[0]!));
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.out(command.usage);
    return undefined;
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(`missing ${positionals.names}`);
  if (n > positionals.max) throw new UsageError(`unexpected argument '${parsed.positionals[positionals.max]}'`);
  return parsed;
}

/**
 * For a command that runs another: our options end where that command begins —
 * after `--`, or at the first argument that is neither an option nor an
 * option's value (getopt's "+" mode, as unshare(1) and nsenter(1) parse) — and
 * are parsed as parse() does, with no positionals of our own.
 */
export function parseBeforeCommand<O extends Options>(
  command: Command,
  args: string[],
  io: Io,
  options: O,
): { values: Parsed<O>['values']; command: string[] } | undefined {
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const start = tokens.find((t) => t.kind !== 'option');
  const ours = start ? args.slice(0, start.index) : args;
  const parsed = parse(command, ours, io, options, { min: 0, max: 0, names: '' });
  if (!parsed) return undefined;
  const rest = start ? args.slice(start.kind === 'option-terminator' ? start.index + 1 : start.index) : [];
  return { values: parsed.values, command: rest };
}

/**
 * getopt's optional arguments, which util.parseArgs cannot say: `--net=FILE`
 * gives option `net` a value and a bare `--net` gives it none; with `attached`,
 * so does `-nFILE` (nsenter's short options: the rest of the cluster is the
 * value). Those values are taken out of `args` up to where the command begins,
 * leaving the bare flags; the options that take a value get it as
 * `--name=VALUE`, so that a value starting with '-' stays a value. Options in
 * `pairs` take two (bwrap's `--bind SRC DEST`): `--name=FIRST\0SECOND`, joined
 * by a NUL, which no argument can hold (missing ones leave a bare `--name`).
 */
export function optionalValues(
  args: readonly string[],
  options: Options,
  optional: readonly string[],
  attached = false,
  pairs: readonly string[] = [],
): { args: string[]; values: Map<string, string> } {
  const byShort = new Map(Object.entries(options).map(([name, o]) => [o.short, name]));
  const valued = (name: string | undefined) => name !== undefined && options[name]?.type === 'string';
  const out: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || !arg.startsWith('-') || arg === '-') {
      out.push(...args.slice(i)); // the command (or the -- before it)
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      if (pairs.includes(name)) {
        const first = eq >= 0 ? arg.slice(eq + 1) : args[++i];
        const second = args[++i];
        out.push(first === undefined || second === undefined ? `--${name}` : `--${name}=${first}\0${second}`);
      } else if (eq >= 0 && optional.includes(name)) {
        values.set(name, arg.slice(eq + 1));
        out.push(`--${name}`);
      } else if (eq < 0 && valued(name) && i + 1 < args.length) out.push(`--${name}=${args[++i]}`);
      else out.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const name = byShort.get(arg[j]);
      const rest = arg.slice(j + 1);
      if (name && attached && optional.includes(name)) {
        out.push(`--${name}`);
        if (rest) values.set(name, rest);
        break;
      }
      if (valued(name)) {
        if (rest) out.push(`--${name}=${rest}`);
        else if (i + 1 < args.length) out.push(`--${name}=${args[++i]}`);
        else out.push(`-${arg[j]}`); // its missing value is parse's to report
        break;
      }
      out.push(`-${arg[j]}`);
    }
  }
  return { args: out, values };
}

/** A PID argument: digits, 1 to 2^31-1. */
export function pidArgument(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 0x7fffffff) throw new UsageError(`invalid PID '${value}'`);
  return n;
}

/** Run `args[0]` from `commands`; `prog` is the command line so far ("nsbind", "nsbind netns"). */
export async function dispatch(
  prog: string,
  commands: readonly CommandEntry[],
  args: string[],
  io: Io,
  usage: string,
): Promise<number> {
  const [name, ...rest] = args;
  if (name === '-h' || name === '--help' || name === 'help') {
    io.out(usage);
    return 0;
  }
  if (name === undefined) return fail(prog, new UsageError(`missing command (see '${prog} --help')`), io);
  const entry = commands.find((c) => c.name === name || c.aliases?.includes(name));
  if (!entry) {
    const what = name.startsWith('-') ? 'option' : 'command';
    return fail(prog, new UsageError(`unknown ${what} '${name}' (see '${prog} --help')`), io);
  }
  const command = await entry.load();
  try {
    return await command.run(rest, io);
  } catch (e) {
    return fail(`${prog} ${entry.name}`, e, io);
  }
}

/** The command list for a usage text. */
export function commandList(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
}

/**
 * One clear line on stderr (with the spawn step and the hint, for a failed
 * system call), no stack, and the exit status: see exitStatus().
 */
function fail(prog: string, error: unknown, io: Io): number {
  if (
    error instanceof UsageError ||
    error instanceof NamespaceError ||
    error instanceof TypeError ||
    error instanceof RangeError
  ) {
    const step = error instanceof NamespaceError && error.step ? ` (step ${error.step})` : '';
    const hint = error instanceof NamespaceError && error.hint ? ` — ${lowerFirst(error.hint)}` : '';
    io.err(`${prog}: ${error.message}${step}${hint}\n`);
    return exitStatus(error);
  }
  throw error; // a bug: let Node print it
}

/**
 * 2 for usage errors; for a program that could not be started, 127 when it
 * was not found and 126 otherwise (as shells and util-linux report it); 1 for
 * any other failed system call or rejected argument (TypeError, RangeError).
 */
function exitStatus(error: UsageError | NamespaceError | TypeError | RangeError): number {
  if (error instanceof UsageError) return 2;
  if (error instanceof NamespaceError && error.step === 'exec') return error.code === 'ENOENT' ? 127 : 126;
  return 1;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
