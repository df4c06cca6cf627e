import { describe, expect, it } from 'vitest';
import { native } from '../lib/native.js';
import { parseSpawn } from '../lib/spawn-options.js';
import { type Failure, STEPS, stepError } from '../lib/spawn-steps.js';

describe('spawn steps: one table', () => {
  it("has one row per step of native spawn (native/spawn.h's NSB_STEPS), in its order", () => {
    expect(Object.keys(STEPS)).toEqual(native.steps);
  });

  it('a hint suggests only what the caller has words for: none given, no remedy named', () => {
    const request = parseSpawn('/bin/true', [], { namespaces: ['net'], mountProc: true, uid: 0, gid: 0 });
    const failure: Omit<Failure, 'code'> = { aux: -1, pid: 1, request, remedies: {} };
    for (const step of native.steps) {
      for (const errno of [-1, -13, -22]) {
        const hint = stepError(errno, step, failure).hint ?? '';
        expect(hint, `${step} ${errno}`).not.toMatch(/options\.|mapRootUser|--|\(\)/);
      }
    }
  });
});
