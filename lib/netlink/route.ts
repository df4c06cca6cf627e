// Routes over rtnetlink (RTM_NEWROUTE/DELROUTE/GETROUTE), as `ip route`
// adds, deletes and shows them (`ip -j route show`, `ip -6 -j route show`).
import {
  AF_INET,
  AF_INET6,
  bits,
  type Cidr,
  type Family,
  familyNumber,
  formatAddress,
  type IpAddress,
} from '../cidr.js';
import { scopeName } from './addr.js';
import { attributes, type Message, NLM_F_CREATE_EXCL, NLM_F_DUMP, Request, RTM, readU8, readU32 } from './message.js';
import type { Rtnetlink } from './socket.js';

/** A route as `ip -j route show` prints it (camelCase), with the fields ip leaves out for defaults filled in. */
export interface Route {
  family: Family;
  /** 'unicast', 'local', 'broadcast', 'multicast', 'blackhole', 'unreachable', 'prohibit', … (ip prints it unless unicast) */
  type: string;
  /** 'default', or the destination: '10.0.0.0/24', or '10.0.0.1' for a host route (as ip prints it). */
  dst: string;
  /** The next hop (ip's gateway). */
  gateway?: string;
  /** The link the route goes out of (ip's dev). */
  dev?: string;
  /** 'main', 'local', 'default' or the number (ip prints it unless main). */
  table: string;
  /** Who added it: 'kernel', 'boot' (ip route add), 'static', 'ra', 'dhcp', … or the number (ip prints it unless boot). */
  protocol: string;
  /** 'global' (universe), 'link', 'host', … (ip prints it unless global). */
  scope: string;
  /** The preferred source address (ip's prefsrc). */
  prefsrc?: string;
  /** ip's metric (the route's priority), when set. */
  metric?: number;
  /** ip's flags: 'onlink', 'linkdown', 'dead', … */
  flags: string[];
  /** IPv6 router preference: 'low', 'medium', 'high' (ip's pref). */
  pref?: string;
}

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
export const ROUTE_TYPES: readonly RouteType[] = ['unicast', 'blackhole', 'unreachable', 'prohibit'];

/** What addRoute/delRoute send: checked and resolved (dev to an index) by lib/network.ts. */
export interface RouteSpec {
  family: Family;
  /** undefined: default */
  to: Cidr | undefined;
  via?: IpAddress | undefined;
  oif?: number | undefined;
  table?: number | undefined;
  metric?: number | undefined;
  src?: IpAddress | undefined;
  type?: RouteType | undefined;
  onlink?: boolean | undefined;
}

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_PREFSRC = 7;
const RTA_TABLE = 15;
const RTA_PREF = 20;
const RTM_F_CLONED = 0x200;
const RTNH_F_ONLINK = 0x4;
const RTN = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
];
const TABLES: Record<number, string> = { 0: 'unspec', 253: 'default', 254: 'main', 255: 'local' };
const PROTOCOLS: Record<number, string> = {
  0: 'unspec',
  1: 'redirect',
  2: 'kernel',
  3: 'boot',
  4: 'static',
  8: 'gated',
  9: 'ra',
  10: 'mrt',
  11: 'zebra',
  12: 'bird',
  13: 'dnrouted',
  14: 'xorp',
  15: 'ntk',
  16: 'dhcp',
  18: 'keepalived',
  42: 'babel',
  99: 'openr',
  186: 'bgp',
  187: 'isis',
  188: 'ospf',
  189: 'rip',
  192: 'eigrp',
};
// ip's order (print_rt_flags)
const FLAG_NAMES: readonly [string, number][] = [
  ['dead', 0x1],
  ['onlink', RTNH_F_ONLINK],
  ['pervasive', 0x2],
  ['offload', 0x8],
  ['trap', 0x40],
  ['notify', 0x100],
  ['linkdown', 0x10],
  ['unresolved', 0x20],
  ['rt_offload', 0x4000],
  ['rt_trap', 0x8000],
  ['rt_offload_failed', 0x20000000],
];
const PREFS: Record<number, string> = { 0: 'medium', 1: 'high', 3: 'low' };
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;
const RTMSG = 12;

/** Table names ip knows: 'main', 'local', 'default' and numbers. */
export function tableNumber(name: string | number): number | undefined {
  if (typeof name === 'number') return name;
  const found = Object.entries(TABLES).find(([, n]) => n === name && n !== 'unspec');
  return found ? Number(found[0]) : undefined;
}

/** As `ip route add`: table main, protocol boot, scope link for a route without a gateway. */
export function addRoute(nl: Rtnetlink, spec: RouteSpec, what: string): void {
  const type = RTN.indexOf(spec.type ?? 'unicast');
  const scope = type === 1 && !spec.via ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  const request = route(new Request('RTM_NEWROUTE', NLM_F_CREATE_EXCL), spec, RTPROT_BOOT, scope, type);
  nl.request(request, what, {
    EEXIST: 'This route exists already (route.list() shows the routes).',
    ENETUNREACH:
      'No network of this namespace reaches the gateway: add an address on its network first (or give dev with onlink: true).',
    ENETDOWN: 'The link is down: set it up first (link.set(dev, { up: true })).',
    EINVAL:
      type === 1 && !spec.via && spec.oif === undefined
        ? 'A unicast route needs a gateway (via) or a link (dev).'
        : undefined,
  });
}

/** As `ip route del`: whatever matches (scope nowhere, any protocol and type). */
export function delRoute(nl: Rtnetlink, spec: RouteSpec, what: string): void {
  const request = route(
    new Request('RTM_DELROUTE', 0),
    spec,
    0,
    RT_SCOPE_NOWHERE,
    spec.type ? RTN.indexOf(spec.type) : 0,
  );
  nl.request(request, what, { ESRCH: 'There is no such route (route.list() shows the routes).' });
}

/** Routes of one table (undefined: all tables), of one family (undefined: both); no cloned (cache) entries, as ip shows them. */
export function listRoutes(
  nl: Rtnetlink,
  family: Family | undefined,
  table: number | undefined,
  names: ReadonlyMap<number, string>,
): Route[] {
  const request = new Request('RTM_GETROUTE', NLM_F_DUMP).struct(RTMSG, (b) => {
    b[0] = family ? familyNumber(family) : 0;
  });
  const out: Route[] = [];
  for (const m of nl.request(request, 'dump')) {
    const r = m.type === RTM.RTM_NEWROUTE ? parseRoute(m, names) : undefined;
    if (r && (table === undefined || r.tableNumber === table)) out.push(r.route);
  }
  return out;
}

function route(request: Request, spec: RouteSpec, protocol: number, scope: number, type: number): Request {
  request.struct(RTMSG, (b) => {
    b[0] = familyNumber(spec.family);
    b[1] = spec.to?.prefixlen ?? 0;
    b[4] = spec.table !== undefined && spec.table < 256 ? spec.table : spec.table === undefined ? RT_TABLE_MAIN : 0;
    b[5] = protocol;
    b[6] = scope;
    b[7] = type;
    b.writeUInt32LE(spec.onlink ? RTNH_F_ONLINK : 0, 8);
  });
  if (spec.to && spec.to.prefixlen > 0) request.attr(RTA_DST, spec.to.bytes);
  if (spec.via) request.attr(RTA_GATEWAY, spec.via.bytes);
  if (spec.oif !== undefined) request.u32(RTA_OIF, spec.oif);
  if (spec.metric !== undefined) request.u32(RTA_PRIORITY, spec.metric);
  if (spec.src) request.attr(RTA_PREFSRC, spec.src.bytes);
  if (spec.table !== undefined && spec.table >= 256) request.u32(RTA_TABLE, spec.table);
  return request;
}

function parseRoute(m: Message, names: ReadonlyMap<number, string>): { route: Route; tableNumber: number } | undefined {
  const p = m.payload;
  const family = p[0] === AF_INET ? 'inet' : p[0] === AF_INET6 ? 'inet6' : undefined;
  const flags = p.readUInt32LE(8);
  if (!family || flags & RTM_F_CLONED) return undefined;
  const a = attributes(p, RTMSG);
  const dstLen = p[1]!;
  const table = readU32(a.get(RTA_TABLE)) ?? p[4]!;
  const dst = a.get(RTA_DST);
  const route: Route = {
    family,
    type: RTN[p[7]!] ?? String(p[7]),
    dst: dst
      ? `${formatAddress(family, dst)}${dstLen === bits(family) ? '' : `/${dstLen}`}`
      : dstLen
        ? `0/${dstLen}`
        : 'default',
    table: TABLES[table] ?? String(table),
    protocol: PROTOCOLS[p[5]!] ?? String(p[5]),
    scope: scopeName(p[6]!),
    flags: FLAG_NAMES.filter(([, bit]) => flags & bit).map(([name]) => name),
  };
  const gateway = a.get(RTA_GATEWAY);
  if (gateway) route.gateway = formatAddress(family, gateway);
  const oif = readU32(a.get(RTA_OIF));
  if (oif !== undefined) route.dev = names.get(oif) ?? String(oif);
  const prefsrc = a.get(RTA_PREFSRC);
  if (prefsrc) route.prefsrc = formatAddress(family, prefsrc);
  const metric = readU32(a.get(RTA_PRIORITY));
  if (metric !== undefined) route.metric = metric;
  const pref = readU8(a.get(RTA_PREF));
  if (pref !== undefined) route.pref = PREFS[pref] ?? String(pref);
  return { route, tableNumber: table };
}
