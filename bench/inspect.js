// Inspecting and naming namespaces in-process against the tools a Node
// program would otherwise run (lsns, ip netns).
'use strict';
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { listNamespaces, netns } = require('..');
const { hold, time, interleave, row } = require('./support');

const CLI = join(__dirname, '..', 'dist', 'cli', 'main.js');

module.exports = async function inspect() {
  const boxes = await Promise.all([hold(['--net', '--uts']), hold(['--ipc', '--mount'])]);
  const name = `nsbind-bench-${process.pid}`;
  const run = (file, args) => () => execFileSync(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const m = await interleave(7, {
      lsns: () => time(20, run('lsns', ['-J'])),
      list: () => time(20, () => listNamespaces()),
      cli: () => time(5, run(process.execPath, [CLI, 'ls', '--json'])),
      ip: () =>
        time(20, () => {
          run('ip', ['netns', 'add', name])();
          run('ip', ['netns', 'delete', name])();
        }),
      netns: () =>
        time(20, () => {
          netns.create(name).close();
          netns.remove(name);
        }),
    });
    console.log(
      `inspect: in-process against the tools (median of 7 interleaved rounds, ${listNamespaces().length} namespaces)`,
    );
    row('listNamespaces()', m.list, { 'lsns -J': m.lsns }, '≤ 0.5×');
    row('nsbind ls --json (a node process)', m.cli, { 'lsns -J': m.lsns });
    row('netns.create + remove', m.netns, { 'ip netns add + delete': m.ip });
  } finally {
    for (const box of boxes) box.stop();
    if (netns.list().includes(name)) netns.remove(name);
  }
};
