// Bring `lo` up in a network namespace, as `ip link set lo up` does (the kernel
// then gives it 127.0.0.1/8 and ::1): a fresh network namespace has it down.
import type { Namespace } from './namespace.js';
import { setLink } from './netlink/link.js';
import { Rtnetlink } from './netlink/socket.js';
import { socketTarget } from './socket-at.js';
import * as validate from './validate.js';

/** netns.create() options. */
export interface CreateOptions {
  /** Bring `lo` up in it (as `ip -n NAME link set lo up`): 127.0.0.1 and ::1 work at once. */
  loopback?: boolean;
}

export function createOptions(options: unknown): { loopback: boolean } {
  if (options === undefined) return { loopback: false };
  const o = validate.object(options, 'options');
  validate.knownKeys(o, ['loopback'], 'options');
  if (o.loopback !== undefined && typeof o.loopback !== 'boolean') {
    throw new TypeError(`options.loopback must be a boolean, got ${validate.describe(o.loopback)}`);
  }
  return { loopback: o.loopback === true };
}

export function loopbackUp(ns: Namespace): void {
  const target = socketTarget(ns);
  try {
    using nl = Rtnetlink.open(target);
    setLink(nl, 'lo', { up: true });
  } finally {
    target.user?.close();
  }
}
