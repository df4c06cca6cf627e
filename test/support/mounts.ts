// Scratch directories for mount tests, named network namespaces, and the
// cleanup that undoes every mount and name a test made, also after a failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** A new directory under /tmp that anyone may write to (tests also run as nobody). */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nsbind-${name}-`));
  chmodSync(dir, 0o777);
  return dir;
}

/** Mount points at or below `dir` in this thread's mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/thread-self/mountinfo', 'utf8')
    .split('\n')
    .map((line) =>
      line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
    )
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .reverse();
}

/** Lazily unmount everything at or below `dir`, then remove it. */
export function removeScratch(dir: string): void {
  for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m]);
  rmSync(dir, { recursive: true, force: true });
}

let serial = 0;
/** A network namespace name no other test process uses. */
export function netnsName(): string {
  return `nsbind-test-${process.pid}-${serial++}`;
}

/** Names in `ip netns list` (first word of each line). */
export function ipNetnsList(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[0]!);
}

/** Remove network namespace names with iproute2, whether or not they exist. */
export function removeNetns(names: Iterable<string>): void {
  for (const name of names) spawnSync('ip', ['netns', 'delete', name]);
}

/** For a test file: a function giving fresh netns names, each removed after its test (even a failed one). */
export function freshNetnsNames(): () => string {
  const names = new Set<string>();
  afterEach(() => {
    removeNetns(names);
    names.clear();
  });
  return () => {
    const name = netnsName();
    names.add(name);
    return name;
  };
}
