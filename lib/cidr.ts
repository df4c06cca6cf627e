// IP addresses and prefixes as bytes, parsed strictly (a malformed one is a
// TypeError/RangeError before any syscall) and printed the way iproute2
// prints them (inet_ntop: RFC 5952 compression, lowercase).
import { isIPv4, isIPv6 } from 'node:net';
import { describe, text } from './validate.js';

export type Family = 'inet' | 'inet6';

/** An IP address: its family and its bytes in network order (4 or 16). */
export interface IpAddress {
  family: Family;
  bytes: Buffer;
}

/** An address with a prefix length (`10.0.0.1/24`); a bare address has the full length. */
export interface Cidr extends IpAddress {
  prefixlen: number;
}

export const AF_INET = 2;
export const AF_INET6 = 10;

export function familyNumber(family: Family): number {
  return family === 'inet' ? AF_INET : AF_INET6;
}

export function bits(family: Family): number {
  return family === 'inet' ? 32 : 128;
}

/** Parse an IPv4 or IPv6 address (no prefix, no zone). */
export function parseAddress(value: unknown, name: string): IpAddress {
  const s = text(value, name);
  if (isIPv4(s)) return { family: 'inet', bytes: Buffer.from(s.split('.').map(Number)) };
  if (isIPv6(s) && !s.includes('%')) return { family: 'inet6', bytes: ipv6Bytes(s) };
  throw new RangeError(`${name} must be an IPv4 or IPv6 address, got ${describe(s)}`);
}

/** Parse `ADDRESS[/PREFIXLEN]`, as `ip addr add` and `ip route add` take it. */
export function parseCidr(value: unknown, name: string): Cidr {
  const s = text(value, name);
  const slash = s.indexOf('/');
  const address = parseAddress(slash < 0 ? s : s.slice(0, slash), name);
  const max = bits(address.family);
  if (slash < 0) return { ...address, prefixlen: max };
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) {
    throw new RangeError(`${name} has a bad prefix length (0 to ${max}): ${describe(s)}`);
  }
  return { ...address, prefixlen: Number(len) };
}

/** The address with every bit past the prefix cleared (the network of a route). */
export function network(cidr: Cidr): Cidr {
  const bytes = Buffer.from(cidr.bytes);
  for (let bit = cidr.prefixlen; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { ...cidr, bytes };
}

/** Whether any bit past the prefix is set (`10.0.0.1/24` as a route destination). */
export function hasHostBits(cidr: Cidr): boolean {
  return !network(cidr).bytes.equals(cidr.bytes);
}

/** Print an address as iproute2 does. */
export function formatAddress(family: Family, bytes: Buffer): string {
  if (family === 'inet') return [...bytes.subarray(0, 4)].join('.');
  return formatIpv6(bytes);
}

function ipv6Bytes(s: string): Buffer {
  // a trailing dotted quad (::ffff:10.0.0.1) is two groups
  const hex = s.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((g) => g.toString(16)).join(':'),
  );
  const groups = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const [head = '', tail] = hex.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  for (const [i, g] of all.entries()) out.writeUInt16BE(g, i * 2);
  return out;
}

function formatIpv6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, but not ::1) end in dotted IPv4, as glibc's inet_ntop prints them
  const v4 = `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${v4}`;
  if (groups.slice(0, 6).every((g) => g === 0) && groups[6] !== 0) return `::${v4}`;
  // the longest run of two or more zero groups (the first of equal ones) becomes ::
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j > i ? j : i + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
