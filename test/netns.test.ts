import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listNamespaces, Namespace, type NamespaceError, netns, persist, withNamespaces } from '../lib/index.js';
import { isRoot, itRoot, runNode, threadNamespaces, thrown } from './support/env.js';
import { freshNetnsNames, ipNetnsList, mountsUnder, removeScratch, scratchDir } from './support/mounts.js';

const fresh = freshNetnsNames();

describe('netns: named network namespaces shared with iproute2', () => {
  it('names are checked as iproute2 checks them, before any syscall', () => {
    for (const bad of ['', '.', '..', 'a/b', '/abs', 'x\0y', 'n'.repeat(256), 'é'.repeat(128)]) {
      expect(() => netns.path(bad)).toThrow(RangeError);
      expect(() => netns.create(bad)).toThrow(RangeError);
      expect(() => netns.open(bad)).toThrow(RangeError);
      expect(() => netns.remove(bad)).toThrow(RangeError);
    }
    expect(() => netns.path(42 as never)).toThrow(TypeError);
    expect(netns.path('n'.repeat(255))).toBe(`/run/netns/${'n'.repeat(255)}`);
    expect(netns.path('..a')).toBe('/run/netns/..a'); // iproute2 only refuses exactly '.' and '..'
    expect(netns.directory()).toBe('/run/netns');
  });

  it('an unknown name: ENOENT with a hint, for open and remove', () => {
    const name = fresh();
    for (const e of [thrown(() => netns.open(name)), thrown(() => netns.remove(name))]) {
      expect(e.code).toBe('ENOENT');
      expect(e.path).toBe(`/run/netns/${name}`);
      expect(e.hint).toBe(`There is no network namespace named "${name}".`);
    }
    expect(netns.list()).not.toContain(name);
  });

  itRoot('open: a FIFO planted under a name fails at once (EINVAL), and remove takes the name away', () => {
    const name = fresh();
    mkdirSync(netns.directory(), { recursive: true });
    execFileSync('mkfifo', [netns.path(name)]);
    const out = runNode(
      `const { netns } = require(process.env.NSBIND);
      try { netns.open(${JSON.stringify(name)}); console.log('opened'); } catch (e) { console.log(e.code, e.syscall); }`,
      { seconds: 10 },
    );
    expect(out.trim()).toBe('EINVAL open');
    netns.remove(name);
    expect(existsSync(netns.path(name))).toBe(false);
  });

  itRoot('remove: a symlink planted under a name is removed, never followed (its target stays mounted)', () => {
    const name = fresh();
    const dir = scratchDir('netns-link');
    try {
      const decoy = join(dir, 'decoy');
      writeFileSync(decoy, '');
      writeFileSync(`${decoy}.src`, 'decoy');
      execFileSync('mount', ['--bind', `${decoy}.src`, decoy]);
      const keptName = fresh();
      using kept = netns.create(keptName); // a namespace mounted under another name: a link to it is not followed either
      const linkTo = (target: string) => symlinkSync(target, netns.path(name));
      linkTo(decoy);
      netns.remove(name);
      expect(lstatSync(netns.path(name), { throwIfNoEntry: false })).toBeUndefined();
      expect(mountsUnder(decoy)).toEqual([decoy]);
      linkTo(netns.path(keptName));
      netns.remove(name);
      expect(lstatSync(netns.path(name), { throwIfNoEntry: false })).toBeUndefined();
      using again = Namespace.open(netns.path(keptName));
      expect(again.equals(kept)).toBe(true);
    } finally {
      removeScratch(dir);
    }
  });

  itRoot(
    'race: the name swapped for a symlink to a decoy mount while create and remove run: the decoy is never touched',
    async () => {
      const dir = scratchDir('netns-race');
      const name = fresh();
      try {
        const decoy = join(dir, 'decoy');
        writeFileSync(decoy, '');
        writeFileSync(`${decoy}.src`, 'decoy');
        execFileSync('mount', ['--bind', `${decoy}.src`, decoy]);
        const file = netns.path(name);
        // replaces whatever is under the name by a symlink to the decoy, in a loop
        const script = `const fs = require('fs');
          const [file, decoy] = process.argv.slice(1);
          console.log('ready');
          for (;;) { try { fs.symlinkSync(decoy, file + '.new'); fs.renameSync(file + '.new', file); } catch {} }`;
        const racer = spawn(process.execPath, ['-e', script, file, decoy], { stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise((r) => racer.stdout.once('data', r));
        const codes = new Set<string>();
        try {
          for (let round = 0; round < 300; round++) {
            for (const call of [() => netns.create(name).close(), () => netns.remove(name)]) {
              try {
                call();
              } catch (e) {
                codes.add((e as NamespaceError).code);
              }
            }
            expect(mountsUnder(decoy), `round ${round}`).toEqual([decoy]);
            expect(readFileSync(decoy, 'utf8')).toBe('decoy');
          }
        } finally {
          racer.kill('SIGKILL');
          await new Promise((r) => racer.once('exit', r));
        }
        for (const f of [file, `${file}.new`]) spawnSync('umount', ['-l', f]);
        rmSync(`${file}.new`, { force: true });
        // what create and remove answered while racing: the name taken (EEXIST), or already gone
        for (const code of codes) expect(['EEXIST', 'ENOENT', 'EBUSY']).toContain(code);
      } finally {
        removeScratch(dir);
      }
    },
    120_000,
  );

  itRoot('create: a new network namespace that ip netns lists and enters; no thread of ours moves', () => {
    const name = fresh();
    const before = threadNamespaces('net');
    using home = Namespace.current('net');
    using ns = netns.create(name);
    const after = threadNamespaces('net');
    for (const [tid, inode] of after) {
      if (before.has(tid)) expect(inode).toBe(before.get(tid));
      expect(inode).toBe(home.inode); // every thread, old or new, is still at home
    }
    expect(ns.type).toBe('net');
    expect(ns.equals(home)).toBe(false);
    expect(statSync(`/run/netns/${name}`).ino).toBe(ns.inode);

    expect(ipNetnsList()).toContain(name);
    expect(netns.list()).toContain(name);
    const inside = execFileSync(
      'ip',
      ['netns', 'exec', name, 'sh', '-c', 'readlink /proc/self/ns/net; ip -o link show'],
      { encoding: 'utf8' },
    );
    expect(inside.split('\n')[0]).toBe(`net:[${ns.inode}]`);
    expect(inside).toMatch(/^1: lo:/m);
    expect(inside.trim().split('\n')).toHaveLength(2); // a fresh namespace: lo only

    // iproute2's layout: /run/netns a shared mount point, the name an nsfs mount
    const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    expect(mountinfo.find((l) => l.split(' ')[4] === '/run/netns')).toMatch(/ shared:\d+/);
    expect(listNamespaces({ type: 'net' }).find((n) => n.inode === ns.inode)).toMatchObject({
      persistent: true,
      nprocs: 0,
      mounts: [`/run/netns/${name}`],
    });

    netns.remove(name);
    expect(ipNetnsList()).not.toContain(name);
    expect(existsSync(`/run/netns/${name}`)).toBe(false);
    expect(ns.id()).toBeTypeOf('bigint'); // our handle still keeps it alive
  });

  itRoot('create twice: EEXIST with a hint, and the first one stays', () => {
    const name = fresh();
    using first = netns.create(name);
    const e = thrown(() => netns.create(name));
    expect(e).toMatchObject({ code: 'EEXIST', syscall: 'open', path: `/run/netns/${name}` });
    expect(e.hint).toMatch(/already exists/);
    expect(statSync(`/run/netns/${name}`).ino).toBe(first.inode);
  });

  itRoot('a name made by ip netns add: open, use, list, remove', () => {
    const name = fresh();
    execFileSync('ip', ['netns', 'add', name]);
    expect(netns.list()).toContain(name);
    using ns = netns.open(name);
    expect(ns.type).toBe('net');
    expect(ns.inode).toBe(statSync(`/run/netns/${name}`).ino);
    expect(withNamespaces({ net: ns }, () => readlinkSync('/proc/thread-self/ns/net'))).toBe(`net:[${ns.inode}]`);
    netns.remove(name);
    expect(ipNetnsList()).not.toContain(name);
  });

  itRoot('open refuses a name that holds another type of namespace', () => {
    const name = fresh();
    using uts = Namespace.current('uts');
    mkdirSync(netns.directory(), { recursive: true });
    persist(uts, netns.path(name));
    const e = thrown(() => netns.open(name));
    expect(e.code).toBe('EINVAL');
    expect(e.hint).toMatch(/holds a uts namespace, not a network namespace/);
  });

  it('unprivileged: create fails with a typed error and leaves no name behind', () => {
    const name = fresh();
    const out = JSON.parse(
      runNode(
        `const { netns } = require(process.env.NSBIND);
      try { netns.create('${name}').close(); console.log('{}'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code })); }`,
        { asNobody: isRoot },
      ),
    );
    expect(out.name).toBe('NamespaceError');
    expect(['EACCES', 'EPERM']).toContain(out.code);
    expect(netns.list()).not.toContain(name);
  });
});
