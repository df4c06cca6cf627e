import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { userName } from '../lib/users.js';

/** getent passwd UID: the name NSS gives, or undefined when there is no entry (exit 2). */
function getent(uid: number): string | undefined {
  const r = spawnSync('getent', ['passwd', String(uid)], { encoding: 'utf8' });
  if (r.status === 2) return undefined;
  expect(r.status).toBe(0);
  return r.stdout.split(':')[0];
}

/** The first uid from 4000000 up that has no passwd entry. */
function unnamedUid(): number {
  for (let uid = 4_000_000; ; uid++) if (getent(uid) === undefined) return uid;
}

describe('userName (lib/users.ts)', () => {
  it('the name NSS gives (as getent and id show it): root, nobody, ourselves', () => {
    const uid = process.geteuid!();
    expect(userName(0)).toBe(getent(0));
    expect(userName(0)).toBe('root');
    expect(userName(65534)).toBe(getent(65534));
    expect(userName(uid)).toBe(execFileSync('id', ['-un'], { encoding: 'utf8' }).trim());
  });

  it('a uid without a name is its number, as lsns prints it', () => {
    const uid = unnamedUid();
    expect(userName(uid)).toBe(String(uid));
  });

  it('with a cache: each uid asked once, then answered from the cache', () => {
    const uid = unnamedUid();
    const cache = new Map<number, string>();
    expect(userName(0, cache)).toBe('root');
    expect(userName(uid, cache)).toBe(String(uid));
    expect([...cache]).toEqual([
      [0, 'root'],
      [uid, String(uid)],
    ]);
    cache.set(0, 'cached');
    expect(userName(0, cache)).toBe('cached'); // not asked again
    expect(userName(0)).toBe('root');
  });
});
