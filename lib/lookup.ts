// Name resolution inside a network namespace (native/lookup.c): getaddrinfo(3)
// runs on a new thread of nsbind's own that joins the namespace and ends after
// it; the caller's event loop goes on meanwhile and no other thread moves.
import { isIP } from 'node:net';
import { NamespaceError } from './errors.js';
import type { Namespace } from './namespace.js';
import { native } from './native.js';
import * as validate from './validate.js';

/** As dns.lookup's options (family 0 means either). */
export interface LookupOptions {
  family?: 0 | 4 | 6 | 'IPv4' | 'IPv6' | undefined;
  /** All addresses (an array), not just the first. */
  all?: boolean | undefined;
  /** dns.ADDRCONFIG, dns.V4MAPPED, dns.ALL, as for dns.lookup. */
  hints?: number | undefined;
}

/** As dns.promises.lookup answers. */
export interface LookupAddress {
  address: string;
  family: 4 | 6;
}

const AI_FLAGS = 0x08 | 0x10 | 0x20; // AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG, as node:dns exports them

const UNPRIVILEGED_HINT =
  "Names are resolved with getaddrinfo(3) on a thread of this process that joins the namespace; a thread can join a network namespace only with CAP_SYS_ADMIN in this process's own user namespace, and cannot join the user namespace that owns it (only a single-threaded process can). Unprivileged: connect to addresses (an IP address needs no lookup), or resolve in a process inside the namespaces, e.g. spawn('getent', ['ahosts', NAME], { join: { user, net } }).";

export interface ParsedLookup {
  family: 0 | 4 | 6;
  all: boolean;
  hints: number;
}

export function parseLookupOptions(options: unknown): ParsedLookup {
  if (options === undefined) return { family: 0, all: false, hints: 0 };
  const o = validate.object(options, 'options');
  const family = o.family === 'IPv4' ? 4 : o.family === 'IPv6' ? 6 : (o.family ?? 0);
  if (family !== 0 && family !== 4 && family !== 6) {
    throw new RangeError(`options.family must be 0, 4, 6, 'IPv4' or 'IPv6', got ${validate.describe(o.family)}`);
  }
  if (o.all !== undefined && typeof o.all !== 'boolean') throw new TypeError('options.all must be a boolean');
  const hints = o.hints === undefined ? 0 : validate.integer(o.hints, 'options.hints', 0, AI_FLAGS);
  if (hints & ~AI_FLAGS) throw new RangeError('options.hints must be made of dns.ADDRCONFIG, dns.V4MAPPED and dns.ALL');
  return { family, all: o.all === true, hints };
}

/** Resolve `hostname` inside the network namespace `net`, as dns.promises.lookup would there. */
export async function lookupIn(net: Namespace, hostname: string, o: ParsedLookup): Promise<LookupAddress[]> {
  const literal = isIP(hostname);
  if (literal) return [{ address: hostname, family: literal as 4 | 6 }]; // as dns.lookup: no lookup, any family
  const pending = native.lookup(net.fd, hostname, o.family, o.hints);
  if (typeof pending === 'number') throw new NamespaceError(pending, { syscall: 'pthread_create', hostname });
  if (pending === undefined) throw new Error('nsbind: the lookup could not be set up (is this worker terminating?)');
  const answer = await pending;
  if (answer.length === 2 && typeof answer[0] === 'number') {
    const [errno, step] = answer as [number, string];
    if (step === 'setns:net') {
      throw new NamespaceError(errno, {
        syscall: 'setns',
        step,
        types: ['net'],
        path: net.path,
        hint: errno === -1 ? UNPRIVILEGED_HINT : undefined,
      });
    }
    throw new NamespaceError(errno, { syscall: 'getaddrinfo', hostname });
  }
  return (answer as [4 | 6, string][]).map(([family, address]) => ({ address, family }));
}

/** A hostname for getaddrinfo: non-empty, no NUL, at most 253 characters of a name (or any IP address). */
export function hostname(value: unknown, name = 'hostname'): string {
  const h = validate.text(value, name);
  if (!isIP(h) && Buffer.byteLength(h) > 253)
    throw new RangeError(`${name} is longer than a DNS name can be (253 bytes)`);
  return h;
}
