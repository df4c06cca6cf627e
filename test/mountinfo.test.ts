import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode } from './support/env.js';
import { removeScratch, scratchDir } from './support/mounts.js';

// mountinfo writes space, tab, newline and backslash in a mount point as \040, \011, \012 and \134.
const NAMES = ['a b', 'a\tb', 'a\nb', 'a\\b', '\\101', ' lead', 'trail\\'];

describe('nsfsMounts (lib/mountinfo.ts)', () => {
  it('decodes the escapes mountinfo writes, keeps mountinfo order, and agrees with findmnt', () => {
    const dir = scratchDir('mountinfo');
    try {
      // bind mounts in a mount namespace of our own (unshare -rm: works unprivileged too)
      const setup = [
        ...NAMES.map((_, i) => `touch "$N${i}" && mount --bind /proc/self/ns/uts "$N${i}"`),
        'touch plain && mount --bind /proc/self/ns/net plain && mount --bind /proc/self/ns/net plain',
        'exec "$@"',
      ].join(' && ');
      const env = Object.fromEntries(NAMES.map((n, i) => [`N${i}`, n]));
      const script = `const { dirname, join } = require('path');
        const { nsfsMounts } = require(join(dirname(process.env.NSBIND), 'mountinfo.js'));
        const findmnt = JSON.parse(require('child_process').execFileSync('findmnt', ['-J', '--list', '-t', 'nsfs', '-o', 'TARGET,FSROOT'], { encoding: 'utf8' }));
        console.log(JSON.stringify({ ours: [...nsfsMounts()], findmnt: findmnt.filesystems.map((f) => [f.target, f.fsroot]) }));`;
      const out = runNode(script, {
        prefix: ['sh', '-c', `cd "${dir}" && unshare -rm sh -c '${setup}' sh "$@"`, 'sh'],
        env,
      });
      const { ours, findmnt } = JSON.parse(out) as {
        ours: [number, { type: string; targets: string[] }][];
        findmnt: [string, string][];
      };
      const uts = statSync('/proc/self/ns/uts').ino;
      const net = statSync('/proc/self/ns/net').ino;
      const mine = ours.filter(([, m]) => m.targets.some((t) => t.startsWith(`${dir}/`)));
      expect(mine).toEqual([
        [uts, { type: 'uts', targets: NAMES.map((n) => join(dir, n)) }],
        [net, { type: 'net', targets: [join(dir, 'plain'), join(dir, 'plain')] }], // stacked: both, in order
      ]);
      const theirs = findmnt.filter(([target]) => target.startsWith(`${dir}/`));
      expect(theirs).toEqual([
        ...NAMES.map((n) => [join(dir, n), `uts:[${uts}]`]),
        [join(dir, 'plain'), `net:[${net}]`],
        [join(dir, 'plain'), `net:[${net}]`],
      ]);
    } finally {
      removeScratch(dir);
    }
  });
});
