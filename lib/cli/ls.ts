// nsbind ls: lsns, in-process. --json prints lsns -J's fields with its names
// and values (one flat list, as lsns --list -J), then more of lsns's columns.
import { isNamespaceType, NAMESPACE_TYPES, type NamespaceType } from '../constants.js';
import { listNamespaces, type NamespaceInfo } from '../list.js';
import { type Command, type Io, parse, pidArgument, UsageError } from './command.js';
import { type Column, json, type Row, table } from './format.js';

const usage = `Usage: nsbind ls [--json] [-t TYPE]... [-p PID] [--tree]

List the namespaces of every process this user may inspect (like lsns), and
the namespaces kept alive only by a bind mount (NPROCS 0, NSFS shows where).

Options:
  -J, --json       lsns -J's fields (ns, type, nprocs, pid, user, command), then
                   path, ppid, uid, nsfs, pns, ons, id and persistent
  -t, --type TYPE  only this type (${NAMESPACE_TYPES.join(', ')}); repeatable
  -p, --pid PID    only the namespaces of this process
  -T, --tree       nest namespaces under their owning user namespace
                   (user namespaces under their parent); JSON: "children"
  -h, --help       show this help
`;

export const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  summary: 'list namespaces, like lsns',
  usage,
  run(args: string[], io: Io): number {
    const parsed = parse(
      this,
      args,
      io,
      {
        json: { type: 'boolean', short: 'J' },
        type: { type: 'string', short: 't', multiple: true },
        pid: { type: 'string', short: 'p' },
        tree: { type: 'boolean', short: 'T' },
      },
      { min: 0, max: 0, names: '' },
    );
    if (!parsed) return 0;
    const { values } = parsed;
    const rows = listNamespaces({
      type: types(values.type),
      pid: values.pid === undefined ? undefined : pidArgument(values.pid),
    });
    const nodes = values.tree ? forest(rows) : rows.map((row) => ({ row, children: [] }));
    io.out(values.json ? json({ namespaces: nodes.map(record) }) : render(io, nodes));
    return 0;
  },
};

interface Node {
  row: NamespaceInfo;
  children: Node[];
}

function types(values: string[] | undefined): NamespaceType[] | undefined {
  for (const t of values ?? []) {
    if (!isNamespaceType(t))
      throw new UsageError(`unknown namespace type '${t}' (one of ${NAMESPACE_TYPES.join(', ')})`);
  }
  return values as NamespaceType[] | undefined;
}

/** Owner tree: a user namespace under its parent, anything else under its owning user namespace. */
function forest(rows: readonly NamespaceInfo[]): Node[] {
  const nodes = new Map(rows.map((row) => [row.inode, { row, children: [] as Node[] }]));
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const up = node.row.type === 'user' ? node.row.parentInode : node.row.userNamespaceInode;
    (nodes.get(up ?? -1)?.children ?? roots).push(node);
  }
  return roots;
}

/** lsns's column names and value conventions (null for none; 0 for no parent or owner). */
function record({ row, children }: Node): Record<string, unknown> {
  return {
    ns: row.inode,
    type: row.type,
    nprocs: row.nprocs,
    pid: row.pid ?? null,
    user: row.user ?? null,
    command: row.command ?? null,
    path: row.pid === undefined ? (row.mounts[0] ?? null) : `/proc/${row.pid}/ns/${row.type}`,
    ppid: row.ppid ?? null,
    uid: row.uid ?? null,
    nsfs: row.mounts.length > 0 ? row.mounts.join('\n') : null,
    pns: row.parentInode ?? 0,
    ons: row.userNamespaceInode ?? 0,
    id: row.id ?? null,
    persistent: row.persistent,
    ...(children.length > 0 ? { children: children.map(record) } : {}),
  };
}

function render(io: Io, roots: readonly Node[]): string {
  const lines = flatten(roots, '', true);
  const withMounts = lines.some(([, row]) => row.mounts.length > 0);
  const tree = roots.some((n) => n.children.length > 0);
  const columns: Column[] = [
    { header: 'NS', right: !tree }, // a tree reads left-aligned
    { header: 'TYPE' },
    { header: 'NPROCS', right: true },
    { header: 'PID', right: true },
    { header: 'USER' },
    ...(withMounts ? [{ header: 'NSFS' }] : []),
    { header: 'COMMAND' },
  ];
  const rows = lines.map(
    ([prefix, row]): Row => ({
      cells: [
        `${prefix}${row.inode}`,
        row.type,
        String(row.nprocs),
        row.pid === undefined ? '' : String(row.pid),
        row.user ?? '',
        ...(withMounts ? [row.mounts.join(',')] : []),
        row.command ?? '',
      ],
      style: row.persistent ? 'cyan' : undefined, // kept alive by a bind mount only
    }),
  );
  return table(io, columns, rows);
}

/** Depth-first, with lsns-style tree glyphs before every nested row. */
function flatten(nodes: readonly Node[], indent: string, top: boolean): [string, NamespaceInfo][] {
  return nodes.flatMap((node, i) => {
    const last = i === nodes.length - 1;
    const prefix = top ? '' : `${indent}${last ? '└─' : '├─'}`;
    const below = top ? '' : `${indent}${last ? '  ' : '│ '}`;
    return [[prefix, node.row] as [string, NamespaceInfo], ...flatten(node.children, below, false)];
  });
}
