// nsbind ls against util-linux lsns (2.38 here), side by side in one run: the same bytes for every
// format 2.38 has, on namespaces the tests make; what 2.39+ adds (namespaces no process is in,
// --persistent, --filter, fd- and socket-held namespaces) restates util-linux's tests/ts/lsns.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES } from '../../lib/index.js';
import { CLI, nsbind, oneLineError } from '../support/cli.js';
import { type Fixture, fixture, isRoot, itRoot } from '../support/env.js';
import { flatten, foreignSocket, type LsnsTree, lsnsText, lsnsTree, ownInodes } from '../support/lsns.js';
import { netnsName } from '../support/mounts.js';

// a process in a namespace of every type (its parent, unshare, in all but pid and time)
const ALL_NEW = [
  '--user',
  '--map-root-user',
  '--mount',
  '--net',
  '--pid',
  '--fork',
  '--uts',
  '--ipc',
  '--cgroup',
  '--time',
];
const COLUMNS = [
  'NS',
  'TYPE',
  'PATH',
  'NPROCS',
  'PID',
  'PPID',
  'COMMAND',
  'UID',
  'USER',
  'NETNSID',
  'NSFS',
  'PNS',
  'ONS',
];
// what --json adds when no columns are given
const EXTRAS = ['path', 'ppid', 'uid', 'nsfs', 'pns', 'ons', 'id', 'persistent'];

interface JsonRow {
  ns: number;
  type: string;
  [field: string]: unknown;
  children?: JsonRow[];
}

function ls(args: string[], env: Record<string, string> = {}): string {
  const r = nsbind(['ls', ...args], { env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

function json(args: string[]): JsonRow[] {
  return JSON.parse(ls(['--json', ...args])).namespaces;
}

/** lsns and nsbind ls print the same bytes; returns them. */
function same(args: string[]): string {
  const theirs = lsnsText(args);
  expect(ls(args)).toBe(theirs);
  return theirs;
}

// the user the fixtures' processes run as (root, or nobody in the unprivileged pass)
const ME = userInfo().username;

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Output on a terminal of COLUMNS columns (script(1) gives the command a pty; CI=… would mean no colours to Node). */
function onTerminal(argv: string[], columns: number, env: Record<string, string> = {}): string {
  const { CI: _ci, ...outsideCi } = process.env;
  return execFileSync('script', ['-qec', argv.map(quote).join(' '), '/dev/null'], {
    encoding: 'utf8',
    env: { ...outsideCi, COLUMNS: String(columns), ...env },
  });
}

function inodeOf(pid: number, type: string): number {
  return Number(readlinkSync(`/proc/${pid}/ns/${type}`).slice(type.length + 2, -1));
}

/** Rows without the fields nsbind adds to lsns -J's. */
function lsnsFields(rows: JsonRow[]): LsnsTree[] {
  return rows.map(({ children, ...row }) => ({
    ...(Object.fromEntries(Object.entries(row).filter(([k]) => !EXTRAS.includes(k))) as LsnsTree),
    ...(children ? { children: lsnsFields(children) } : {}),
  }));
}

describe('nsbind ls', () => {
  let box: Fixture;
  let pid: string;
  beforeAll(async () => {
    box = await fixture(ALL_NEW);
    pid = String(box.pid);
  });
  afterAll(async () => {
    await box?.stop();
  });

  it("lsns's default table, -l, -n, -r, -u and -W, byte for byte", () => {
    const table = same(['-p', pid]);
    expect(table.split('\n')[0]).toMatch(/^ +NS TYPE +NPROCS +PID USER +COMMAND$/);
    expect(table.trimEnd().split('\n')).toHaveLength(1 + NAMESPACE_TYPES.length);
    expect(table).toMatch(/└─sleep 1000\n/); // the process tree: under its parent's line
    expect(same(['-p', pid, '-l'])).not.toMatch(/└─/);
    expect(same(['-p', pid, '-n']).split('\n')[0]).toMatch(/^\d+ /);
    expect(same(['-p', pid, '-r'])).toMatch(
      new RegExp(`^NS TYPE NPROCS PID USER COMMAND\\n\\d+ \\w+ 2 \\d+ ${ME} unshare\\\\x20--user`),
    );
    same(['-p', pid, '-u']);
    same(['-p', pid, '-W', '-n', '-l']);
  });

  it('-o LIST with any of its columns, in any case, and -o +LIST after the default ones', () => {
    expect(same(['-p', pid, '-o', 'NS,TYPE,PNS,ONS']).split('\n')[0]).toMatch(/^ +NS TYPE +PNS +ONS$/);
    same(['-p', pid, '-o', 'PATH,UID,PPID,COMMAND,USER,NPROCS,PID']);
    same(['-p', pid, '-o', 'ns,type,nsfs']);
    same(['-p', pid, '-o', '+PATH,UID']);
    same(['-p', pid, '-n', '-o', 'NS']); // a right-aligned last column is padded
    same(['-p', pid, '-r', '-o', 'NS,COMMAND,PNS']);
  });

  it('--output-all: every column, as a list', () => {
    expect(ls(['-p', pid, '--output-all'])).toBe(lsnsText(['-p', pid, '-l', '-o', COLUMNS.join(',')]));
    const theirs = flatten(lsnsTree(['-p', pid, '--output-all']));
    const ours = json(['-p', pid, '--output-all']);
    expect(ours.map((r) => Object.keys(r))).toEqual(theirs.map((r) => Object.keys(r)));
    expect(ours.find((r) => r.type === 'net')).toMatchObject({ netnsid: 'unassigned' }); // none given yet
  });

  it('-T/--tree[=owner|parent|process]: the tree lsns draws', () => {
    const columns = ['-o', 'NS,TYPE,PNS,ONS,COMMAND'];
    const owner = same(['-p', pid, '-T', ...columns]);
    expect(owner).toMatch(new RegExp(`^└─${inodeOf(box.pid, 'user')} +user`, 'm'));
    expect(owner).toMatch(new RegExp(`^  ├─${inodeOf(box.pid, 'net')} +net`, 'm'));
    expect(same(['-p', pid, '--tree=owner', ...columns])).toBe(owner);
    expect(same(['-p', pid, '-Towner', ...columns])).toBe(owner);
    const parent = same(['-p', pid, '-Tparent', ...columns]);
    expect(parent).toMatch(new RegExp(`^└─${inodeOf(box.pid, 'pid')} +pid`, 'm'));
    expect(same(['-p', pid, '-nrT', ...columns])).toMatch(/\\xe2\\x94\\x94\\xe2\\x94\\x80/); // raw: the art as bytes
    same(['-p', pid, '-Tprocess']);
    same(['-p', pid, '--tree=process', '-o', 'NS,COMMAND,TYPE']);
  });

  it('a namespace inode: its processes, as a process tree', () => {
    const net = String(inodeOf(box.pid, 'net'));
    const text = same([net]);
    expect(text.split('\n')[0]).toMatch(/^ +PID +PPID USER +COMMAND$/);
    expect(text).toMatch(new RegExp(`^ *${box.outer} .*\\n *${box.pid} +${box.outer} ${ME} +└─sleep 1000\\n$`, 'm'));
    same(['-l', net]);
    same(['-o', 'NS,PID,PATH,COMMAND,NPROCS', net]);
    same(['-r', '-n', net]);
  });

  it('util-linux tests/ts/lsns/ioctl_ns: NS, PNS, ONS of a user and a pid namespace, by inode', () => {
    const [userns, pidns] = [inodeOf(box.pid, 'user'), inodeOf(box.pid, 'pid')];
    const uniq = (text: string) => [...new Set(text.trim().split('\n'))].join('\n');
    const user = same(['--type', 'user', '--noheadings', '--output', 'NS,PNS,ONS', String(userns)]);
    const mine = inodeOf(process.pid, 'user');
    expect(uniq(user)).toBe(`${userns} ${mine} ${mine}`);
    const pidTree = same(['-t', 'pid', '-n', '-o', 'NS,PNS,ONS', String(pidns)]);
    expect(uniq(pidTree)).toBe(`${pidns} ${inodeOf(process.pid, 'pid')} ${userns}`);
  });

  it('-t TYPE; -t net adds NETNSID and NSFS', () => {
    same(['-p', pid, '-t', 'uts', '-t', 'pid']);
    same(['-p', pid, '-t', 'net', '-o', 'NS,TYPE,NSFS']);
    expect(same(['-p', pid, '-t', 'net']).split('\n')[0]!.trim().split(/ +/)).toEqual([
      'NS',
      'TYPE',
      'NPROCS',
      'PID',
      'USER',
      'NETNSID',
      'NSFS',
      'COMMAND',
    ]);
    same(['-p', pid, '-o', 'NS,TYPE,NETNSID']); // empty for the other types
  });

  it("--json: nested as lsns -J nests it (flat with --list), lsns's fields and value types, then nsbind's", () => {
    const ours = json(['-p', pid]);
    expect(lsnsFields(ours)).toEqual(lsnsTree(['-p', pid]));
    expect(ours.some((r) => (r.children?.length ?? 0) > 0)).toBe(true);
    const flat = json(['-p', pid, '--list']);
    expect(lsnsFields(flat)).toEqual(lsnsTree(['-p', pid, '--list']));
    expect(flat.every((r) => r.children === undefined)).toBe(true);
    for (const r of flat) {
      expect(Object.keys(r)).toEqual(['ns', 'type', 'nprocs', 'pid', 'user', 'command', ...EXTRAS]);
      expect(r).toMatchObject({ nprocs: expect.any(Number), pid: expect.any(Number), pns: expect.any(Number) });
      expect(r.id).toBeTypeOf('number');
      expect(r.persistent).toBe(false);
    }
    // the columns asked for, exactly, and a tree only where lsns has one (a COMMAND column)
    const columns = ['-o', 'NS,TYPE,PATH,NPROCS,PID,PPID,UID,USER,NSFS,PNS,ONS'];
    expect(json(['-p', pid, ...columns])).toEqual(lsnsTree(['-p', pid, ...columns]));
    expect(json(['-p', pid, '-T', '-o', 'NS,TYPE,PNS'])).toEqual(lsnsTree(['-p', pid, '-T', '-o', 'NS,TYPE,PNS']));
    expect(json([String(inodeOf(box.pid, 'net'))])).toEqual(lsnsTree([String(inodeOf(box.pid, 'net'))]));
  });

  it('on a terminal: COMMAND cut to its width (not with -u), as lsns cuts it', () => {
    for (const args of [
      ['-p', pid],
      ['-p', pid, '-u'],
      ['-p', pid, '-T', '-o', 'NS,TYPE,COMMAND'],
    ]) {
      for (const columns of [40, 70]) {
        const theirs = onTerminal(['lsns', ...args], columns);
        expect(onTerminal([process.execPath, CLI, 'ls', ...args], columns, { NO_COLOR: '1' })).toBe(theirs);
      }
    }
    const narrow = onTerminal(['lsns', '-p', pid], 70).split('\r\n');
    expect(narrow[1]!.length).toBe(70); // truncated…
    expect(onTerminal(['lsns', '-p', pid, '-u'], 70).split('\r\n')[1]!.length).toBeGreaterThan(70); // …or not
  });

  it('commands with tabs, wide characters and backslashes: encoded as lsns encodes them', async () => {
    const args = [
      '--user',
      '--map-root-user',
      '--uts',
      'sh',
      '-c',
      'echo ready; read x; :',
      'tab\there',
      'üñ 中文',
      'a\\x41 \\b',
    ];
    const odd = spawn('unshare', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => odd.once('exit', resolve));
    try {
      await new Promise((resolve) => odd.stdout.once('data', resolve));
      const p = String(odd.pid);
      expect(same(['-p', p, '-t', 'uts', '-o', 'NS,COMMAND,TYPE'])).toContain('tab\\x09here üñ 中文 a\\x5cx41 \\b');
      expect(same(['-p', p, '-t', 'uts', '-r', '-o', 'NS,COMMAND'])).toContain(
        'tab\\x09here\\x20\\xc3\\xbc\\xc3\\xb1\\x20\\xe4\\xb8\\xad',
      );
      expect(json(['-p', p, '-t', 'uts', '-o', 'COMMAND'])[0]!.command).toBe(
        `sh -c echo ready; read x; : ${args.slice(6).join(' ')}`,
      );
    } finally {
      odd.stdin.end(); // read sees EOF: no process of its own is left behind
      await exited;
    }
  });

  it('-Q/--filter: lines for which the expression holds (util-linux tests/ts/lsns/filter)', () => {
    const pidns = inodeOf(box.pid, 'pid');
    for (const opt of ['-Q', '--filter'])
      expect(ls(['-n', '--raw', '-o', 'PID', opt, `NS == ${pidns} && NPROCS == 1`])).toBe(`${box.pid}\n`);
    // the same lines as -t net, filtered on a column it does not show
    const net = ['-p', pid, '-n', '-r', '-o', 'NS,PID'];
    expect(ls([...net, '-Q', 'TYPE == "net"'])).toBe(lsnsText([...net, '-t', 'net']));
    expect(ls([...net, '-Q', 'type eq "net" or type eq "uts"'])).toBe(lsnsText([...net, '-t', 'net', '-t', 'uts']));
    expect(ls([...net, '-Q', `NPROCS == 1 && !(TYPE =~ "^t")`])).toBe(lsnsText([...net, '-t', 'pid']));
    expect(ls(['-p', pid, '-Q', 'NS == 1'])).toBe(''); // nothing at all, as lsns prints for no lines
    expect(oneLineError(nsbind(['ls', '-Q', 'NOPE == 1']))).toMatch(
      /^nsbind ls: failed to parse "NOPE == 1": unknown column 'NOPE'$/,
    );
    expect(oneLineError(nsbind(['ls', '-Q', 'NS ==']))).toMatch(/syntax error, unexpected end of expression$/);
    expect(nsbind(['ls', '-Q', 'NS ==']).status).toBe(2);
  });

  it('bad options: one line, exit 2 (lsns exits 1 for these)', () => {
    const cases: [string[], RegExp][] = [
      [['-o', 'NS,NOPE'], /^nsbind ls: unknown column 'NOPE'/],
      [['-Tsideways'], /^nsbind ls: unknown tree type 'sideways'/],
      [['-J', '-r'], /^nsbind ls: --json and --raw are mutually exclusive$/],
      [['-l', '-T'], /^nsbind ls: --list and --tree are mutually exclusive$/],
      [['-P', '-p', '1'], /^nsbind ls: --persistent and --task are mutually exclusive$/],
      [['-p', '1', '4026531837'], /^nsbind ls: --task and NAMESPACE are mutually exclusive$/],
      [['-t', 'network'], /^nsbind ls: unknown namespace type 'network'/],
      [['12x'], /^nsbind ls: invalid namespace argument '12x'$/],
      [['1', '2'], /^nsbind ls: unexpected argument '2'$/],
    ];
    for (const [args, message] of cases) {
      const r = nsbind(['ls', ...args]);
      expect(oneLineError(r)).toMatch(message);
      expect(r.status).toBe(2);
    }
    const missing = nsbind(['ls', '1']);
    expect(oneLineError(missing)).toBe('nsbind ls: not found namespace: 1');
    expect(missing.status).toBe(1);
  });

  it('--help: lsns options and columns', () => {
    const help = ls(['--help']);
    for (const opt of [
      '--json',
      '--list',
      '--noheadings',
      '--output LIST',
      '--output-all',
      '--persistent',
      '--task PID',
    ])
      expect(help).toContain(opt);
    for (const opt of ['--filter EXPR', '--raw', '--notruncate', '--nowrap', '--type TYPE', '--tree[=REL]'])
      expect(help).toContain(opt);
    for (const column of COLUMNS) expect(help).toMatch(new RegExp(`^ +${column}  `, 'm'));
  });

  it('-t and -p filter like lsns', () => {
    expect(new Set(json(['-t', 'net', '-t', 'uts']).map((r) => r.type))).toEqual(new Set(['net', 'uts']));
    const rows = flatten(json(['-p', pid]));
    expect(rows.map((r) => r.type).sort()).toEqual([...NAMESPACE_TYPES].sort());
    for (const r of rows) expect(`${r.type}:[${r.ns}]`).toBe(readlinkSync(`/proc/${box.pid}/ns/${r.type}`));
    expect(rows.map((r) => r.ns).sort()).toEqual(ownInodes(box.pid));
  });

  it('a process that does not exist: one line, exit 1', () => {
    const r = nsbind(['ls', '-p', '2147483647']);
    expect(oneLineError(r)).toMatch(/^nsbind ls: ENOENT: no such file or directory, stat '\/proc\/2147483647\/ns\//);
    expect(r.status).toBe(1);
  });

  itRoot('a process it may not inspect: EACCES in one line (PID 1 here)', (ctx) => {
    try {
      readlinkSync('/proc/1/ns/net');
      ctx.skip('PID 1 is readable on this machine');
    } catch {
      // unreadable, as expected here
    }
    expect(oneLineError(nsbind(['ls', '-p', '1']))).toMatch(
      /^nsbind ls: EACCES: permission denied, stat '\/proc\/1\/ns\/\w+' — reading another process/,
    );
  });

  it('as nobody: lists what nobody may see, without errors', () => {
    const r = nsbind(['ls', '--json'], { asNobody: isRoot });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).namespaces.length).toBeGreaterThan(0);
  });

  describe('as root: NSFS, and namespaces no process is in', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'nsbind-ls-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    itRoot('NSFS: every bind mount of a namespace, one per line (one line with -W and -r), as lsns', () => {
      const targets = ['a', 'b'].map((n) => join(dir, n));
      for (const target of targets) {
        writeFileSync(target, '');
        execFileSync('mount', ['--bind', `/proc/${box.pid}/ns/net`, target]);
      }
      try {
        const text = same(['-p', pid, '-o', 'NS,NSFS,TYPE']);
        expect(text).toMatch(new RegExp(`^${inodeOf(box.pid, 'net')} ${targets[0]} net\\n {11}${targets[1]} \\n`, 'm'));
        expect(same(['-p', pid, '-o', 'NS,NSFS,TYPE', '-W'])).toContain(`${targets[0]},${targets[1]}`);
        same(['-p', pid, '-o', 'NS,NSFS,TYPE', '-r']);
        same(['-p', pid, '-T', '-o', 'NS,NSFS,TYPE,COMMAND']); // the tree continues on the extra line
        expect(json(['-p', pid, '-o', 'NS,NSFS'])).toEqual(lsnsTree(['-p', pid, '-o', 'NS,NSFS']));
        expect(json(['-p', pid, '-o', 'NS,NSFS', '-W'])).toEqual(lsnsTree(['-p', pid, '-o', 'NS,NSFS', '-W']));
      } finally {
        for (const target of targets) spawnSync('umount', [target]);
      }
    });

    itRoot(
      'util-linux tests/ts/lsns/filedesc: a namespace only another process’s fd keeps is "net 0 root"',
      async () => {
        const name = netnsName();
        execFileSync('ip', ['netns', 'add', name]);
        const holder = spawn('sh', ['-c', `exec 4< /run/netns/${name}; echo ready; exec sleep 1000`], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const exited = new Promise((resolve) => holder.once('exit', resolve));
        try {
          await new Promise((resolve) => holder.stdout.once('data', resolve));
          execFileSync('ip', ['netns', 'delete', name]); // no bind mount left: only the fd
          const inode = statSync(`/proc/${holder.pid}/fd/4`).ino;
          expect(ls(['--noheadings', '--raw', '--output', 'TYPE,NPROCS,USER', '-Q', `NS == ${inode}`])).toBe(
            'net 0 root\n',
          );
          expect(ls(['-n', '-r', '-o', 'NS', '--persistent', '-Q', `NS == ${inode}`])).toBe(`${inode}\n`);
        } finally {
          holder.kill('SIGKILL');
          await exited;
          spawnSync('ip', ['netns', 'delete', name]);
        }
      },
    );

    itRoot('util-linux tests/ts/lsns/netns-from-sock: a network namespace only a socket keeps', async () => {
      const held = await foreignSocket();
      try {
        const expected = { NS: String(held.inode), TYPE: 'net', NPROCS: '0', PID: '', USER: 'root', COMMAND: '' };
        for (const [column, value] of Object.entries(expected))
          expect(ls(['--noheadings', '--raw', '--output', column, '--filter', `NS == ${held.inode}`])).toBe(
            `${value}\n`,
          );
        // --persistent: it, not the namespaces of processes; on a terminal in colour
        const persistent = ls(['-P', '-n', '-r', '-o', 'NS,NPROCS']);
        expect(persistent).toContain(`${held.inode} 0\n`);
        expect(persistent).not.toMatch(/ [1-9]\d*$/m);
        const coloured = onTerminal([process.execPath, CLI, 'ls', '-t', 'net'], 200);
        expect(coloured).toMatch(new RegExp(`\\x1b\\[36m${held.inode} net +0 .*\\x1b\\[39m`));
      } finally {
        await held.stop();
      }
    });

    itRoot('util-linux tests/ts/lsns/netnsid: the NETNSID of a process’s namespace is ip’s link-netnsid', async () => {
      const name = netnsName();
      const veth = `nsbl${process.pid % 100000}`;
      execFileSync('ip', ['netns', 'add', name]);
      const inside = spawn('ip', ['netns', 'exec', name, 'sh', '-c', 'echo ready; exec sleep 1000'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => inside.once('exit', resolve));
      try {
        // a veth peer over there: the kernel gives the namespace an id here
        execFileSync('ip', ['link', 'add', 'name', `${veth}a`, 'type', 'veth', 'peer', 'name', `${veth}b`]);
        execFileSync('ip', ['link', 'set', `${veth}b`, 'netns', name]);
        await new Promise((resolve) => inside.stdout.once('data', resolve));
        // ip shows link-netnsid, or (when it knows the name) link-netns NAME and the id in list-id
        const link = execFileSync('ip', ['-o', 'link', 'show', 'dev', `${veth}a`], { encoding: 'utf8' });
        const listId = execFileSync('ip', ['netns', 'list-id'], { encoding: 'utf8' });
        const id = (/link-netnsid (\d+)/.exec(link) ??
          new RegExp(`nsid (\\d+) \\(iproute2 netns name: ${name}\\)`).exec(listId))![1]!;
        const task = String(inside.pid);
        expect(ls(['-n', '-o', 'NETNSID', '--type', 'net', '--task', task]).trim()).toBe(id);
        same(['-o', 'NS,NETNSID,NSFS', '--type', 'net', '--task', task]);
        same(['--output', '+NETNSID,NSFS', '--type', 'net', '--task', task]);
        const columns = ['-o', 'NS,NETNSID', '--type', 'net', '--task', task];
        expect(json(columns)).toEqual(lsnsTree(columns));
      } finally {
        inside.kill('SIGKILL');
        await exited;
        spawnSync('ip', ['link', 'delete', `${veth}a`]);
        spawnSync('ip', ['netns', 'delete', name]);
      }
    });

    itRoot('util-linux tests/ts/lsns/netnsid-for-persistent-namespaces: no process in it, found by NETNSID', () => {
      const name = netnsName();
      const id = String(1000 + (process.pid % 100000));
      execFileSync('ip', ['netns', 'add', name]);
      try {
        execFileSync('ip', ['netns', 'set', name, id]);
        const column = (c: string) =>
          ls(['--raw', '--noheadings', '--filter', `NETNSID == '${id}'`, '--output', c]).trim();
        expect(column('NETNSID')).toBe(id);
        expect(column('TYPE')).toBe('net');
        expect(column('NSFS')).toBe(`/run/netns/${name}`);
        expect(json(['-o', 'NETNSID,NSFS', '-t', 'net'])).toContainEqual({ netnsid: id, nsfs: `/run/netns/${name}` });
      } finally {
        spawnSync('ip', ['netns', 'delete', name]);
      }
    });
  });
});
