// Bench helpers: compile the raw C program, hold fixture namespaces, summarise samples.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const dirs = [];
process.once('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Compile bench/NAME.c; returns the executable path (removed when the bench exits). */
function compile(name) {
  dirs.push(mkdtempSync(join(tmpdir(), 'nsbind-bench-')));
  const exe = join(dirs.at(-1), name);
  execFileSync('cc', ['-O2', '-o', exe, join(__dirname, `${name}.c`)], { stdio: 'inherit' });
  return exe;
}

/** A `unshare FLAGS sleep` process; resolves to { pid, stop() } once it is inside. */
function hold(flags) {
  const child = spawn('unshare', [...flags, 'sh', '-c', 'echo ready; exec sleep 1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () => resolve({ pid: child.pid, stop: () => child.kill('SIGKILL') }));
  });
}

/** ns per op of `fn` over n calls. */
function time(n, fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Run the labelled measurements `rounds` times, interleaved, and return medians per label. */
async function interleave(rounds, measures) {
  const samples = Object.fromEntries(Object.keys(measures).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const [k, m] of Object.entries(measures)) samples[k].push(await m());
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function fmt(ns) {
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

/** Print one comparison row: the subject against each baseline, as a ratio. */
function row(title, subject, baselines, goal) {
  const parts = Object.entries(baselines).map(([name, v]) => `${(subject / v).toFixed(2)}× ${name} (${fmt(v)})`);
  console.log(
    `${title.padEnd(34)} ${fmt(subject).padStart(10)}   ${parts.join('   ')}${goal ? `   goal: ${goal}` : ''}`,
  );
}

module.exports = { compile, hold, time, interleave, fmt, row };
