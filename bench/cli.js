// The nsbind command against the tools it stands in for (unshare, nsenter,
// ip netns exec), each a whole process running `true`; `node -e 0` shows how
// much of that is Node.js starting. Start-up goal: `nsbind run -u -- true`
// within 1.1× `node -e 0` (a command loads only its own modules).
'use strict';
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { netns } = require('..');
const { hold, time, interleave, row } = require('./support');

const CLI = join(__dirname, '..', 'dist', 'cli', 'main.js');
const N = 10;
const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux

/** CPU time (user + system, ns) of the waited-for children so far: /proc/self/stat cutime + cstime. */
function childrenCpu() {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1e9) / CLK_TCK;
}
const ROUNDS = Number(process.env.NSBIND_BENCH_ROUNDS ?? 5);

module.exports = async function cli() {
  const box = await hold(['--net', '--uts']);
  const name = `nsbind-bench-${process.pid}`;
  const run =
    (file, ...args) =>
    () =>
      time(N, () => execFileSync(file, args, { stdio: 'ignore' }));
  const nsbind = (...args) => run(process.execPath, CLI, ...args);
  // on a shared machine the CPU a run costs varies less than its wall time
  const cpu =
    (file, ...args) =>
    () => {
      const before = childrenCpu();
      for (let i = 0; i < N; i++) execFileSync(file, args, { stdio: 'ignore' });
      return (childrenCpu() - before) / N;
    };
  const target = String(box.pid);
  try {
    netns.create(name).close();
    const m = await interleave(ROUNDS, {
      node: run(process.execPath, '-e', '0'),
      startup: nsbind('run', '-u', '--', 'true'),
      nodeCpu: cpu(process.execPath, '-e', '0'),
      startupCpu: cpu(process.execPath, CLI, 'run', '-u', '--', 'true'),
      run: nsbind('run', '-u', '-n', 'true'),
      unshare: run('unshare', '-u', '-n', 'true'),
      enter: nsbind('enter', '-t', target, '-u', '-n', 'true'),
      nsenter: run('nsenter', '-t', target, '-u', '-n', 'true'),
      exec: nsbind('netns', 'exec', name, 'true'),
      ip: run('ip', 'netns', 'exec', name, 'true'),
    });
    console.log(
      `cli: the nsbind process against the tools (median of ${ROUNDS} interleaved rounds × ${N} runs of true)`,
    );
    row('nsbind run -u -- true', m.startup, { 'node -e 0': m.node }, '≤ 1.10× node -e 0');
    row('  the same, CPU (user + sys)', m.startupCpu, { 'node -e 0': m.nodeCpu }, '≤ 1.10× node -e 0');
    row('nsbind run -u -n', m.run, { 'unshare -u -n': m.unshare, 'node -e 0': m.node });
    row('nsbind enter -t PID -u -n', m.enter, { 'nsenter -t PID -u -n': m.nsenter, 'node -e 0': m.node });
    row('nsbind netns exec', m.exec, { 'ip netns exec': m.ip, 'node -e 0': m.node });
  } finally {
    box.stop();
    if (netns.list().includes(name)) netns.remove(name);
  }
};
