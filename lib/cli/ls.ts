// nsbind ls: lsns, in-process, with util-linux lsns's options and their
// meaning (its columns, output formats, trees, -Q filter), so a script can
// switch by changing the command name. --json without -o prints lsns -J's
// fields, then more of its columns, the NS_GET_ID id and persistent.
import { isNamespaceType, NAMESPACE_TYPES, type NamespaceType } from '../constants.js';
import { listNamespaces, type NamespaceInfo, processInfo } from '../list.js';
import { userName } from '../users.js';
import { type Command, type Io, parse, pidArgument, UsageError } from './command.js';
import { Filter, type FilterType } from './filter.js';
import { type Column, forest, json, type Row, type Tree, table } from './format.js';
import { NetnsIds } from './netnsid.js';

/** One output line: a namespace, and the process it shows (its lowest pid, or one of its processes). */
interface Line {
  ns: NamespaceInfo;
  proc: Proc | undefined;
  parent?: Line | undefined;
}

interface Proc {
  pid: number;
  ppid: number;
  uid: number;
  user: string;
  command: string;
}

interface LsColumn extends Omit<Column, 'header' | 'tree'> {
  name: string;
  help: string;
  /** lsns's JSON type: also the type its -Q filter compares the column as. */
  json: FilterType;
  /** In the default columns with -t net (lsns adds NETNSID and NSFS). */
  net?: boolean;
  /** The cell, as lsns fills it; undefined when empty. */
  value(line: Line, cells: Cells): string | undefined;
}

/** What the cells of one listing share. */
interface Cells {
  /** Joins NSFS's mount points. */
  separator: string;
  netnsIds: NetnsIds;
}

const text = (n: number | undefined) => (n === undefined ? undefined : String(n));

// lsns's columns, in its order (lsns.c infos[]).
const COLUMNS: readonly LsColumn[] = [
  {
    name: 'NS',
    width: 10,
    right: true,
    json: 'number',
    help: 'namespace identifier (inode number)',
    value: (l) => String(l.ns.inode),
  },
  { name: 'TYPE', width: 5, json: 'string', help: 'kind of namespace', value: (l) => l.ns.type },
  {
    name: 'PATH',
    json: 'string',
    help: 'path to the namespace',
    value: (l) => l.proc && `/proc/${l.proc.pid}/ns/${l.ns.type}`,
  },
  {
    name: 'NPROCS',
    width: 5,
    right: true,
    json: 'number',
    help: 'number of processes in the namespace',
    value: (l) => String(l.ns.nprocs),
  },
  {
    name: 'PID',
    width: 5,
    right: true,
    json: 'number',
    help: 'lowest PID in the namespace',
    value: (l) => text(l.proc?.pid),
  },
  { name: 'PPID', width: 5, right: true, json: 'number', help: 'PPID of the PID', value: (l) => text(l.proc?.ppid) },
  { name: 'COMMAND', trunc: true, json: 'string', help: 'command line of the PID', value: (l) => l.proc?.command },
  {
    name: 'UID',
    right: true,
    json: 'number',
    help: 'UID of the PID',
    value: (l) => text(l.proc ? l.proc.uid : l.ns.uid),
  },
  { name: 'USER', json: 'string', help: 'username of the PID', value: (l) => (l.proc ? l.proc.user : l.ns.user) },
  {
    name: 'NETNSID',
    right: true,
    net: true,
    json: 'string',
    help: 'namespace ID as used by network subsystem',
    value: (l, cells) => cells.netnsIds.of(l.ns),
  },
  {
    name: 'NSFS',
    lines: true,
    net: true,
    json: 'string',
    help: 'nsfs mountpoint (usually used network subsystem)',
    value: (l, cells) => (l.ns.mounts.length > 0 ? [...new Set(l.ns.mounts)].join(cells.separator) : undefined),
  },
  {
    name: 'PNS',
    width: 10,
    right: true,
    json: 'number',
    help: 'parent namespace identifier (inode number)',
    value: (l) => String(l.ns.parentInode ?? 0),
  },
  {
    name: 'ONS',
    width: 10,
    right: true,
    json: 'number',
    help: 'owner namespace identifier (inode number)',
    value: (l) => String(l.ns.userNamespaceInode ?? 0),
  },
];

const TREES = ['owner', 'parent', 'process'] as const;
// the options that take a value, which -T must not be looked for in
const VALUED_SHORT = 'optQ';
const VALUED_LONG = ['--output', '--task', '--pid', '--type', '--filter'];
type TreeKind = (typeof TREES)[number];

const usage = `Usage: nsbind ls [options] [NAMESPACE]

List the namespaces of every process this user may inspect, as lsns(8) does,
with its options, columns and formats. Run as root, also those that no process
is in: kept by a bind mount (NSFS shows where), an open fd or a socket, and
their owners and parents (NPROCS 0; lsns 2.39 and 2.41 list them too). With a
NAMESPACE (an inode), its processes.

Options:
  -J, --json             JSON, nested as the table is (-l: one flat list);
                         without -o: lsns -J's fields, then path, ppid, uid,
                         nsfs, pns, ons, id (NS_GET_ID) and persistent
  -l, --list             a flat list (no tree)
  -n, --noheadings       no header line
  -o, --output LIST      the columns to show (+LIST: added to the default ones)
      --output-all       every column
  -P, --persistent       only namespaces that no process is in
  -p, --task PID         only the namespaces of this process (also --pid)
  -Q, --filter EXPR      only lines for which EXPR holds (lsns 2.41, see below)
  -r, --raw              raw output: one space between cells, blanks as \\x20
  -u, --notruncate       do not truncate COMMAND on a terminal
  -W, --nowrap           NSFS on one line (mount points joined by commas)
  -t, --type TYPE        only this type (${NAMESPACE_TYPES.join(', ')}); repeatable
  -T, --tree[=REL]       a tree by REL: owner (default: under the owning user
                         namespace), parent, or process
  -h, --help             show this help

The default tree is by process (COMMAND nests under its parent's line), as in
lsns. EXPR (libsmartcols' filter syntax): columns, numbers, 'strings', true and
false, compared with == != < <= > >= (eq ne lt le gt ge), =~ and !~ (regular
expression), combined with && || ! (and or not) and parentheses; e.g.
  nsbind ls -Q 'TYPE == "net" && NPROCS > 1'

Columns:
${COLUMNS.map((c) => `  ${c.name.padStart(8)}  ${c.help}`).join('\n')}
`;

export const ls: Command = {
  usage,
  run(args: string[], io: Io): number {
    const tree = treeOption(args);
    const parsed = parse(
      this,
      tree.args,
      io,
      {
        json: { type: 'boolean', short: 'J' },
        list: { type: 'boolean', short: 'l' },
        noheadings: { type: 'boolean', short: 'n' },
        output: { type: 'string', short: 'o', multiple: true },
        'output-all': { type: 'boolean' },
        persistent: { type: 'boolean', short: 'P' },
        task: { type: 'string', short: 'p' },
        pid: { type: 'string' },
        filter: { type: 'string', short: 'Q', multiple: true },
        raw: { type: 'boolean', short: 'r' },
        notruncate: { type: 'boolean', short: 'u' },
        nowrap: { type: 'boolean', short: 'W' },
        type: { type: 'string', short: 't', multiple: true },
      },
      { min: 0, max: 1, names: 'NAMESPACE' },
    );
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    const task = values.task ?? values.pid;
    exclusive([
      [values.json, '--json', values.raw, '--raw'],
      [values.persistent, '--persistent', task, '--task'],
      [values.list, '--list', tree.kind, '--tree'],
      [task, '--task', positionals[0], 'NAMESPACE'],
    ]);
    const options = {
      json: values.json === true,
      raw: values.raw === true,
      noHeadings: values.noheadings === true,
      noTruncate: values.notruncate === true,
      noWrap: values.nowrap === true || values.raw === true,
    };
    const type = types(values.type);
    const inode = positionals[0] === undefined ? undefined : inodeArgument(positionals[0]);
    const pid = task === undefined ? undefined : pidArgument(task);
    // lsns's defaults: a process tree unless --list, unless the columns were all given (--output-all)
    let kind = tree.kind;
    let columns: LsColumn[] | undefined = values['output-all'] ? [...COLUMNS] : undefined;
    if (!columns) {
      const net = type?.includes('net') ? COLUMNS.filter((c) => c.net).map((c) => c.name) : [];
      columns = names(
        inode === undefined
          ? ['NS', 'TYPE', 'NPROCS', 'PID', 'USER', ...net, 'COMMAND']
          : ['PID', 'PPID', 'USER', 'COMMAND'],
      );
      if (!kind && !values.list) kind = 'process';
    } else if (inode !== undefined && !kind && !values.list) kind = 'process';
    const output = values.output?.at(-1);
    if (output !== undefined)
      columns = output.startsWith('+') ? [...columns, ...names(output.slice(1).split(','))] : names(output.split(','));
    const expr = values.filter?.at(-1);
    const filter =
      expr === undefined
        ? undefined
        : new Filter(expr, (name) => {
            const c = byName(name);
            return c && { name: c.name, type: c.json };
          });
    const defaultJson = options.json && output === undefined && !values['output-all'] && inode === undefined;

    const related = kind === 'owner' || kind === 'parent';
    const all = listNamespaces({ type, ancestors: related, pid: related ? undefined : pid });
    const only =
      pid === undefined ? undefined : new Set((related ? listNamespaces({ type, pid }) : all).map((n) => n.inode));
    using netnsIds = new NetnsIds();
    const cells: Cells = { separator: options.noWrap ? ',' : '\n', netnsIds };
    const keep = (line: Line) => !filter || filter.matches((name) => byName(name)!.value(line, cells));
    let lines: Line[];
    if (inode !== undefined) {
      const ns = all.find((n) => n.inode === inode);
      if (!ns) throw new RangeError(`not found namespace: ${inode}`);
      lines = processLines(ns, kind === 'process', keep);
    } else {
      const shown = all.filter((n) => (!only || only.has(n.inode)) && (!values.persistent || n.nprocs === 0));
      lines =
        kind === 'process' || kind === undefined
          ? namespaceLines(shown, kind === 'process', keep)
          : relationLines(all, shown, kind, keep);
    }

    const treeColumn = kind === 'process' ? 'COMMAND' : kind ? 'NS' : undefined;
    const nested = columns.some((c) => c.name === treeColumn);
    if (options.json) {
      const record = (node: Tree<Line>): Record<string, unknown> => ({
        ...Object.fromEntries(columns.map((c) => [c.name.toLowerCase(), jsonValue(c, c.value(node.item, cells))])),
        ...(defaultJson ? extras(node.item, columns, cells) : {}),
        ...(node.children.length > 0 ? { children: node.children.map(record) } : {}),
      });
      const nodes = nested ? forest(lines) : lines.map((item) => ({ item, children: [] }));
      io.out(json({ namespaces: nodes.map(record) }));
      return 0;
    }
    const layout = columns.map(
      (c): Column => ({
        header: c.name,
        width: c.width,
        right: c.right && !(c.name === 'NS' && related),
        trunc: c.trunc && !options.noTruncate,
        lines: c.lines && !options.noWrap,
        tree: c.name === treeColumn,
      }),
    );
    const rows = new Map<Line, Row>();
    for (const line of lines) {
      rows.set(line, {
        cells: columns.map((c) => c.value(line, cells)),
        style: line.ns.persistent ? 'cyan' : undefined, // no process is in it
        parent: line.parent && rows.get(line.parent),
      });
    }
    io.out(table(io, layout, [...rows.values()], options));
    return 0;
  },
};

/** A column by lsns's name, in any case. */
function byName(name: string): LsColumn | undefined {
  const upper = name.toUpperCase();
  return COLUMNS.find((c) => c.name === upper);
}

function names(list: string[]): LsColumn[] {
  return list.map((name) => {
    const column = byName(name);
    if (!column) throw new UsageError(`unknown column '${name}' (${COLUMNS.map((c) => c.name).join(', ')})`);
    return column;
  });
}

function exclusive(pairs: [unknown, string, unknown, string][]): void {
  for (const [a, aName, b, bName] of pairs)
    if (a !== undefined && a !== false && b !== undefined && b !== false)
      throw new UsageError(`${aName} and ${bName} are mutually exclusive`);
}

function types(values: string[] | undefined): NamespaceType[] | undefined {
  for (const t of values ?? []) {
    if (!isNamespaceType(t))
      throw new UsageError(`unknown namespace type '${t}' (one of ${NAMESPACE_TYPES.join(', ')})`);
  }
  return values as NamespaceType[] | undefined;
}

function inodeArgument(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`invalid namespace argument '${value}'`);
  return n;
}

/**
 * -T/--tree[=REL] takes its value only when attached (getopt's optional
 * argument: -Towner, -T=owner, --tree=owner), which util.parseArgs cannot
 * say: taken out of the arguments here, with the value of any option that
 * takes one left in place.
 */
function treeOption(args: string[]): { args: string[]; kind: TreeKind | undefined } {
  let kind: TreeKind | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    let tree: string | undefined;
    if (arg === '--tree' || arg.startsWith('--tree=')) tree = arg.slice(7);
    else if (/^-[^-]/.test(arg)) {
      // a cluster of short options ends at -T or at one that takes a value (the rest, or the next argument)
      const at = [...arg].findIndex((c, j) => j > 0 && (c === 'T' || VALUED_SHORT.includes(c)));
      if (at > 0 && arg[at] === 'T') {
        tree = arg.slice(at + 1);
        if (at > 1) rest.push(arg.slice(0, at));
      } else {
        rest.push(arg);
        if (at === arg.length - 1 && i + 1 < args.length) rest.push(args[++i]!);
      }
    } else {
      rest.push(arg);
      if (VALUED_LONG.includes(arg) && i + 1 < args.length) rest.push(args[++i]!);
    }
    if (tree === undefined) continue;
    const rel = tree.startsWith('=') ? tree.slice(1) : tree || 'owner';
    if (!TREES.includes(rel as TreeKind)) throw new UsageError(`unknown tree type '${rel}' (owner, parent or process)`);
    kind = rel as TreeKind;
  }
  return { args: rest, kind };
}

function processOf(ns: NamespaceInfo): Proc | undefined {
  if (ns.pid === undefined) return undefined;
  return { pid: ns.pid, ppid: ns.ppid!, uid: ns.uid!, user: ns.user!, command: ns.command! };
}

/** One line per namespace; in a process tree, under the last line of its process's parent. */
function namespaceLines(shown: readonly NamespaceInfo[], processTree: boolean, keep: (l: Line) => boolean): Line[] {
  const lastOf = new Map<number, Line>();
  const lines: Line[] = [];
  for (const ns of shown) {
    const proc = processOf(ns);
    const line: Line = { ns, proc, parent: processTree && proc ? lastOf.get(proc.ppid) : undefined };
    if (!keep(line)) continue;
    lines.push(line);
    if (proc) lastOf.set(proc.pid, line);
  }
  return lines;
}

/** lsns --tree=owner|parent: a namespace under its owner (or parent), each shown before what it owns. */
function relationLines(
  all: readonly NamespaceInfo[],
  shown: readonly NamespaceInfo[],
  kind: 'owner' | 'parent',
  keep: (l: Line) => boolean,
): Line[] {
  const byInode = new Map(all.map((n) => [n.inode, n]));
  const lineOf = new Map<number, Line>();
  const lines: Line[] = [];
  const up = (ns: NamespaceInfo) => {
    const owner = byInode.get(ns.userNamespaceInode ?? -1);
    const parent = byInode.get(ns.parentInode ?? -1);
    return kind === 'owner' ? { above: owner, under: owner } : { above: parent ?? owner, under: parent };
  };
  const show = (ns: NamespaceInfo) => {
    const { above, under } = up(ns);
    if (above && !lineOf.has(above.inode)) show(above);
    const line: Line = { ns, proc: processOf(ns), parent: under && lineOf.get(under.inode) };
    if (!keep(line)) return;
    lines.push(line);
    lineOf.set(ns.inode, line);
  };
  for (const ns of shown) if (!lineOf.has(ns.inode)) show(ns);
  return lines;
}

/** lsns NAMESPACE: one line per process in it, each after its parent when that is in it too. */
function processLines(ns: NamespaceInfo, processTree: boolean, keep: (l: Line) => boolean): Line[] {
  const users = new Map<number, string>();
  const procs = new Map<number, Proc>();
  for (const pid of ns.pids) {
    const info = processInfo(pid); // gone since the scan: not in it any more
    if (info) procs.set(pid, { pid, ...info, user: userName(info.uid, users) });
  }
  const lineOf = new Map<number, Line>();
  const lines: Line[] = [];
  const show = (proc: Proc) => {
    const parent = procs.get(proc.ppid);
    if (processTree && parent && !lineOf.has(parent.pid)) show(parent);
    const line: Line = { ns, proc, parent: processTree ? lineOf.get(proc.ppid) : undefined };
    if (!keep(line)) return;
    lines.push(line);
    lineOf.set(proc.pid, line);
  };
  for (const proc of procs.values()) if (!lineOf.has(proc.pid)) show(proc);
  return lines;
}

/** libsmartcols' JSON values: numbers unquoted, null for an empty cell. */
function jsonValue(column: LsColumn, cell: string | undefined): string | number | null {
  if (cell === undefined) return null;
  return column.json === 'number' ? Number(cell) : cell;
}

/** What --json adds to lsns -J's fields when no columns are asked for. */
function extras(line: Line, shown: readonly LsColumn[], cells: Cells): Record<string, unknown> {
  const more = names(['PATH', 'PPID', 'UID', 'NSFS', 'PNS', 'ONS']).filter((c) => !shown.includes(c));
  return {
    ...Object.fromEntries(more.map((c) => [c.name.toLowerCase(), jsonValue(c, c.value(line, cells))])),
    id: line.ns.id ?? null,
    persistent: line.ns.persistent,
  };
}
