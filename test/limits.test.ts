import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES, namespaceLimits } from '../lib/index.js';
import { itRoot, runNode } from './support/env.js';

describe('namespaceLimits', () => {
  it('reads every type, as sysctl(8) shows them', () => {
    const limits = namespaceLimits();
    expect(Object.keys(limits).sort()).toEqual([...NAMESPACE_TYPES].sort());
    const keys = NAMESPACE_TYPES.map((t) => `user.max_${t}_namespaces`);
    const shown = execFileSync('sysctl', ['-n', ...keys], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(NAMESPACE_TYPES.map((t) => limits[t])).toEqual(shown);
  });

  itRoot("follows the caller's user namespace: a limit lowered inside shows inside only", () => {
    const out = runNode(
      `const { namespaceLimits } = require(process.env.NSBIND);
      require('fs').writeFileSync('/proc/sys/user/max_net_namespaces', '7');
      console.log(JSON.stringify(namespaceLimits()));`,
      { prefix: ['unshare', '--user', '--map-root-user'] },
    );
    const inside = JSON.parse(out);
    expect(inside.net).toBe(7);
    expect(namespaceLimits().net).not.toBe(7);
  });
});
