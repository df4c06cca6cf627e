// uidMap/gidMap 'auto': the maps newuidmap/newgidmap write from /etc/subuid and
// /etc/subgid, compared with util-linux `unshare --map-auto` in the same run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from '../lib/index.js';
import { subordinateIds } from '../lib/subid.js';
import { CLI } from './support/cli.js';
import { itRoot, output, runNode, thrown } from './support/env.js';

const MAPS = 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups';
const scratch = mkdtempSync(join(tmpdir(), 'nsbind-subid-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Run `script` (node, with NSBIND) in a mount namespace of its own where /etc/subuid and /etc/subgid are ours. */
function withSubids(subuid: string, subgid: string, script: string): string {
  const [u, g] = [join(scratch, 'subuid'), join(scratch, 'subgid')];
  writeFileSync(u, subuid);
  writeFileSync(g, subgid);
  const setup = `mount --bind ${u} /etc/subuid && mount --bind ${g} /etc/subgid && exec "$@"`;
  return runNode(script, { prefix: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', setup, 'sh'] });
}

describe("spawn: uidMap/gidMap 'auto'", () => {
  itRoot(
    'maps the first subordinate blocks from 0 as unshare --map-auto does (our own /etc/subuid, in a mount namespace)',
    () => {
      const script = `const { spawn } = require(process.env.NSBIND);
      const { execFileSync } = require('child_process');
      const c = spawn('/bin/sh', ['-c', ${JSON.stringify(MAPS)}], { namespaces: ['user'], uidMap: 'auto', gidMap: 'auto', stdio: ['ignore', 'pipe', 'inherit'] });
      let ours = ''; c.stdout.on('data', (d) => (ours += d));
      c.closed.then(() => {
        const theirs = execFileSync('unshare', ['--user', '--map-auto', 'sh', '-c', ${JSON.stringify(MAPS)}], { encoding: 'utf8' });
        const cli = execFileSync(process.execPath, [${JSON.stringify(CLI)}, 'run', '--map-auto', '--', 'sh', '-c', ${JSON.stringify(MAPS)}], { encoding: 'utf8' });
        const ranges = execFileSync(process.execPath, [${JSON.stringify(CLI)}, 'run', '--map-users=auto', '--map-groups=auto', '--', 'sh', '-c', ${JSON.stringify(MAPS)}], { encoding: 'utf8' });
        const theirRanges = execFileSync('unshare', ['--user', '--map-users=auto', '--map-groups=auto', 'sh', '-c', ${JSON.stringify(MAPS)}], { encoding: 'utf8' });
        console.log(JSON.stringify({ ours, theirs, cli, ranges, theirRanges }));
      });`;
      const { ours, theirs, cli, ranges, theirRanges } = JSON.parse(
        withSubids('root:100000:65536\nroot:300000:10\n', 'root:200000:1000\n', script),
      );
      expect(ours).toBe(theirs);
      expect(cli).toBe(theirs); // nsbind run --map-auto
      expect(ranges).toBe(theirRanges); // nsbind run --map-users=auto --map-groups=auto
      expect(ranges).toBe(theirs);
      expect(ours).toMatch(/^\s+0\s+100000\s+65536\n\s+0\s+200000\s+1000\nallow\n$/);
    },
  );

  it('without an entry for us: an error naming the file, before any clone, as unshare --map-auto fails', async () => {
    let range: ReturnType<typeof subordinateIds> | undefined;
    try {
      range = subordinateIds('uid');
    } catch {
      // no entry (the usual case)
    }
    const theirs = spawnSync('unshare', ['--user', '--map-auto', 'sh', '-c', MAPS], { encoding: 'utf8' });
    if (range === undefined) {
      const e = thrown(() => spawn('/bin/true', [], { namespaces: ['user'], uidMap: 'auto', stdio: 'ignore' }));
      expect(e).toMatchObject({ code: 'ENOENT', step: 'uid_map', path: '/etc/subuid' });
      expect(e.hint).toMatch(/\/etc\/subuid has no entry for .*usermod --add-subuids/);
      expect(theirs.status).not.toBe(0);
    } else {
      // this machine has an entry for us: then both map it
      const ours = await output(
        spawn('/bin/sh', ['-c', MAPS], {
          namespaces: ['user'],
          uidMap: 'auto',
          gidMap: 'auto',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      expect(ours.stdout).toBe(theirs.stdout);
    }
    expect(() => spawn('/bin/true', [], { uidMap: 'auto' })).toThrow(TypeError); // no new user namespace
    expect(() => spawn('/bin/true', [], { namespaces: ['user'], mapRootUser: true, gidMap: 'auto' })).toThrow(
      TypeError,
    );
  });

  itRoot('without newuidmap on PATH: ENOENT at step uid_map, with the package to install', () => {
    const script = `const { spawn } = require(process.env.NSBIND);
      process.env.PATH = ${JSON.stringify(scratch)};
      try { spawn('/bin/true', [], { namespaces: ['user'], uidMap: 'auto', stdio: 'ignore' }); console.log('{}'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, step: e.step, syscall: e.syscall, hint: e.hint })); }`;
    const e = JSON.parse(withSubids('root:100000:65536\n', 'root:100000:65536\n', script));
    expect(e).toMatchObject({ code: 'ENOENT', step: 'uid_map', syscall: 'newuidmap' });
    expect(e.hint).toMatch(/uidmap package/);
  });
});
