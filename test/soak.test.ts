// Leak soaks: many cycles of every resource-owning path, counted at the end.
import { describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES, Namespace, NamespaceError, spawn } from '../lib/index.js';
import { fdCount, zombies } from './support/env.js';

describe('soak', () => {
  it('100k handle open / query / error / close cycles: +0 fds', () => {
    const before = fdCount();
    let errors = 0;
    for (let i = 0; i < 100_000; i++) {
      const ns = Namespace.current(NAMESPACE_TYPES[i % NAMESPACE_TYPES.length]!);
      ns.id();
      try {
        ns.parent().close(); // EPERM or EINVAL for most: the error path
      } catch (e) {
        if (!(e instanceof NamespaceError)) throw e;
        errors++;
      }
      if (i % 10 === 0) {
        try {
          Namespace.open('/proc/self/status'); // not nsfs: the fd opened for the check must go
        } catch {
          errors++;
        }
      }
      ns.close();
    }
    expect(errors).toBeGreaterThan(100_000);
    expect(fdCount()).toBe(before);
  });

  it('10k spawns: every exit seen, 0 zombies, 0 leaked fds', async () => {
    const before = fdCount();
    let exited = 0;
    for (let batch = 0; batch < 100; batch++) {
      const children = Array.from({ length: 100 }, () => spawn('/bin/true', [], { stdio: 'ignore' }));
      const results = await Promise.all(children.map((c) => c.exited));
      exited += results.filter((r) => r.code === 0).length;
    }
    expect(exited).toBe(10_000);
    expect(zombies()).toEqual([]);
    expect(fdCount()).toBe(before);
  }, 300_000);

  it('1000 spawns whose exec fails, and 1000 with piped stdio: nothing left behind', async () => {
    const before = fdCount();
    for (let i = 0; i < 1000; i++) {
      expect(() => spawn('/nonexistent/program', [], { stdio: ['pipe', 'pipe', 'pipe'] })).toThrow(NamespaceError);
    }
    for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 100 }, () => spawn('/bin/echo', ['x']).closed));
    expect(zombies()).toEqual([]);
    expect(fdCount()).toBe(before);
  }, 300_000);
});
