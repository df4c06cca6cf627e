// What `nsbind enter` takes from the target process, as nsenter(1) takes it:
// its environment (-e), its cgroup (--join-cgroup) and its owner (-S/-G follow).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { fromFsError, NamespaceError } from '../errors.js';

function read(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    throw fromFsError(e, { syscall: 'open', path });
  }
}

/** -e/--env: the environment the target started with (/proc/PID/environ), as nsenter 2.40 passes it on. */
export function targetEnvironment(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of read(`/proc/${pid}/environ`).split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** -S follow / -G follow: the owner of /proc/PID, as nsenter reads it. */
export function targetOwner(pid: number): { uid: number; gid: number } {
  const path = `/proc/${pid}`;
  try {
    const { uid, gid } = statSync(path);
    return { uid, gid };
  } catch (e) {
    throw fromFsError(e, { syscall: 'stat', path });
  }
}

const CGROUP2 = / - cgroup2 /;

/**
 * --join-cgroup: move this process (nsbind, before it starts the command,
 * which inherits it) into the target's cgroup v2 — found where this system
 * mounts cgroup2, /sys/fs/cgroup or a hybrid's /sys/fs/cgroup/unified.
 */
export function joinCgroup(pid: number): void {
  const line = read(`/proc/${pid}/cgroup`)
    .split('\n')
    .find((l) => l.startsWith('0::'));
  const mount = read('/proc/self/mountinfo')
    .split('\n')
    .find((l) => CGROUP2.test(l))
    ?.split(' ')[4];
  if (line === undefined || mount === undefined)
    throw new NamespaceError(-95, {
      syscall: 'open',
      path: `/proc/${pid}/cgroup`,
      hint: '--join-cgroup needs cgroup v2 (a cgroup2 mount, and the target in its hierarchy), as nsenter does.',
    });
  const procs = `${mount}${line.slice(3).replace(/\/$/, '')}/cgroup.procs`;
  try {
    writeFileSync(procs, String(process.pid), { flag: 'a' });
  } catch (e) {
    throw fromFsError(e, { syscall: 'write', path: procs });
  }
}
