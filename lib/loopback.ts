// Bring `lo` up in a network namespace, as `ip link set lo up` does (the kernel
// then gives it 127.0.0.1/8 and ::1): a fresh network namespace has it down.
import type { Namespace } from './namespace.js';
import { setLink } from './netlink/link.js';
import { Rtnetlink } from './netlink/socket.js';
import { socketTarget } from './socket-at.js';

export function loopbackUp(ns: Namespace): void {
  const target = socketTarget(ns);
  try {
    using nl = Rtnetlink.open(target);
    setLink(nl, 'lo', { up: true });
  } finally {
    target.user?.close();
  }
}
