import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as nsbind from '../lib/index.js';
import { compileC } from './support/cc.js';

const NAMES = [
  'CLONE_NEWCGROUP',
  'CLONE_NEWIPC',
  'CLONE_NEWNS',
  'CLONE_NEWNET',
  'CLONE_NEWPID',
  'CLONE_NEWTIME',
  'CLONE_NEWUSER',
  'CLONE_NEWUTS',
  'CLONE_FS',
  'CLONE_SYSVSEM',
] as const;

describe('constants', () => {
  it('match the values in the system headers', () => {
    const exe = compileC(
      'clone-flags',
      `#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
int main(void) {
${NAMES.map((n) => `  printf("%s %d\\n", "${n}", ${n});`).join('\n')}
  return 0;
}`,
    );
    const fromC = Object.fromEntries(
      execFileSync(exe, { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => {
          const [name, value] = l.split(' ');
          return [name, Number(value)];
        }),
    );
    const exported: Record<string, unknown> = { ...nsbind };
    for (const name of NAMES) expect(exported[name], name).toBe(fromC[name]);
  });

  it('name every type as /proc/PID/ns does', () => {
    const entries = execFileSync('ls', ['/proc/self/ns'], { encoding: 'utf8' }).trim().split('\n');
    expect([...nsbind.NAMESPACE_TYPES].sort()).toEqual(entries.filter((e) => !e.endsWith('_for_children')).sort());
  });

  it('convert between names and flags both ways', () => {
    for (const type of nsbind.NAMESPACE_TYPES) {
      expect(nsbind.flagToType(nsbind.typeToFlag(type))).toBe(type);
      expect(nsbind.isNamespaceType(type)).toBe(true);
    }
    expect(nsbind.typesToFlags(['net', 'uts'])).toBe(nsbind.CLONE_NEWNET | nsbind.CLONE_NEWUTS);
    expect(nsbind.flagsToTypes(nsbind.CLONE_NEWNET | nsbind.CLONE_NEWUTS | nsbind.CLONE_FS)).toEqual(['net', 'uts']);
    expect(nsbind.flagToType(nsbind.CLONE_NEWNET | nsbind.CLONE_NEWUTS)).toBeUndefined();
    expect(nsbind.typesToFlags([])).toBe(0);
  });

  it('reject unknown names with a TypeError that lists the valid ones', () => {
    expect(() => nsbind.typeToFlag('network' as never)).toThrow(
      /unknown namespace type "network": expected one of cgroup, ipc, mnt/,
    );
    expect(() => nsbind.typesToFlags(['net', 'bogus' as never])).toThrow(TypeError);
    expect(() => nsbind.typesToFlags('net' as never)).toThrow(TypeError);
    for (const v of ['__proto__', 'constructor', 'toString', '', 'NET']) expect(nsbind.isNamespaceType(v)).toBe(false);
  });
});
