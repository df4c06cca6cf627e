import { closeSync, openSync, readlinkSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Namespace, NamespaceError } from '../lib/index.js';
import { openTarget } from '../lib/target.js';
import { fdCount } from './support/env.js';

const closeAll = (owned: Namespace[]) => {
  for (const ns of owned) ns.close();
};

describe('openTarget (lib/target.ts)', () => {
  it('a handle is used as it is and stays the caller’s', () => {
    using net = Namespace.current('net');
    const owned: Namespace[] = [];
    expect(openTarget(net, 'net', 'targets.net', owned)).toBe(net);
    expect(owned).toEqual([]);
  });

  it('a path is opened and handed to the caller to close', () => {
    const before = fdCount();
    const owned: Namespace[] = [];
    const ns = openTarget('/proc/self/ns/uts', 'uts', 'targets.uts', owned);
    expect(owned).toEqual([ns]);
    expect(ns.inode).toBe(statSync('/proc/self/ns/uts').ino);
    expect(readlinkSync(`/proc/self/fd/${ns.fd}`)).toBe(readlinkSync('/proc/self/ns/uts'));
    expect(fdCount()).toBe(before + 1);
    closeAll(owned);
    expect(fdCount()).toBe(before);
  });

  it('an fd is duplicated: the caller’s own fd stays open after the opened one is closed', () => {
    const fd = openSync('/proc/self/ns/ipc', 'r');
    const owned: Namespace[] = [];
    const ns = openTarget(fd, 'ipc', 'join.ipc', owned);
    expect(ns.fd).not.toBe(fd);
    expect(ns.inode).toBe(statSync('/proc/self/ns/ipc').ino);
    closeAll(owned);
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe(readlinkSync('/proc/self/ns/ipc'));
    closeSync(fd);
  });

  it('the wrong type is a TypeError naming both; what it opened is still the caller’s to close', () => {
    const before = fdCount();
    const owned: Namespace[] = [];
    expect(() => openTarget('/proc/self/ns/net', 'uts', 'targets.uts', owned)).toThrow(
      new TypeError('targets.uts is a net namespace, not uts'),
    );
    expect(owned).toHaveLength(1);
    closeAll(owned);
    expect(fdCount()).toBe(before);
    using net = Namespace.current('net');
    expect(() => openTarget(net, 'mnt', 'join.mnt', owned)).toThrow(/join.mnt is a net namespace, not mnt/);
  });

  it('anything else: TypeError or RangeError before a syscall; a file that is not a namespace: NamespaceError', () => {
    const before = fdCount();
    const owned: Namespace[] = [];
    expect(() => openTarget({}, 'net', 'targets.net', owned)).toThrow(
      new TypeError('targets.net must be a Namespace, a path or an fd, got an object'),
    );
    expect(() => openTarget(null, 'net', 'targets.net', owned)).toThrow(/got null/);
    expect(() => openTarget(3n, 'net', 'targets.net', owned)).toThrow(TypeError);
    expect(() => openTarget(-1, 'net', 'targets.net', owned)).toThrow(RangeError);
    expect(() => openTarget(2 ** 31, 'net', 'targets.net', owned)).toThrow(RangeError);
    expect(() => openTarget('', 'net', 'targets.net', owned)).toThrow(RangeError);
    expect(() => openTarget('/nonexistent', 'net', 'targets.net', owned)).toThrow(
      expect.objectContaining({ code: 'ENOENT', path: '/nonexistent' }),
    );
    expect(() => openTarget('/proc/self/status', 'net', 'targets.net', owned)).toThrow(NamespaceError);
    expect(owned).toEqual([]);
    expect(fdCount()).toBe(before);
  });
});
