import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nsbind, oneLineError } from '../support/cli.js';
import { isRoot, itRoot } from '../support/env.js';
import { freshNetnsNames, ipNetnsList } from '../support/mounts.js';

const fresh = freshNetnsNames();

describe('nsbind netns', () => {
  itRoot('add, then ip netns lists and enters it; ls; del', () => {
    const name = fresh();
    expect(nsbind(['netns', 'add', name])).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(ipNetnsList()).toContain(name);
    expect(
      execFileSync('ip', ['netns', 'exec', name, 'ip', '-o', 'link', 'show'], { encoding: 'utf8' }).trim(),
    ).toMatch(/^1: lo:[^\n]*$/);
    expect(nsbind(['netns', 'ls']).stdout.split('\n')).toContain(name);
    expect(nsbind(['netns']).stdout.split('\n')).toContain(name); // ls is the default, as for ip netns
    expect(nsbind(['netns', 'del', name]).status).toBe(0);
    expect(ipNetnsList()).not.toContain(name);
    expect(existsSync(`/run/netns/${name}`)).toBe(false);
  });

  itRoot('add --loopback: lo is up in it, with 127.0.0.1 and ::1, as ip shows', () => {
    const [name, short] = [fresh(), fresh()];
    expect(nsbind(['netns', 'add', '--loopback', name])).toMatchObject({ status: 0, stdout: '', stderr: '' });
    const lo = JSON.parse(execFileSync('ip', ['-j', '-n', name, 'addr', 'show', 'lo'], { encoding: 'utf8' }))[0];
    expect(lo.flags).toEqual(['LOOPBACK', 'UP', 'LOWER_UP']);
    expect(lo.addr_info.map((a: { local: string }) => a.local)).toEqual(['127.0.0.1', '::1']);
    expect(nsbind(['netns', 'add', short, '-l']).status).toBe(0);
    expect(execFileSync('ip', ['-n', short, '-o', 'link', 'show', 'lo'], { encoding: 'utf8' })).toMatch(
      /<LOOPBACK,UP,LOWER_UP>/,
    );
    expect(nsbind(['netns', 'add', '--help']).stdout).toMatch(/-l, --loopback {2}bring lo up in it/);
  });

  itRoot('a name made by ip netns add: listed, deleted', () => {
    const name = fresh();
    execFileSync('ip', ['netns', 'add', name]);
    expect(nsbind(['netns', 'list']).stdout.split('\n')).toContain(name);
    expect(nsbind(['netns', 'delete', name]).status).toBe(0);
    expect(ipNetnsList()).not.toContain(name);
  });

  itRoot('add an existing name: one line, exit 1', () => {
    const name = fresh();
    execFileSync('ip', ['netns', 'add', name]);
    const r = nsbind(['netns', 'add', name]);
    expect(oneLineError(r)).toBe(
      `nsbind netns add: EEXIST: file already exists, open '/run/netns/${name}' — a network namespace named "${name}" already exists.`,
    );
    expect(r.status).toBe(1);
  });

  itRoot("exec: the command is in NAME's network namespace and /sys shows its devices, as with ip netns exec", () => {
    const name = fresh();
    expect(nsbind(['netns', 'add', name]).status).toBe(0);
    // the mounts on /sys as this process sees them (other test files mount elsewhere meanwhile)
    const sysMounts = () =>
      readFileSync('/proc/self/mountinfo', 'latin1')
        .split('\n')
        .filter((l) => /^\/sys(\/|$)/.test(l.split(' ')[4] ?? ''));
    const hostMounts = sysMounts();
    const script = 'stat -L -c %i /proc/self/ns/net; ls /sys/class/net; ip -o link show | cut -d: -f2';
    const r = nsbind(['netns', 'exec', name, '--', 'sh', '-c', script]);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout.split('\n').map((l) => l.trim())).toEqual([
      String(statSync(`/run/netns/${name}`).ino),
      'lo',
      'lo',
      '',
    ]);
    expect(readdirSync('/sys/class/net')).not.toEqual(['lo']); // the host's view is another
    expect(execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', script], { encoding: 'utf8' })).toBe(r.stdout);
    expect(sysMounts()).toEqual(hostMounts); // its /sys was mounted in a mount namespace of its own
  });

  itRoot("exec into a name made by ip netns add (no -- needed); the exit status is the command's", () => {
    const name = fresh();
    execFileSync('ip', ['netns', 'add', name]);
    expect(nsbind(['netns', 'exec', name, 'sh', '-c', 'readlink /proc/self/ns/net; exit 3'])).toMatchObject({
      status: 3,
      stdout: `net:[${statSync(`/run/netns/${name}`).ino}]\n`,
    });
  });

  itRoot('exec as nobody: one line with the hint, exit 1', () => {
    const name = fresh();
    execFileSync('ip', ['netns', 'add', name]);
    const r = nsbind(['netns', 'exec', name, '--', 'true'], { asNobody: true });
    expect(oneLineError(r)).toMatch(
      /^nsbind netns exec: (EACCES|EPERM): .* — entering a named network namespace needs root \(CAP_SYS_ADMIN\), as ip netns exec does\.$/,
    );
    expect(r.status).toBe(1);
  });

  it('exec: bad input and an unknown name, one line each', () => {
    const name = fresh();
    for (const [args, line, status] of [
      [[], 'nsbind netns exec: missing NAME', 2],
      [[name], 'nsbind netns exec: missing COMMAND', 2],
      [[name, '--'], 'nsbind netns exec: missing COMMAND', 2],
      [
        [name, '--', 'true'],
        `nsbind netns exec: ENOENT: no such file or directory, open '/run/netns/${name}' — there is no network namespace named "${name}".`,
        1,
      ],
    ] as const) {
      const r = nsbind(['netns', 'exec', ...args]);
      expect(oneLineError(r)).toBe(line);
      expect(r.status).toBe(status);
    }
  });

  it('bad input and failures: one line each', () => {
    const name = fresh();
    expect(oneLineError(nsbind(['netns', 'del', name]))).toBe(
      `nsbind netns del: ENOENT: no such file or directory, unlink '/run/netns/${name}' — there is no network namespace named "${name}".`,
    );
    expect(oneLineError(nsbind(['netns', 'add', 'a/b']))).toBe(
      "nsbind netns add: name must be a single file name (no '/', not '.' or '..'), got \"a/b\"",
    );
    expect(oneLineError(nsbind(['netns', 'add', 'x', 'y']))).toBe("nsbind netns add: unexpected argument 'y'");
    expect(oneLineError(nsbind(['netns', 'add', '--loopback=yes', 'x']))).toBe(
      "nsbind netns add: option '-l, --loopback' does not take an argument",
    );
    expect(oneLineError(nsbind(['netns', 'del']))).toBe('nsbind netns del: missing NAME');
  });

  it('as nobody: add fails in one line and leaves no name', () => {
    const name = fresh();
    const r = nsbind(['netns', 'add', name], { asNobody: isRoot });
    expect(oneLineError(r)).toMatch(/^nsbind netns add: (EACCES|EPERM): /);
    expect(nsbind(['netns', 'ls']).stdout.split('\n')).not.toContain(name);
  });
});
