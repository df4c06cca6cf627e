// Addresses over rtnetlink (RTM_NEWADDR/DELADDR/GETADDR), as `ip addr` adds,
// deletes and shows them (`ip -j addr show`: one entry of addr_info each).
import { AF_INET, AF_INET6, type Cidr, type Family, familyNumber, formatAddress, type IpAddress } from '../cidr.js';
import {
  attributes,
  type Message,
  NLM_F_CREATE_EXCL,
  NLM_F_DUMP,
  Request,
  RTM,
  readString,
  readU32,
} from './message.js';
import type { Rtnetlink } from './socket.js';

/** An address as `ip -j addr show` lists it in addr_info, with its link. */
export interface Address {
  /** The link's ifindex. */
  index: number;
  /** The link's name (ip's ifname). */
  dev: string;
  family: Family;
  /** The address itself (ip's local). */
  local: string;
  prefixlen: number;
  /** `local/prefixlen`, as `ip addr add` takes it. */
  cidr: string;
  /** The peer of a point-to-point address (ip's address, shown only when it differs from local). */
  address?: string;
  broadcast?: string;
  /** ip's scope names: 'global', 'link', 'host', 'site', 'nowhere', or the number. */
  scope: string;
  /** IPv4 only: the label (ip's label), usually the link's name. */
  label?: string;
  /** ip's flags: 'dynamic' (not permanent), 'secondary', 'temporary', 'nodad', 'tentative', 'noprefixroute', … */
  flags: string[];
  /** Seconds, 4294967295 for forever (ip's valid_life_time, preferred_life_time). */
  validLifetime: number;
  preferredLifetime: number;
  /** The metric of the prefix route this address adds (ip's metric), when set. */
  metric?: number;
}

/** What addAddress sends. */
export interface AddressSpec {
  cidr: Cidr;
  broadcast?: IpAddress | undefined;
  /** true: keep IPv6 duplicate address detection off (the address is usable at once). */
  nodad?: boolean | undefined;
  /** true: add no prefix route for it. */
  noprefixroute?: boolean | undefined;
}

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_BROADCAST = 4;
const IFA_CACHEINFO = 6;
const IFA_FLAGS = 8;
const IFA_RT_PRIORITY = 9;
const IFA_F_SECONDARY = 0x01;
const IFA_F_NODAD = 0x02;
const IFA_F_PERMANENT = 0x80;
const IFA_F_NOPREFIXROUTE = 0x200;
const IFADDRMSG = 8;

// ip's order (print_ifa_flags); IFA_F_SECONDARY is 'temporary' for IPv6, IFA_F_PERMANENT shows as 'dynamic' when missing
const FLAG_NAMES: readonly [string, number][] = [
  ['secondary', IFA_F_SECONDARY],
  ['nodad', IFA_F_NODAD],
  ['optimistic', 0x04],
  ['dadfailed', 0x08],
  ['home', 0x10],
  ['deprecated', 0x20],
  ['tentative', 0x40],
  ['permanent', IFA_F_PERMANENT],
  ['mngtmpaddr', 0x100],
  ['noprefixroute', IFA_F_NOPREFIXROUTE],
  ['autojoin', 0x400],
  ['stable-privacy', 0x800],
];

/** ip's scope names (rtnl_rtscope_n2a). */
export function scopeName(scope: number): string {
  return { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' }[scope] ?? String(scope);
}

export function addAddress(nl: Rtnetlink, index: number, dev: string, spec: AddressSpec): void {
  const { cidr } = spec;
  const flags = (spec.nodad ? IFA_F_NODAD : 0) | (spec.noprefixroute ? IFA_F_NOPREFIXROUTE : 0);
  const request = header(new Request('RTM_NEWADDR', NLM_F_CREATE_EXCL), cidr, index, flags, defaultScope(cidr));
  request.attr(IFA_LOCAL, cidr.bytes).attr(IFA_ADDRESS, cidr.bytes);
  if (flags) request.u32(IFA_FLAGS, flags);
  if (spec.broadcast) request.attr(IFA_BROADCAST, spec.broadcast.bytes);
  const what = subject(cidr, dev);
  nl.request(request, what, {
    EEXIST: `${dev} has this address already.`,
    EINVAL:
      spec.broadcast && spec.broadcast.family !== cidr.family
        ? 'The broadcast address is of another family.'
        : undefined,
    EACCES: cidr.family === 'inet6' ? 'IPv6 may be disabled on this link (net.ipv6.conf.DEV.disable_ipv6).' : undefined,
  });
}

/** `prefixed`: the prefix length was given (without one, an IPv4 address is deleted whatever its length, as ip does). */
export function delAddress(nl: Rtnetlink, index: number, dev: string, cidr: Cidr, prefixed: boolean): void {
  const wildcard = !prefixed && cidr.family === 'inet';
  const request = header(
    new Request('RTM_DELADDR', 0),
    { ...cidr, prefixlen: wildcard ? 0 : cidr.prefixlen },
    index,
    0,
    0,
  );
  request.attr(IFA_LOCAL, cidr.bytes);
  if (!wildcard) request.attr(IFA_ADDRESS, cidr.bytes);
  nl.request(request, subject(cidr, dev), {
    EADDRNOTAVAIL: `${dev} has no such address (addr.list() shows those it has).`,
  });
}

/**
 * Every address, or those of one link; grouped by link, as ip shows them. The dump is of every link's:
 * the kernel marks one it changed under (NLM_F_DUMP_INTR) only then, not when it filters by index.
 */
export function listAddresses(nl: Rtnetlink, index: number | undefined, names: ReadonlyMap<number, string>): Address[] {
  const request = new Request('RTM_GETADDR', NLM_F_DUMP).struct(IFADDRMSG, () => {});
  const out: Address[] = [];
  for (const m of nl.request(request, 'dump')) {
    const a = m.type === RTM.RTM_NEWADDR ? parseAddress(m, names) : undefined;
    if (a && (index === undefined || a.index === index)) out.push(a);
  }
  return out.sort((x, y) => x.index - y.index); // stable: within a link, the kernel's order (IPv4, then IPv6)
}

function header(request: Request, cidr: Cidr, index: number, flags: number, scope: number): Request {
  return request.struct(IFADDRMSG, (b) => {
    b[0] = familyNumber(cidr.family);
    b[1] = cidr.prefixlen;
    b[2] = flags & 0xff;
    b[3] = scope;
    b.writeUInt32LE(index, 4);
  });
}

function subject(cidr: Cidr, dev: string): string {
  return `${formatAddress(cidr.family, cidr.bytes)}/${cidr.prefixlen} dev ${dev}`;
}

/** As ip: loopback addresses are host scope, IPv6 link-local ones link scope, the rest global. */
function defaultScope(cidr: Cidr): number {
  const b = cidr.bytes;
  if (cidr.family === 'inet') return b[0] === 127 ? 254 : 0;
  if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return 254;
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80 ? 253 : 0;
}

function parseAddress(m: Message, names: ReadonlyMap<number, string>): Address | undefined {
  const p = m.payload;
  const family = p[0] === AF_INET ? 'inet' : p[0] === AF_INET6 ? 'inet6' : undefined;
  if (!family) return undefined;
  const a = attributes(p, IFADDRMSG);
  const localBytes = a.get(IFA_LOCAL) ?? a.get(IFA_ADDRESS);
  if (!localBytes) return undefined;
  const index = p.readUInt32LE(4);
  const prefixlen = p[1]!;
  const flags = readU32(a.get(IFA_FLAGS)) ?? p[2]!;
  const local = formatAddress(family, localBytes);
  const cache = a.get(IFA_CACHEINFO);
  const out: Address = {
    index,
    dev: names.get(index) ?? String(index),
    family,
    local,
    prefixlen,
    cidr: `${local}/${prefixlen}`,
    scope: scopeName(p[3]!),
    flags: flagNames(flags, family),
    validLifetime: cache && cache.length >= 8 ? cache.readUInt32LE(4) : 0xffffffff,
    preferredLifetime: cache && cache.length >= 8 ? cache.readUInt32LE(0) : 0xffffffff,
  };
  const peer = a.get(IFA_ADDRESS);
  if (peer && a.has(IFA_LOCAL) && !peer.equals(localBytes)) out.address = formatAddress(family, peer);
  const brd = a.get(IFA_BROADCAST);
  if (brd) out.broadcast = formatAddress(family, brd);
  const label = readString(a.get(IFA_LABEL));
  if (label !== undefined) out.label = label;
  const metric = readU32(a.get(IFA_RT_PRIORITY));
  if (metric !== undefined) out.metric = metric;
  return out;
}

function flagNames(flags: number, family: Family): string[] {
  const out: string[] = [];
  for (const [name, bit] of FLAG_NAMES) {
    if (bit === IFA_F_PERMANENT) {
      if (!(flags & bit)) out.push('dynamic');
    } else if (flags & bit) out.push(bit === IFA_F_SECONDARY && family === 'inet6' ? 'temporary' : name);
  }
  return out;
}
