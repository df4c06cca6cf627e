import { describe, expect, it } from 'vitest';
import { NAMESPACE_TYPES, namespaceLimits } from '../lib/index.js';
import { itRoot, runNode } from './support/env.js';

describe('namespaceLimits', () => {
  it('reads every type from sysctl', () => {
    const limits = namespaceLimits();
    expect(Object.keys(limits).sort()).toEqual([...NAMESPACE_TYPES].sort());
    for (const v of Object.values(limits)) expect(Number.isInteger(v) && v >= 0).toBe(true);
  });

  itRoot('follows the caller\'s user namespace: a limit lowered inside shows inside only', () => {
    const out = runNode(`const { namespaceLimits } = require(process.env.NSBIND);
      require('fs').writeFileSync('/proc/sys/user/max_net_namespaces', '7');
      console.log(JSON.stringify(namespaceLimits()));`, { prefix: ['unshare', '--user', '--map-root-user'] });
    const inside = JSON.parse(out);
    expect(inside.net).toBe(7);
    expect(namespaceLimits().net).not.toBe(7);
  });
});
