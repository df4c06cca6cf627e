import { openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Namespace, NamespaceError } from '../lib/index.js';
import { compileC } from './support/cc.js';
import { runNode } from './support/env.js';

/** Run `script` (with NSBIND loaded as `nsbind`) as if on a kernel lacking nsfs ioctls >= minNr. */
function onOldKernel(minNr: number, script: string, bugPid = 0): unknown {
  const exe = compileC('old-kernel', readFileSync(new URL('./fixtures/old-kernel.c', import.meta.url), 'latin1'));
  const body = `const nsbind = require(process.env.NSBIND);
    const report = (f) => { try { return { value: String(f()) }; } catch (e) { return { name: e.name, code: e.code, message: e.message, hint: e.hint, request: e.request }; } };
    console.log(JSON.stringify(${script}));`;
  return JSON.parse(runNode(body, { prefix: [exe, String(minNr), String(bugPid)] }));
}

describe('NamespaceError', () => {
  it("looks like Node's own SystemError", () => {
    let nodeError: NodeJS.ErrnoException | undefined;
    try {
      openSync('/proc/self/ns/nonexistent', 'r');
    } catch (e) {
      nodeError = e as NodeJS.ErrnoException;
    }
    try {
      Namespace.open('/proc/self/ns/nonexistent');
      expect.unreachable();
    } catch (e) {
      const err = e as NamespaceError;
      expect(err).toBeInstanceOf(NamespaceError);
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('NamespaceError');
      expect(err.message).toBe(nodeError!.message);
      expect(err.code).toBe(nodeError!.code);
      expect(err.errno).toBe(nodeError!.errno);
      expect(err.syscall).toBe(nodeError!.syscall);
      expect(err.path).toBe(nodeError!.path);
      expect(err.stack).toMatch(/errors\.test\.ts/);
    }
  });

  it('names errnos libuv does not know (EUSERS, ENOEXEC) from the C library', () => {
    for (const [errno, code, text] of [
      [87, 'EUSERS', 'too many users'],
      [8, 'ENOEXEC', 'exec format error'],
      [1, 'EPERM', 'operation not permitted'],
    ] as const) {
      const err = new NamespaceError(errno, { syscall: 'setns' });
      expect(err).toMatchObject({ code, errno: -errno });
      expect(err.message).toBe(`${code}: ${text}, setns`);
      if (code in constants.errno) expect(constants.errno[code as keyof typeof constants.errno]).toBe(errno);
    }
  });

  it('says "not supported by this kernel" for ENOTTY from a missing ioctl (NS_GET_ID on a 6.17-like kernel)', () => {
    const out = onOldKernel(
      13,
      `[report(() => nsbind.Namespace.current('net').id()), report(() => nsbind.Namespace.current('mnt').mntnsId())]`,
    ) as Record<string, string>[];
    expect(out[0]).toMatchObject({ name: 'NamespaceError', code: 'ENOTTY', request: 'NS_GET_ID' });
    expect(out[0]!.message).toBe(
      "ENOTTY: not supported by this kernel (NS_GET_ID needs Linux 6.18), ioctl NS_GET_ID '/proc/thread-self/ns/net'",
    );
    expect(out[0]!.hint).toMatch(/added in Linux 6\.18/);
    expect(out[1]).toMatchObject({ value: expect.stringMatching(/^\d+$/) }); // 6.11's ioctl still answers
  });

  it('a 6.10-like kernel: the 6.11 and 6.12 queries are ENOTTY, the 4.x ones work', () => {
    const out = onOldKernel(
      5,
      `[
      report(() => nsbind.Namespace.current('mnt').mntnsId()),
      report(() => nsbind.Namespace.current('mnt').mntInfo().nrMounts),
      report(() => nsbind.Namespace.current('mnt').mntNext()),
      report(() => nsbind.Namespace.current('pid').pidInPidns(process.pid)),
      report(() => nsbind.Namespace.current('user').ownerUid()),
      report(() => nsbind.Namespace.current('net').userNamespace().type),
    ]`,
    ) as Record<string, string>[];
    expect(out.slice(0, 4).map((r) => [r.code, r.request])).toEqual([
      ['ENOTTY', 'NS_GET_MNTNS_ID'],
      ['ENOTTY', 'NS_MNT_GET_INFO'],
      ['ENOTTY', 'NS_MNT_GET_NEXT'],
      ['ENOTTY', 'NS_GET_PID_IN_PIDNS'],
    ]);
    expect(out[0]!.message).toMatch(/not supported by this kernel \(NS_GET_MNTNS_ID needs Linux 6\.11\)/);
    expect(out[1]!.message).toMatch(/needs Linux 6\.12/);
    expect(out[4]).toEqual({ value: '0' }); // the initial user namespace belongs to uid 0
    expect(out[5]).toEqual({ value: 'user' });
  });

  it('a 6.12 kernel\'s ENOTTY for "no such pid" is reported as ESRCH', () => {
    const out = onOldKernel(99, `report(() => nsbind.Namespace.current('pid').pidFromPidns(424242))`, 424242) as Record<
      string,
      string
    >;
    expect(out).toMatchObject({ code: 'ESRCH', request: 'NS_GET_PID_FROM_PIDNS' });
  });
});
