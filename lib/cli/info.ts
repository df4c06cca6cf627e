// nsbind info PATH|PID: what the kernel tells about a namespace file, or
// about every namespace of a process.
import { NAMESPACE_TYPES } from '../constants.js';
import { describeNamespace } from '../describe.js';
import { nsfsMounts } from '../mountinfo.js';
import { Namespace } from '../namespace.js';
import { userName } from '../users.js';
import { type Command, type Io, parse, pidArgument } from './command.js';
import { json, table } from './format.js';

const usage = `Usage: nsbind info PATH|PID [--json]

Show a namespace file (/proc/PID/ns/TYPE, /run/netns/NAME, any bind mount of
one), or every namespace of process PID: type, inode, NS_GET_ID, the owning
user namespace and its creator's uid, the parent (pid and user namespaces),
where it is bind-mounted, and for mount namespaces their mount count and id.

Options:
  --json      one JSON object (for PID: {"pid": PID, "namespaces": [...]})
  -h, --help  show this help
`;

export const info: Command = {
  usage,
  run(args: string[], io: Io): number {
    const parsed = parse(
      this,
      args,
      io,
      { json: { type: 'boolean', short: 'J' } },
      { min: 1, max: 1, names: 'PATH or PID' },
    );
    if (!parsed) return 0;
    const target = parsed.positionals[0]!;
    const mounts = nsfsMounts();
    if (/^\d+$/.test(target)) {
      const pid = pidArgument(target);
      const entries = processEntries(pid).map((path) => fields(path, mounts));
      io.out(parsed.values.json ? json({ pid, namespaces: entries }) : entriesTable(io, entries));
    } else {
      const entry = fields(target, mounts);
      io.out(parsed.values.json ? json(entry) : keyValues(entry));
    }
    return 0;
  },
};

type Fields = ReturnType<typeof fields>;

/** /proc/PID/ns/TYPE for every type, plus pid_for_children and time_for_children where they differ. */
function processEntries(pid: number): string[] {
  const paths: string[] = [];
  for (const type of NAMESPACE_TYPES) {
    using ns = Namespace.ofPid(pid, type);
    paths.push(ns.path!);
    if (type !== 'pid' && type !== 'time') continue;
    using next = Namespace.ofPid(pid, type, { forChildren: true });
    if (!next.equals(ns)) paths.push(next.path!);
  }
  return paths;
}

function fields(path: string, mounts: ReturnType<typeof nsfsMounts>) {
  using ns = Namespace.open(path);
  const d = describeNamespace(ns);
  return {
    path,
    type: d.type,
    ns: d.inode,
    id: d.id ?? null,
    ons: d.userNamespaceInode ?? null,
    owner_uid: d.ownerUid ?? null,
    owner_user: d.ownerUid === undefined ? null : userName(d.ownerUid),
    pns: d.parentInode ?? null,
    mounts: mounts.get(d.inode)?.targets ?? [],
    nr_mounts: d.mount?.nrMounts ?? null,
    mnt_ns_id: d.mount?.mntNsId ?? null,
  };
}

const LABELS: Record<keyof Fields, string> = {
  path: 'path',
  type: 'type',
  ns: 'inode',
  id: 'id',
  ons: 'owning user ns',
  owner_uid: 'owner uid',
  owner_user: 'owner',
  pns: 'parent ns',
  mounts: 'bind-mounted on',
  nr_mounts: 'mounts inside',
  mnt_ns_id: 'mnt ns id',
};

function keyValues(entry: Fields): string {
  const width = Math.max(...Object.values(LABELS).map((l) => l.length));
  return Object.entries(entry)
    .map(([key, value]) => [LABELS[key as keyof Fields], Array.isArray(value) ? value.join(', ') : value] as const)
    .filter(([, value]) => value !== null && value !== '')
    .map(([label, value]) => `${label.padEnd(width)}  ${String(value)}\n`)
    .join('');
}

function entriesTable(io: Io, entries: Fields[]): string {
  const text = (v: unknown) => (v === null ? '' : String(v));
  const columns = [
    { header: 'TYPE' },
    { header: 'NS', right: true },
    { header: 'ID', right: true },
    { header: 'ONS', right: true },
    { header: 'OWNER' },
    { header: 'PNS', right: true },
    { header: 'PATH', trunc: true },
  ];
  const rows = entries.map((e) => ({
    cells: [
      e.path.slice(e.path.lastIndexOf('/') + 1),
      text(e.ns),
      text(e.id),
      text(e.ons),
      text(e.owner_user),
      text(e.pns),
      e.path,
    ],
  }));
  return table(io, columns, rows);
}
