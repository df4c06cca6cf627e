import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES } from '../../lib/index.js';
import { nsbind, oneLineError } from '../support/cli.js';
import { type Fixture, fixture, isRoot, itRoot } from '../support/env.js';
import { lsns, ownInodes } from '../support/lsns.js';

const LSNS_FIELDS = ['ns', 'type', 'nprocs', 'pid', 'user', 'command'];

interface JsonRow {
  ns: number;
  type: string;
  [field: string]: unknown;
  children?: JsonRow[];
}

function json(args: string[]): JsonRow[] {
  const r = nsbind(['ls', '--json', ...args]);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout).namespaces;
}

function pick(row: Record<string, unknown>, fields: string[]) {
  return Object.fromEntries(fields.map((f) => [f, row[f]]));
}

describe('nsbind ls', () => {
  let box: Fixture;
  beforeAll(async () => {
    box = await fixture(['--user', '--map-root-user', '--net', '--uts']);
  });
  afterAll(async () => {
    await box?.stop();
  });

  it("--json: lsns -J's fields first, with the same names and values, on a util-linux fixture", () => {
    const inodes = ownInodes(box.pid);
    const theirs = lsns().filter((r) => inodes.includes(r.ns));
    const ours = json([]).filter((r) => inodes.includes(r.ns));
    expect(ours.map((r) => Object.keys(r).slice(0, LSNS_FIELDS.length))).toEqual(ours.map(() => LSNS_FIELDS));
    expect(ours.map((r) => pick(r, LSNS_FIELDS))).toEqual(theirs);
    expect(ours).toHaveLength(3); // user, net, uts
    // more of lsns's columns, under its names
    const more = lsns(['-o', 'NS,PATH,PPID,UID,NSFS,PNS,ONS']).filter((r) => inodes.includes(r.ns));
    expect(ours.map((r) => pick(r, ['ns', 'path', 'ppid', 'uid', 'nsfs', 'pns', 'ons']))).toEqual(more);
  });

  it('-t and -p filter like lsns', () => {
    expect(new Set(json(['-t', 'net', '-t', 'uts']).map((r) => r.type))).toEqual(new Set(['net', 'uts']));
    const rows = json(['-p', String(box.pid)]);
    expect(rows.map((r) => r.type).sort()).toEqual([...NAMESPACE_TYPES].sort());
    for (const r of rows) expect(`${r.type}:[${r.ns}]`).toBe(readlinkSync(`/proc/${box.pid}/ns/${r.type}`));
  });

  it('--tree: namespaces nest under the user namespace that owns them', () => {
    const [user, net, uts] = ['user', 'net', 'uts'].map((t) =>
      Number(readlinkSync(`/proc/${box.pid}/ns/${t}`).slice(t.length + 2, -1)),
    );
    const find = (rows: JsonRow[], ns: number): JsonRow | undefined => {
      for (const r of rows) {
        const hit = r.ns === ns ? r : find(r.children ?? [], ns);
        if (hit) return hit;
      }
      return undefined;
    };
    const tree = json(['--tree']);
    const owner = find(tree, user)!;
    expect(owner.children!.map((c) => c.ns).sort()).toEqual([net, uts].sort());
    const text = nsbind(['ls', '-T']).stdout;
    expect(text).toMatch(new RegExp(`^[│ ]*[├└]─${net} +net `, 'm'));
  });

  it("the table: lsns's columns, one row per namespace", () => {
    const r = nsbind(['ls', '-p', String(box.pid)]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ +NS TYPE +NPROCS +PID USER +COMMAND$/);
    expect(lines).toHaveLength(1 + NAMESPACE_TYPES.length);
    const net = Number(readlinkSync(`/proc/${box.pid}/ns/net`).slice(5, -1));
    expect(lines.find((l) => l.trimStart().startsWith(`${net} `))).toMatch(
      new RegExp(`^${net} net +1 +${box.pid} \\S+ +sleep 1000$`),
    );
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
});
