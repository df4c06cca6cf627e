import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NamespaceError, Pidfd } from '../lib/index.js';
import { fdCount } from './support/env.js';

describe('Pidfd', () => {
  it('opens a pidfd on a process; close is idempotent', () => {
    const before = fdCount();
    const p = Pidfd.open(process.pid);
    expect(p.pid).toBe(process.pid);
    expect(readlinkSync(`/proc/self/fd/${p.fd}`)).toMatch(/pidfd/);
    p.close();
    p.close();
    p[Symbol.dispose]();
    expect(p.closed).toBe(true);
    expect(() => p.fd).toThrow(NamespaceError);
    expect(fdCount()).toBe(before);
  });

  it('ESRCH for a process that does not exist; argument errors first', () => {
    expect(() => Pidfd.open(2 ** 22 + 1)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'pidfd_open' }));
    expect(() => Pidfd.open(0)).toThrow(RangeError);
    expect(() => Pidfd.open('1' as never)).toThrow(TypeError);
  });
});
