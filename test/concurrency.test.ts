// Many children at once, from the main thread and from worker threads.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { spawn } from '../lib/index.js';
import { DIST, fdCount, zombies } from './support/env.js';

/** A worker that spawns `count` children exiting with i % 256 and reports their exits. */
const SPAWNER = `
  const { parentPort, workerData } = require('worker_threads');
  const { spawn } = require(workerData.dist);
  const children = Array.from({ length: workerData.count }, (_, i) => spawn('/bin/sh', ['-c', 'exit ' + (i % 256)], { stdio: 'ignore' }));
  const seen = new Array(children.length).fill(0);
  children.forEach((c, i) => c.on('exit', () => seen[i]++));
  Promise.all(children.map((c) => c.exited)).then((results) => setImmediate(() =>
    parentPort.postMessage({ codes: results.map((r) => r.code), seen })));`;

/** A worker that starts `count` long sleepers and says which. */
const SLEEPERS = `
  const { parentPort, workerData } = require('worker_threads');
  const { spawn } = require(workerData.dist);
  const pids = Array.from({ length: workerData.count }, () => spawn('sleep', ['1000'], { stdio: 'ignore' }).pid);
  parentPort.postMessage(pids);`;

const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('concurrency', () => {
  it('500 spawns in flight across the main thread and 4 workers: each exit once, with its code', async () => {
    const before = fdCount();
    const workers = Array.from(
      { length: 4 },
      () => new Worker(SPAWNER, { eval: true, workerData: { dist: DIST, count: 100 } }),
    );
    const fromWorkers = workers.map(
      (w) =>
        new Promise<{ codes: number[]; seen: number[] }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );
    const mine = Array.from({ length: 100 }, (_, i) =>
      spawn('/bin/sh', ['-c', `exit ${i % 256}`], { stdio: 'ignore' }),
    );
    const seen = new Array(100).fill(0);
    mine.forEach((c, i) => {
      c.on('exit', () => seen[i]++);
    });
    const expected = Array.from({ length: 100 }, (_, i) => i % 256);
    expect((await Promise.all(mine.map((c) => c.exited))).map((r) => r.code)).toEqual(expected);
    for (const result of await Promise.all(fromWorkers)) {
      expect(result.codes).toEqual(expected);
      expect(result.seen.every((n) => n === 1)).toBe(true);
    }
    await new Promise((r) => setImmediate(r));
    expect(seen.every((n) => n === 1)).toBe(true);
    await Promise.all(workers.map((w) => w.terminate()));
    expect(zombies()).toEqual([]);
    expect(fdCount()).toBe(before);
  }, 120_000);

  it('workers terminated with children in flight: children killed and reaped, no zombie, no fd', async () => {
    const before = fdCount();
    const workers = Array.from(
      { length: 4 },
      () => new Worker(SLEEPERS, { eval: true, workerData: { dist: DIST, count: 25 } }),
    );
    const pids = (
      await Promise.all(workers.map((w) => new Promise<number[]>((resolve) => w.once('message', resolve))))
    ).flat();
    expect(pids).toHaveLength(100);
    expect(pids.every(alive)).toBe(true);
    await Promise.all(workers.map((w) => w.terminate()));
    expect(pids.filter(alive)).toEqual([]);
    expect(zombies()).toEqual([]);
    expect(fdCount()).toBe(before);
  }, 120_000);
});
