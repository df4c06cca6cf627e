// Links over rtnetlink (RTM_NEWLINK/DELLINK/GETLINK), named and shaped as
// `ip -j link show` prints them. Requests are checked before anything is sent.
import { describe, integer, text } from '../validate.js';
import {
  attributes,
  type Message,
  NLM_F_CREATE_EXCL,
  NLM_F_DUMP,
  Request,
  RTM,
  readI32,
  readString,
  readU8,
  readU32,
} from './message.js';
import type { Rtnetlink } from './socket.js';

/** A link as `ip -j link show` describes it (camelCase where ip's key has an underscore). */
export interface Link {
  /** ifindex. */
  index: number;
  /** ifname. */
  name: string;
  /**
   * What the link is: its kind ('veth', 'bridge', 'dummy', …, as `ip -d link` shows in linkinfo.info_kind), or,
   * for a link without one such as `lo`, its hardware type (linkType: 'loopback').
   */
  type: string;
  /** ip's link_type, the hardware type: 'ether', 'loopback', 'none', … */
  linkType: string;
  /** Administratively up (IFF_UP): what `ip link set … up` sets. */
  up: boolean;
  /** ip's flags, in its order: 'NO-CARRIER', 'LOOPBACK', 'BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP', …, 'M-DOWN'. */
  flags: string[];
  /** Operational state, as ip prints it: 'UP', 'DOWN', 'UNKNOWN', 'LOWERLAYERDOWN', … */
  operstate: string;
  mtu: number;
  /** The link-layer address (ip's address): '02:42:ac:11:00:02'. */
  mac?: string;
  /** The link-layer broadcast address. */
  broadcast?: string;
  qdisc?: string;
  txqlen?: number;
  /** The name of the link this one is enslaved to (a bridge): ip's master. */
  master?: string;
  /**
   * The link this one is tied to (IFLA_LINK; for a veth, its peer): its index in its own namespace, its
   * name when that is this namespace (ip's link), else the id this namespace gives the other one (ip's
   * link_netnsid; see nsid()).
   */
  link?: LinkPeer;
  /** For a veth: its peer, the same as `link`. */
  peer?: LinkPeer;
}

export interface LinkPeer {
  index: number;
  name?: string;
  netnsid?: number;
}

/** The kinds of link add() makes. */
export type LinkKind = 'veth' | 'bridge' | 'dummy';
const KINDS: readonly string[] = ['veth', 'bridge', 'dummy'];

/** A link given by name or by index. */
export type LinkRef = string | number;

/** What add() sends; netns values are fds here (lib/network.ts resolves them). */
export interface LinkSpec {
  name: string;
  kind: LinkKind;
  mtu?: number | undefined;
  mac?: string | undefined;
  up?: boolean | undefined;
  master?: number | undefined;
  netnsFd?: number | undefined;
  peer?:
    | {
        name?: string | undefined;
        mtu?: number | undefined;
        mac?: string | undefined;
        netnsFd?: number | undefined;
      }
    | undefined;
}

/** What set() changes. */
export interface LinkChanges {
  up?: boolean | undefined;
  mtu?: number | undefined;
  name?: string | undefined;
  mac?: string | undefined;
  /** an index, or 0 for no master (nomaster) */
  master?: number | undefined;
  netnsFd?: number | undefined;
}

const IFLA_ADDRESS = 1;
const IFLA_BROADCAST = 2;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINK = 5;
const IFLA_QDISC = 6;
const IFLA_MASTER = 10;
const IFLA_TXQLEN = 13;
const IFLA_OPERSTATE = 16;
const IFLA_LINKINFO = 18;
const IFLA_EXT_MASK = 29;
const IFLA_NET_NS_FD = 28;
const IFLA_LINK_NETNSID = 37;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFINFOMSG = 16;

// ip's order (print_link_flags); IFF_RUNNING is shown as NO-CARRIER when missing on an up link
const FLAG_NAMES: readonly [string, number][] = [
  ['LOOPBACK', 0x8],
  ['BROADCAST', 0x2],
  ['POINTOPOINT', 0x10],
  ['MULTICAST', 0x1000],
  ['NOARP', 0x80],
  ['ALLMULTI', 0x200],
  ['PROMISC', 0x100],
  ['MASTER', 0x400],
  ['SLAVE', 0x800],
  ['DEBUG', 0x4],
  ['DYNAMIC', 0x8000],
  ['AUTOMEDIA', 0x4000],
  ['PORTSEL', 0x2000],
  ['NOTRAILERS', 0x20],
  ['UP', 0x1],
  ['LOWER_UP', 0x10000],
  ['DORMANT', 0x20000],
  ['ECHO', 0x40000],
];
const OPER_STATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
const LINK_TYPES: Record<number, string> = {
  1: 'ether',
  768: 'ipip',
  769: 'tunnel6',
  772: 'loopback',
  776: 'sit',
  778: 'gre',
  823: 'ip6gre',
  65534: 'none',
  65535: 'void',
};

// dev_valid_name refuses '/', ':' and the bytes the kernel's isspace() takes (lib/ctype.c: 9 to 13, 32 and
// 0xa0, which is also a byte of UTF-8 characters such as 'à'), byte by byte; any other byte is part of a name.
const REFUSED_NAME_BYTES = new Set([0x2f, 0x3a, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]);

/**
 * A link name as the kernel accepts it (dev_valid_name): 1 to 15 bytes, not '.' or '..', none of the bytes
 * it refuses; well-formed Unicode (a lone surrogate would become another name's bytes).
 */
export function linkName(value: unknown, name: string): string {
  const n = text(value, name);
  if (/\p{Cs}/u.test(n)) throw new RangeError(`${name} has a lone surrogate (not well-formed UTF-16): ${describe(n)}`);
  const bytes = Buffer.from(n);
  if (bytes.length > 15) throw new RangeError(`${name} is longer than 15 bytes (IFNAMSIZ): ${describe(n)}`);
  if (n === '.' || n === '..' || bytes.some((b) => REFUSED_NAME_BYTES.has(b))) {
    throw new RangeError(
      `${name} is not a valid link name (no '/', ':', ASCII white space or byte 0xa0 as in 'à' or U+00A0; not '.' or '..'): ${describe(n)}`,
    );
  }
  return n;
}

/** A link by name or ifindex. */
export function linkRef(value: unknown, name: string): LinkRef {
  if (typeof value === 'number') return integer(value, name, 1, 0x7fffffff);
  if (typeof value === 'string') return linkName(value, name);
  throw new TypeError(`${name} must be a link name or index, got ${describe(value)}`);
}

export function linkKind(value: unknown, name: string): LinkKind {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (!KINDS.includes(value))
    throw new RangeError(`${name} must be one of ${KINDS.join(', ')}, got ${describe(value)}`);
  return value as LinkKind;
}

export function mtu(value: unknown, name: string): number {
  return integer(value, name, 1, 0x7fffffff);
}

/** 'aa:bb:cc:dd:ee:ff' (the links add() makes are all Ethernet-like). */
export function macAddress(value: unknown, name: string): string {
  const m = text(value, name);
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(m)) {
    throw new RangeError(`${name} must be a MAC address like 02:00:00:00:00:01, got ${describe(m)}`);
  }
  return m.toLowerCase();
}

export function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** Every link of the namespace (RTM_GETLINK dump). */
export function listLinks(nl: Rtnetlink): Link[] {
  const request = new Request('RTM_GETLINK', NLM_F_DUMP)
    .struct(IFINFOMSG, () => {})
    .u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return resolveLinks(
    nl
      .request(request, 'dump')
      .filter((m) => m.type === RTM.RTM_NEWLINK)
      .map(parseLink),
    undefined,
  );
}

/** One link (RTM_GETLINK): ENODEV when there is none by that name or index. */
export function getLink(nl: Rtnetlink, dev: LinkRef): Link {
  const [raw] = nl.request(
    byRef(new Request('RTM_GETLINK', 0), dev).u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS),
    String(dev),
    noSuchLink(dev),
  );
  if (!raw) throw new Error('nsbind: RTM_GETLINK answered without a link');
  const link = parseLink(raw);
  // its master and the link it is tied to when that is here too: for their names (and ip's M-DOWN)
  const related = [
    link.master === undefined ? undefined : Number(link.master),
    link.link?.netnsid === undefined ? link.link?.index : undefined,
  ];
  const others = related.flatMap((index) => (index === undefined ? [] : (tryGet(nl, index) ?? [])));
  return resolveLinks([link], others)[0]!;
}

/** The ifindex of a link given by name or index (an index is taken as it is). */
export function linkIndex(nl: Rtnetlink, dev: LinkRef): number {
  if (typeof dev === 'number') return dev;
  const [raw] = nl.request(
    byRef(new Request('RTM_GETLINK', 0), dev).u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS),
    dev,
    noSuchLink(dev),
  );
  if (!raw) throw new Error('nsbind: RTM_GETLINK answered without a link');
  return raw.payload.readInt32LE(4);
}

export function addLink(nl: Rtnetlink, spec: LinkSpec): void {
  const request = new Request('RTM_NEWLINK', NLM_F_CREATE_EXCL).struct(IFINFOMSG, (b) => upFlags(b, spec.up));
  request.string(IFLA_IFNAME, spec.name);
  common(request, spec);
  if (spec.master !== undefined) request.u32(IFLA_MASTER, spec.master);
  request.nest(IFLA_LINKINFO, (r) => {
    r.string(IFLA_INFO_KIND, spec.kind);
    const peer = spec.peer;
    if (spec.kind !== 'veth' || !peer) return;
    r.nest(IFLA_INFO_DATA, (d) =>
      d.nest(VETH_INFO_PEER, (p) => {
        p.struct(IFINFOMSG, () => {});
        if (peer.name !== undefined) p.string(IFLA_IFNAME, peer.name);
        common(p, peer);
      }),
    );
  });
  nl.request(request, spec.name, {
    EEXIST: `A link named "${spec.name}"${spec.peer?.name ? ` (or "${spec.peer.name}", the peer)` : ''} already exists there.`,
    ENOTSUP: `This kernel has no ${spec.kind} links (not built in, or its module is not loaded: modprobe ${spec.kind}, as root).`,
    EBADF: 'The netns given is not an open namespace file.',
    EINVAL:
      spec.netnsFd !== undefined || spec.peer?.netnsFd !== undefined
        ? 'Is the netns given a network namespace?'
        : undefined,
  });
}

export function setLink(nl: Rtnetlink, dev: LinkRef, changes: LinkChanges): void {
  // a rename needs the index (IFLA_IFNAME then carries the new name); otherwise the kernel finds the link by name
  const index = changes.name !== undefined ? linkIndex(nl, dev) : dev;
  const request = byRef(new Request('RTM_NEWLINK', 0), index, (b) => upFlags(b, changes.up));
  if (changes.name !== undefined) request.string(IFLA_IFNAME, changes.name);
  common(request, changes);
  if (changes.master !== undefined) request.u32(IFLA_MASTER, changes.master);
  nl.request(request, String(dev), {
    ...noSuchLink(dev),
    EEXIST: changes.name !== undefined ? `A link named "${changes.name}" already exists there.` : undefined,
    EBUSY: changes.name !== undefined ? 'A link can only be renamed while it is down.' : undefined,
    EBADF: 'The netns given is not an open namespace file.',
  });
}

export function delLink(nl: Rtnetlink, dev: LinkRef): void {
  nl.request(byRef(new Request('RTM_DELLINK', 0), dev), String(dev), {
    ...noSuchLink(dev),
    ENOTSUP: 'This link cannot be deleted (lo, or a device that belongs to the hardware).',
  });
}

function noSuchLink(dev: LinkRef): Record<string, string> {
  return {
    ENODEV: `There is no link ${typeof dev === 'number' ? `with index ${dev}` : `named "${dev}"`} in this network namespace (link.list() shows those there are).`,
  };
}

function tryGet(nl: Rtnetlink, index: number): RawLink | undefined {
  try {
    const [raw] = nl.request(
      byRef(new Request('RTM_GETLINK', 0), index).u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS),
      String(index),
    );
    return raw ? parseLink(raw) : undefined;
  } catch {
    return undefined; // gone meanwhile: the name is simply not known
  }
}

/** ifinfomsg naming a link by index, or by name (index 0 and IFLA_IFNAME). */
function byRef(request: Request, dev: LinkRef, fill: (b: Buffer) => void = () => {}): Request {
  request.struct(IFINFOMSG, (b) => {
    fill(b);
    if (typeof dev === 'number') b.writeInt32LE(dev, 4);
  });
  if (typeof dev === 'string') request.string(IFLA_IFNAME, dev);
  return request;
}

function upFlags(b: Buffer, up: boolean | undefined): void {
  if (up === undefined) return;
  b.writeUInt32LE(up ? IFF_UP : 0, 8);
  b.writeUInt32LE(IFF_UP, 12);
}

function common(
  request: Request,
  o: { mtu?: number | undefined; mac?: string | undefined; netnsFd?: number | undefined },
): void {
  if (o.mtu !== undefined) request.u32(IFLA_MTU, o.mtu);
  if (o.mac !== undefined) request.attr(IFLA_ADDRESS, Buffer.from(o.mac.split(':').map((h) => Number.parseInt(h, 16))));
  if (o.netnsFd !== undefined) request.u32(IFLA_NET_NS_FD, o.netnsFd);
}

interface RawLink extends Link {
  rawFlags: number;
}

function parseLink(m: Message): RawLink {
  const p = m.payload;
  const hwType = p.readUInt16LE(2);
  const flags = p.readUInt32LE(8);
  const a = attributes(p, IFINFOMSG);
  const info = a.has(IFLA_LINKINFO) ? attributes(a.get(IFLA_LINKINFO)!) : undefined;
  const kind = readString(info?.get(IFLA_INFO_KIND));
  const linkType = LINK_TYPES[hwType] ?? `[${hwType}]`;
  const link: RawLink = {
    index: p.readInt32LE(4),
    name: readString(a.get(IFLA_IFNAME)) ?? '',
    type: kind ?? linkType,
    linkType,
    up: (flags & IFF_UP) !== 0,
    flags: [],
    operstate: OPER_STATES[readU8(a.get(IFLA_OPERSTATE)) ?? 0] ?? 'UNKNOWN',
    mtu: readU32(a.get(IFLA_MTU)) ?? 0,
    rawFlags: flags,
  };
  const mac = a.get(IFLA_ADDRESS);
  if (mac) link.mac = hex(mac);
  const brd = a.get(IFLA_BROADCAST);
  if (brd) link.broadcast = hex(brd);
  const qdisc = readString(a.get(IFLA_QDISC));
  if (qdisc !== undefined) link.qdisc = qdisc;
  const txqlen = readU32(a.get(IFLA_TXQLEN));
  if (txqlen !== undefined) link.txqlen = txqlen;
  const master = readU32(a.get(IFLA_MASTER));
  if (master) link.master = String(master); // an index until resolveLinks names it
  const peer = readU32(a.get(IFLA_LINK));
  if (peer) {
    const netnsid = readI32(a.get(IFLA_LINK_NETNSID));
    link.link = netnsid === undefined ? { index: peer } : { index: peer, netnsid };
  }
  return link;
}

/** Names for master and link indexes, ip's flags (M-DOWN needs the other link's state), peer for veths. */
function resolveLinks(links: RawLink[], others: RawLink[] = []): Link[] {
  const byIndex = new Map([...links, ...others].map((l) => [l.index, l]));
  return links.map(({ rawFlags, ...link }) => {
    if (link.master !== undefined) {
      const master = byIndex.get(Number(link.master));
      if (master) link.master = master.name;
      else delete link.master;
    }
    let mdown = false;
    if (link.link && link.link.netnsid === undefined) {
      const other = byIndex.get(link.link.index);
      if (other) {
        link.link.name = other.name;
        mdown = !other.up;
      }
    }
    if (link.link && link.type === 'veth') link.peer = link.link;
    link.flags = flagNames(rawFlags, mdown);
    return link;
  });
}

function flagNames(raw: number, mdown: boolean): string[] {
  const out: string[] = [];
  if (raw & IFF_UP && !(raw & IFF_RUNNING)) out.push('NO-CARRIER');
  let left = raw & ~IFF_RUNNING;
  for (const [name, bit] of FLAG_NAMES) {
    if (left & bit) out.push(name);
    left &= ~bit;
  }
  if (left) out.push(left.toString(16));
  if (mdown) out.push('M-DOWN');
  return out;
}

function hex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
