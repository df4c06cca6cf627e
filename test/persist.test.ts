import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, NAMESPACE_TYPES, Namespace, type NamespaceError, persist, release } from '../lib/index.js';
import { fixture, isRoot, itRoot, runNode, thrown } from './support/env.js';
import { mountsUnder, removeScratch, scratchDir } from './support/mounts.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = scratchDir('persist');
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) removeScratch(dir);
});

describe('persist and release', () => {
  itRoot(
    'keeps a network namespace after its last process exits; nsenter enters it through the file; release lets it go',
    async () => {
      const target = join(scratch(), 'net');
      const box = await fixture(['--net'], { setup: 'echo 42 > /proc/sys/net/ipv4/ip_default_ttl' });
      let inode: number;
      try {
        using ns = Namespace.ofPid(box.pid, 'net');
        inode = ns.inode;
        persist(ns, target);
      } finally {
        await box.stop();
      }
      expect(statSync(target).ino).toBe(inode);
      expect(listNamespaces({ type: 'net' }).find((n) => n.inode === inode)).toMatchObject({
        nprocs: 0,
        persistent: true,
        mounts: [target],
      });
      // the setting made inside is still there, seen through the file
      expect(
        execFileSync('nsenter', [`--net=${target}`, 'cat', '/proc/sys/net/ipv4/ip_default_ttl'], {
          encoding: 'utf8',
        }).trim(),
      ).toBe('42');
      expect(
        execFileSync('nsenter', [`--net=${target}`, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim(),
      ).toBe(`net:[${inode}]`);

      release(target);
      expect(existsSync(target)).toBe(false);
      expect(mountsUnder(target)).toEqual([]);
      expect(listNamespaces({ type: 'net' }).some((n) => n.inode === inode)).toBe(false);
    },
  );

  itRoot('every type: the file is the namespace the handle names (same inode)', async () => {
    const dir = scratch();
    const box = await fixture(['--mount']); // a mount namespace can only be kept from an older one
    try {
      for (const type of NAMESPACE_TYPES) {
        using ns = type === 'mnt' ? Namespace.ofPid(box.pid, 'mnt') : Namespace.current(type);
        const target = join(dir, type);
        persist(ns, target);
        expect(statSync(target).ino).toBe(ns.inode);
        using again = Namespace.open(target);
        expect(again.equals(ns)).toBe(true);
        expect(again.type).toBe(type);
        release(target);
        expect(existsSync(target)).toBe(false);
      }
    } finally {
      await box.stop();
    }
  });

  itRoot("pid_for_children and time_for_children: the namespaces the caller's children get are kept", () => {
    const dir = scratch();
    // unshare moves only what children get; the first child (init) makes the pid namespace openable
    const out = JSON.parse(
      runNode(`const { Namespace, persist, unshare } = require(process.env.NSBIND);
      unshare(['pid', 'time']);
      const init = require('child_process').spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
      init.unref();
      const r = { init: init.pid };
      for (const type of ['pid', 'time']) {
        const next = Namespace.current(type, { forChildren: true });
        persist(next, '${dir}/' + type);
        r[type] = { next: next.inode, own: Namespace.current(type).inode };
      }
      console.log(JSON.stringify(r));`),
    );
    try {
      for (const type of ['pid', 'time']) {
        expect(out[type].next).not.toBe(out[type].own);
        expect(statSync(join(dir, type)).ino).toBe(out[type].next);
        expect(statSync(`/proc/${out.init}/ns/${type}`).ino).toBe(out[type].next);
      }
      // entered through the files: nsenter forks into the pid namespace, exec moves into the time namespace
      const inside = execFileSync(
        'nsenter',
        [
          `--pid=${dir}/pid`,
          `--time=${dir}/time`,
          'sh',
          '-c',
          'echo $$; readlink /proc/self/ns/pid /proc/self/ns/time',
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
      expect(Number(inside[0])).toBeGreaterThan(1); // init is pid 1 there
      expect(inside.slice(1)).toEqual([`pid:[${out.pid.next}]`, `time:[${out.time.next}]`]);
    } finally {
      process.kill(out.init, 'SIGKILL');
    }
    release(join(dir, 'pid'));
    release(join(dir, 'time'));
    expect(mountsUnder(dir)).toEqual([]);
  });

  itRoot("the caller's own mount namespace: EINVAL with a hint, and no file left behind", () => {
    const target = join(scratch(), 'mnt');
    using ns = Namespace.current('mnt');
    const e = thrown(() => persist(ns, target));
    expect(e).toMatchObject({ code: 'EINVAL', syscall: 'mount', path: target });
    expect(e.hint).toMatch(/older one.*private/s);
    expect(existsSync(target)).toBe(false);
  });

  itRoot(
    'a shared mount that propagates into the namespace: EINVAL with a hint; fine once the directory is private',
    async () => {
      const dir = scratch();
      execFileSync('mount', ['--bind', dir, dir]);
      execFileSync('mount', ['--make-shared', dir]);
      // a new mount namespace whose copy of dir is a peer of ours
      const box = await fixture(['--mount', '--propagation', 'unchanged']);
      try {
        using ns = Namespace.ofPid(box.pid, 'mnt');
        const target = join(dir, 'mnt');
        const e = thrown(() => persist(ns, target));
        expect(e.code).toBe('EINVAL');
        expect(e.hint).toMatch(/shared mount.*mount --make-private/s);
        expect(existsSync(target)).toBe(false);

        execFileSync('mount', ['--make-private', dir]);
        persist(ns, target);
        expect(statSync(target).ino).toBe(ns.inode);
        release(target);
      } finally {
        await box.stop();
      }
    },
  );

  it('unprivileged: EPERM, and the file it created is removed again', () => {
    const target = join(scratch(), 'net');
    const out = JSON.parse(
      runNode(
        `const { Namespace, persist } = require(process.env.NSBIND);
      try { persist(Namespace.current('net'), '${target}'); console.log('{}'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, path: e.path, exists: require('fs').existsSync('${target}') })); }`,
        { asNobody: isRoot },
      ),
    );
    expect(out).toEqual({ code: 'EPERM', syscall: 'mount', path: target, exists: false });
  });

  itRoot('release refuses what persist did not make, and leaves it alone', () => {
    const dir = scratch();
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'data');
    const e = thrown(() => release(plain));
    expect(e).toMatchObject({ code: 'EINVAL', syscall: 'umount2', path: plain });
    expect(e.hint).toMatch(/No namespace file is mounted on this path/);
    expect(existsSync(plain)).toBe(true);

    // a link to a namespace file, but nothing mounted there (and it is not followed)
    expect(thrown(() => release('/proc/self/ns/net'))).toMatchObject({ code: 'EINVAL', syscall: 'umount2' });

    expect(thrown(() => release(join(dir, 'missing')))).toMatchObject({ code: 'ENOENT' });
  });

  itRoot('a directory as target: a typed error, and the directory stays', () => {
    const target = join(scratch(), 'sub');
    mkdirSync(target);
    using ns = Namespace.current('uts');
    expect(thrown(() => persist(ns, target))).toMatchObject({ code: 'ENOTDIR', syscall: 'mount', path: target });
    expect(statSync(target).isDirectory()).toBe(true);
  });

  itRoot('release removes only a file persist created: one that was there before stays, with its content', () => {
    const dir = scratch();
    const existing = join(dir, 'existing');
    writeFileSync(existing, 'mine');
    using ns = Namespace.current('uts');
    persist(ns, existing);
    expect(statSync(existing).ino).toBe(ns.inode);
    release(existing);
    expect(mountsUnder(existing)).toEqual([]);
    expect(readFileSync(existing, 'utf8')).toBe('mine');

    const made = join(dir, 'made');
    persist(ns, made);
    release(made);
    expect(existsSync(made)).toBe(false);

    // a file persist made in another process is not known here: unmounted, and left in place
    const elsewhere = join(dir, 'elsewhere');
    runNode(
      `const m = require(process.env.NSBIND); m.persist(m.Namespace.current('uts'), ${JSON.stringify(elsewhere)});`,
    );
    release(elsewhere);
    expect(mountsUnder(elsewhere)).toEqual([]);
    expect(statSync(elsewhere).size).toBe(0);
  });

  itRoot('a symlink as target is never followed: persist ELOOP, release EINVAL; what it points to is untouched', () => {
    const dir = scratch();
    const decoy = join(dir, 'decoy');
    decoyMount(decoy);
    symlinkSync(decoy, join(dir, 'link'));
    using ns = Namespace.current('uts');
    const e = thrown(() => persist(ns, join(dir, 'link')));
    expect(e).toMatchObject({ code: 'ELOOP', syscall: 'open' });
    expect(e.hint).toMatch(/symbolic link/);
    persist(ns, join(dir, 'real'));
    expect(mountsUnder(decoy)).toEqual([decoy]); // only the decoy's own mount there
    // a symlink to a persisted namespace: not followed either
    unlinkSync(join(dir, 'link'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(thrown(() => release(join(dir, 'link')))).toMatchObject({ code: 'EINVAL', syscall: 'umount2' });
    expect(mountsUnder(join(dir, 'real'))).toEqual([join(dir, 'real')]);
    release(join(dir, 'real'));
    expect(mountsUnder(decoy)).toEqual([decoy]);
  });

  itRoot(
    'race: a directory on the path swapped in a loop (symlink to ours / to a decoy mount): root never touches the decoy',
    async () => {
      const dir = scratch();
      mkdirSync(join(dir, 'real'));
      mkdirSync(join(dir, 'decoy'));
      const decoy = join(dir, 'decoy', 'ns');
      decoyMount(decoy);
      const racer = swapper(join(dir, 'dir'), [join(dir, 'real'), join(dir, 'decoy')]);
      await racer.started;
      using ns = Namespace.current('uts');
      const via = join(dir, 'dir', 'ns');
      const real = join(dir, 'real', 'ns');
      const events = { released: 0, refused: 0, persistedReal: 0, persistedDecoy: 0 };
      const refusals = new Set<string>();
      try {
        for (let round = 0; round < 300; round++) {
          // release through the swapped path: it unmounts ours, or refuses the decoy
          persist(ns, real);
          for (let tries = 0; tries < 1000 && mountsUnder(real).length; tries++) {
            try {
              release(via);
              events.released++;
            } catch (e) {
              refusals.add((e as NamespaceError).code);
              events.refused++;
            }
          }
          expect(mountsUnder(decoy), `round ${round}: release unmounted the decoy`).toEqual([decoy]);
          expect(mountsUnder(real)).toEqual([]);
          // persist through the swapped path: the mount lands where the file was made or found, nowhere else
          persist(ns, via);
          const onReal = mountsUnder(real).length;
          const onDecoy = mountsUnder(decoy).length - 1;
          expect(onReal + onDecoy, `round ${round}: persist`).toBe(1);
          if (onReal) events.persistedReal++;
          else events.persistedDecoy++;
          if (!onReal) expect(existsSync(real), `round ${round}: a file left where nothing was mounted`).toBe(false);
          release(onReal ? real : decoy);
          expect(mountsUnder(decoy)).toEqual([decoy]);
        }
      } finally {
        racer.stop();
      }
      expect([...refusals]).toEqual(['EINVAL']); // the decoy: not a namespace mount, left alone
      // both ways were taken, so the race was real
      expect(events.refused).toBeGreaterThan(0);
      expect(events.persistedDecoy).toBeGreaterThan(0);
      expect(events.persistedReal).toBeGreaterThan(0);
    },
    120_000,
  );

  it('validates arguments before any syscall', () => {
    using ns = Namespace.current('uts');
    expect(() => persist({} as Namespace, '/tmp/x')).toThrow(TypeError);
    expect(() => persist(ns, '')).toThrow(RangeError);
    expect(() => persist(ns, 'a\0b')).toThrow(RangeError);
    expect(() => persist(ns, 42 as never)).toThrow(TypeError);
    expect(() => release('')).toThrow(RangeError);
    const closed = Namespace.current('uts');
    closed.close();
    expect(() => persist(closed, '/tmp/never-created')).toThrow(/EBADF/);
    expect(existsSync('/tmp/never-created')).toBe(false);
  });
});

/** A mount that is not a namespace: a file bind-mounted onto `target` (created), removed with the scratch dir. */
function decoyMount(target: string): void {
  writeFileSync(target, '');
  writeFileSync(`${target}.src`, 'decoy');
  execFileSync('mount', ['--bind', `${target}.src`, target]);
}

/** A process that points the symlink `link` at each of `targets` in turn, atomically (rename), until stopped. */
function swapper(link: string, targets: string[]): { started: Promise<void>; stop: () => void } {
  const script = `const fs = require('fs');
    const [link, ...targets] = process.argv.slice(1);
    fs.symlinkSync(targets[0], link);
    console.log('ready');
    for (let i = 0; ; i++) { fs.symlinkSync(targets[i % targets.length], link + '.new'); fs.renameSync(link + '.new', link); }`;
  const child = spawn(process.execPath, ['-e', script, link, ...targets], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { started, stop: () => child.kill('SIGKILL') };
}
