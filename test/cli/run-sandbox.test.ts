// nsbind run's sandbox flags (bwrap's names): the very same flags given to
// `nsbind run` and to bwrap, side by side, and the usage errors.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mountRows, normalListing } from '../support/bwrap.js';
import { nsbind, oneLineError } from '../support/cli.js';
import { isRoot, NOBODY } from '../support/env.js';

/** As nobody in the root pass too: a sandbox through a user namespace works unprivileged. */
const unprivileged = { asNobody: isRoot };

const FLAGS = [
  ...['--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib'],
  ...['--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev', '--perms', '1777'],
  ...[
    '--size',
    '1048576',
    '--tmpfs',
    '/tmp',
    '--perms',
    '0700',
    '--dir',
    '/run/private',
    '--bind',
    '/usr/share/doc',
    '/doc',
  ],
];
const SCRIPT = 'ls -la / /run; echo @@; findmnt -J -o TARGET,FSTYPE,VFS-OPTIONS,FS-OPTIONS; echo @@; id -u';

describe('nsbind run: sandbox flags', () => {
  it('the same flags as bwrap give the same root, mount table and user (-r -p vs --unshare-user --uid 0 --unshare-pid)', () => {
    const ours = nsbind(['run', '-r', '-p', ...FLAGS, '--', '/bin/sh', '-c', SCRIPT], unprivileged);
    // nsbind's --dev has a tmpfs on /dev/shm, bwrap's a plain directory: give bwrap one
    const withShm = FLAGS.flatMap((f, k) =>
      FLAGS[k - 1] === '--dev' ? [f, '--perms', '1777', '--tmpfs', '/dev/shm'] : [f],
    );
    const bwrapArgs = [
      '--unshare-user',
      '--uid',
      '0',
      '--gid',
      '0',
      '--unshare-pid',
      ...withShm,
      '/bin/sh',
      '-c',
      SCRIPT,
    ];
    const theirs = spawnSync(
      isRoot ? NOBODY[0]! : 'bwrap',
      isRoot ? [...NOBODY.slice(1), 'bwrap', ...bwrapArgs] : bwrapArgs,
      {
        encoding: 'utf8',
      },
    );
    expect(ours).toMatchObject({ status: 0, stderr: '' });
    expect(theirs).toMatchObject({ status: 0, stderr: '' });
    const [a, b] = [ours.stdout, theirs.stdout].map((s) => s.split('@@\n'));
    expect(normalListing(a[0]!)).toEqual(normalListing(b[0]!));
    expect(mountRows(a[1]!)).toEqual(mountRows(b[1]!));
    expect(a[2]).toBe('0\n');
    expect(mountRows(a[1]!).find((m) => m.target === '/tmp')).toMatchObject({
      fstype: 'tmpfs',
      'fs-options': expect.stringMatching(/size=1024k/),
    });
  });

  it('a missing source fails at its mount, naming the source (status 1)', () => {
    const r = nsbind(['run', '-r', '--bind', '/nonexistent-source', '/usr', 'true'], unprivileged);
    expect(r.status).toBe(1);
    expect(oneLineError(r)).toMatch(
      /^nsbind run: ENOENT: no such file or directory, open_tree '\/nonexistent-source' \(step mount:\/usr\) — the source of the bind on \/usr does not exist/,
    );
  });

  it('usage errors (status 2): missing arguments, a relative DEST, --perms or --size not before what they apply to', () => {
    const cases: [string[], RegExp][] = [
      [['--bind', '/usr'], /option '--bind <value>' argument missing/],
      [['--tmpfs', 'tmp', 'true'], /--tmpfs: DEST must be an absolute path, got 'tmp'/],
      [['--perms', '700', '--bind', '/usr', '/usr', 'true'], /--perms must come right before the --tmpfs or --dir/],
      [['--size', '10', '--dir', '/d', 'true'], /--size must come right before the --tmpfs or --dir/],
      [['--perms', '800', '--dir', '/d', 'true'], /--perms: invalid octal mode '800'/],
      [['--dir', '/d', '--perms', '700', 'true'], /--perms must come right before/],
    ];
    for (const [args, message] of cases) {
      const r = nsbind(['run', '-r', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(oneLineError(r)).toMatch(message);
    }
  });

  it('--help lists them', () => {
    expect(nsbind(['run', '--help']).stdout).toMatch(/--ro-bind SRC DEST\n +the same, read-only, every submount too/);
  });
});
