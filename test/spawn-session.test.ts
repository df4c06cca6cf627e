// spawn's setsid option: a new session (and process group) without a
// controlling terminal, side by side with child_process' `detached: true`.
import { spawn as nodeSpawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DIST } from './support/env.js';

/**
 * Run in a child node on a terminal of its own (script(1)): each way of
 * starting sh reports its pid, session, tty_nr and whether /dev/tty opens.
 */
const SCRIPT = `const { spawn } = require(process.env.NSBIND);
  const cp = require('child_process');
  const report = 'echo $$ $(cut -d" " -f6,7 /proc/$$/stat) $(if (exec 3</dev/tty) 2>/dev/null; then echo tty; else echo none; fi)';
  const read = (c, done) => new Promise((resolve) => { let out = ''; c.stdout.on('data', (d) => (out += d)); done(c).then(() => resolve(out.trim())); });
  const closed = (c) => new Promise((r) => c.on('close', r));
  const stdio = ['ignore', 'pipe', 'inherit'];
  (async () => {
    const [pid, sid, tty] = require('fs').readFileSync('/proc/self/stat', 'latin1').split(') ')[1].split(' ').slice(1, 5).filter((_, i) => i !== 1);
    const runs = {
      self: [process.pid, sid, tty].join(' '),
      setsid: await read(spawn('sh', ['-c', report], { setsid: true, stdio }), (c) => c.closed),
      plain: await read(spawn('sh', ['-c', report], { stdio }), (c) => c.closed),
      detached: await read(cp.spawn('sh', ['-c', report], { detached: true, stdio }), closed),
      attached: await read(cp.spawn('sh', ['-c', report], { stdio }), closed),
    };
    console.log('RESULT ' + JSON.stringify(runs));
  })();`;

interface Run {
  pid: number;
  sid: number;
  tty: number;
  devTty?: string;
}

const parse = (line: string): Run => {
  const [pid, sid, tty, devTty] = line.split(' ');
  return { pid: Number(pid), sid: Number(sid), tty: Number(tty), ...(devTty ? { devTty } : {}) };
};

describe('spawn: setsid', () => {
  it('on a terminal: the child leads a new session with no controlling terminal, as detached: true does', async () => {
    const tty = nodeSpawn('script', ['-qec', '"$NODE" -e "$SCRIPT"', '/dev/null'], {
      env: { ...process.env, NODE: process.execPath, SCRIPT, NSBIND: DIST },
      stdio: ['pipe', 'pipe', 'inherit'], // stdin stays open: script ends with its command
    });
    let out = '';
    tty.stdout.on('data', (d: Buffer) => (out += d));
    await new Promise((resolve) => tty.once('close', resolve));
    tty.stdin.destroy();
    const line = /RESULT (.*)/.exec(out)?.[1]?.trim();
    expect(line, out).toBeDefined();
    const runs = Object.fromEntries(
      Object.entries(JSON.parse(line!) as Record<string, string>).map(([k, v]) => [k, parse(v)]),
    );
    const self = runs.self!;
    expect(self.tty).not.toBe(0); // the premise: node has a controlling terminal
    for (const name of ['setsid', 'detached']) {
      const r = runs[name]!;
      expect(r, name).toEqual({ pid: r.pid, sid: r.pid, tty: 0, devTty: 'none' });
    }
    for (const name of ['plain', 'attached']) {
      const r = runs[name]!;
      expect(r, name).toEqual({ pid: r.pid, sid: self.sid, tty: self.tty, devTty: 'tty' });
    }
  });
});
