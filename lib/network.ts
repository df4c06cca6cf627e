// network(ns): one network namespace, used from this process without moving
// any thread. Sockets are made inside it (and so live there for good), links,
// addresses and routes are configured over a NETLINK_ROUTE socket made inside
// it, and names are resolved inside it.
import type * as dgram from 'node:dgram';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type * as net from 'node:net';
import { inspect } from 'node:util';
import { type Cidr, type Family, formatAddress, hasHostBits, type IpAddress, parseAddress, parseCidr } from './cidr.js';
import { NamespaceError } from './errors.js';
import { hostname, type LookupAddress, type LookupOptions, lookupIn, parseLookupOptions } from './lookup.js';
import { Namespace } from './namespace.js';
import { type Address, addAddress, delAddress, listAddresses } from './netlink/addr.js';
import {
  addLink,
  boolean,
  delLink,
  getLink,
  type Link,
  type LinkChanges,
  type LinkKind,
  type LinkRef,
  linkIndex,
  linkKind,
  linkName,
  linkRef,
  listLinks,
  macAddress,
  mtu,
  setLink,
} from './netlink/link.js';
import { getNsid } from './netlink/nsid.js';
import {
  addRoute,
  delRoute,
  listRoutes,
  ROUTE_TYPES,
  type Route,
  type RouteSpec,
  type RouteType,
  tableNumber,
} from './netlink/route.js';
import { Rtnetlink } from './netlink/socket.js';
import { NAMESPACE, type NetnsRef, openNetns } from './netns-ref.js';
import * as sockets from './network-socket.js';
import { type SocketTarget, socketTarget } from './socket-at.js';
import * as validate from './validate.js';

export type { Family } from './cidr.js';
export type { LookupAddress, LookupOptions } from './lookup.js';
export type { Address } from './netlink/addr.js';
export type { Link, LinkKind, LinkPeer, LinkRef } from './netlink/link.js';
export type { Route, RouteType } from './netlink/route.js';
export type { NetnsRef } from './netns-ref.js';
export type { ConnectOptions, DgramOptions, ListenOptions, SocketOptions } from './network-socket.js';

/** link.add(): a link to create, as `ip link add NAME type KIND …`. */
export interface LinkAddOptions {
  name: string;
  type: LinkKind;
  mtu?: number;
  /** 'aa:bb:cc:dd:ee:ff' */
  mac?: string;
  /** Bring it up at once. */
  up?: boolean;
  /** Enslave it to this bridge (a link of this namespace; not with netns). */
  master?: LinkRef;
  /** Create it in that network namespace instead of this one. */
  netns?: NetnsRef;
  /** veth only: the other end; by default in this namespace, with a name the kernel picks. */
  peer?: { name?: string; netns?: NetnsRef; mtu?: number; mac?: string };
}

/** link.set(): what to change, as `ip link set DEV …`. */
export interface LinkSetOptions {
  up?: boolean;
  mtu?: number;
  /** A new name (the link must be down). */
  name?: string;
  mac?: string;
  /** A bridge of this namespace to enslave it to, or null to release it (nomaster). */
  master?: LinkRef | null;
  /** Move the link into that network namespace (its addresses and routes do not go with it). */
  netns?: NetnsRef;
}

/** addr.add() options, as `ip addr add … [brd ADDR] [nodad] [noprefixroute]`. */
export interface AddressAddOptions {
  broadcast?: string;
  /** IPv6: no duplicate address detection, so the address is usable at once (not 'tentative'). */
  nodad?: boolean;
  noprefixroute?: boolean;
}

/** route.add()/del(), as `ip route add TO [via GW] [dev DEV] [metric N] [table T] [src ADDR] [onlink]`. */
export interface RouteOptions {
  /** 'default' or a prefix ('10.9.0.0/16', '2001:db8::/32'); a bare address is a host route. */
  to: string;
  via?: string;
  dev?: LinkRef;
  metric?: number;
  /** 'main' (the default), 'local', 'default' or a number. */
  table?: string | number;
  /** The preferred source address (ip's src, shown as prefsrc). */
  src?: string;
  type?: RouteType;
  onlink?: boolean;
  /** For a default route without via: 'inet' (the default, as ip) or 'inet6'. */
  family?: Family;
}

/** route.list() filter. */
export interface RouteListOptions {
  /** 'inet' (the default, as `ip route show`), 'inet6' (as `ip -6 route show`) or 'all' (both). */
  family?: Family | 'all';
  /** 'main' (the default, as ip route show), 'local', 'default', a number, or 'all'. */
  table?: string | number;
}

const EBADF = -9;

/**
 * A network namespace to use from this process: `target` is a Namespace, a
 * namespace file path ('/proc/PID/ns/net'), a name in /run/netns (as `ip
 * netns` names them) or an fd; without one, the calling thread's own. The
 * NetworkNamespace keeps the namespace (its own handle) until close().
 */
export function network(target?: NetnsRef): NetworkNamespace {
  if (target === undefined) return new NetworkNamespace(Namespace.current('net'));
  const owned: Namespace[] = [];
  try {
    const ns = openNetns(target, 'target', owned);
    const opened = owned.indexOf(ns);
    if (opened < 0) return new NetworkNamespace(Namespace.fromFd(ns.fd)); // the caller's handle: keep a duplicate
    owned.splice(opened, 1);
    return new NetworkNamespace(ns);
  } finally {
    for (const ns of owned) ns.close();
  }
}

export class NetworkNamespace implements Disposable {
  /** Links, as `ip link`. */
  readonly link: Links;
  /** Addresses, as `ip addr`. */
  readonly addr: Addresses;
  /** Routes, as `ip route`. */
  readonly route: Routes;
  #ns: Namespace;
  #target: SocketTarget | undefined;
  #netlink: Rtnetlink | undefined;
  #closed = false;
  readonly #sockets: sockets.SocketContext = {
    target: () => this.#socketTarget(),
    resolve: (host, family) => this.#resolve(host, family),
  };

  /** @internal Made by network(). */
  constructor(ns: Namespace) {
    this.#ns = ns;
    const config = { netlink: () => this.#rtnetlink() };
    this.link = new Links(config);
    this.addr = new Addresses(config);
    this.route = new Routes(config);
  }

  /** The network namespace (a handle this object owns and closes). */
  get namespace(): Namespace {
    this.#live();
    return this.#ns;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A new socket inside the namespace: an O_CLOEXEC, blocking fd that the caller owns (and closes). */
  socket(options: sockets.SocketOptions): number {
    return sockets.socket(this.#sockets, options);
  }

  /**
   * Make `server` (any net.Server: http, https too) listen on a socket bound
   * inside the namespace. Resolves with server.address() (for a Unix socket, its path) once it listens.
   */
  listen(server: net.Server, options?: sockets.ListenOptions): Promise<net.AddressInfo | string | null> {
    return sockets.listen(this.#sockets, server, options);
  }

  /**
   * As net.connect, from inside the namespace: TCP (host, port) or a Unix
   * socket (path). A host name is resolved inside for the socket's family,
   * which is the host's for an address, else options.family (4 or 6), else 4;
   * no host is localhost: 127.0.0.1 (::1 for family 6), with no lookup.
   */
  connect(options: sockets.ConnectOptions): net.Socket {
    return sockets.connect(this.#sockets, options);
  }

  /** A dgram socket bound inside the namespace; resolves once bound. */
  dgram(type: 'udp4' | 'udp6', options?: sockets.DgramOptions): Promise<dgram.Socket> {
    return sockets.dgramSocket(this.#sockets, type, options);
  }

  /** An http.Agent whose connections start inside the namespace (for http.request, fetch-less clients…). */
  httpAgent(options?: http.AgentOptions): http.Agent {
    return sockets.httpAgent(this.#sockets, options);
  }

  /** An https.Agent whose connections start inside the namespace. */
  httpsAgent(options?: https.AgentOptions): https.Agent {
    return sockets.httpsAgent(this.#sockets, options);
  }

  /**
   * Resolve `host` inside the namespace (getaddrinfo on a thread of nsbind's
   * that joins it; needs CAP_SYS_ADMIN in this process's user namespace), as
   * dns.promises.lookup: the first address, or all with { all: true }.
   */
  lookup(host: string, options: LookupOptions & { all: true }): Promise<LookupAddress[]>;
  lookup(host: string, options?: LookupOptions): Promise<LookupAddress>;
  async lookup(host: string, options?: LookupOptions): Promise<LookupAddress | LookupAddress[]> {
    const name = hostname(host);
    const o = parseLookupOptions(options);
    const found = await lookupIn(this.namespace, name, o);
    if (o.all) return found;
    if (found[0]) return found[0];
    throw new NamespaceError(-3008, { syscall: 'getaddrinfo', hostname: name });
  }

  /**
   * The id this namespace gives network namespace `of` (RTM_GETNSID), as `ip
   * netns list-id` and ip's link_netnsid show it; undefined when it has none.
   */
  nsid(of: NetnsRef): number | undefined {
    const owned: Namespace[] = [];
    try {
      const ns = openNetns(of, 'of', owned);
      return getNsid(this.#rtnetlink(), ns.fd);
    } finally {
      for (const o of owned) o.close();
    }
  }

  /** Close the namespace handle and the netlink socket (sockets made here stay the caller's). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#netlink?.close();
    this.#target?.user?.close();
    this.#ns.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal For netns-ref: the handle, as a `netns` option value. */
  [NAMESPACE](): Namespace {
    return this.namespace;
  }

  [inspect.custom](): string {
    return `NetworkNamespace <${this.#closed ? 'closed' : this.#ns.toString()}>`;
  }

  #live(): void {
    if (this.#closed) {
      throw new NamespaceError(EBADF, { syscall: 'netns', hint: 'This NetworkNamespace was closed.' });
    }
  }

  #socketTarget(): SocketTarget {
    this.#live();
    this.#target ??= socketTarget(this.#ns);
    return this.#target;
  }

  #rtnetlink(): Rtnetlink {
    this.#netlink ??= Rtnetlink.open(this.#socketTarget());
    return this.#netlink;
  }

  #resolve(host: string, family: 0 | 4 | 6): Promise<LookupAddress> {
    return this.lookup(host, { family });
  }
}

interface Config {
  netlink(): Rtnetlink;
}

const LINK_ADD_KEYS = ['name', 'type', 'mtu', 'mac', 'up', 'master', 'netns', 'peer'];
// no 'up': the kernel cannot open a veth end before its peer exists (ENOTCONN); set it up afterwards
const PEER_KEYS = ['name', 'netns', 'mtu', 'mac'];
const LINK_SET_KEYS = ['up', 'mtu', 'name', 'mac', 'master', 'netns'];
const ADDR_KEYS = ['broadcast', 'nodad', 'noprefixroute'];
const ROUTE_KEYS = ['to', 'via', 'dev', 'metric', 'table', 'src', 'type', 'onlink', 'family'];

/** net.link: links of the namespace, as `ip link`. */
export class Links {
  readonly #c: Config;
  /** @internal Made by NetworkNamespace. */
  constructor(config: Config) {
    this.#c = config;
  }

  /** Every link (`ip -j link show`). */
  list(): Link[] {
    return listLinks(this.#c.netlink());
  }

  /** One link by name or index (`ip -j link show dev DEV`); ENODEV if there is none. */
  get(dev: LinkRef): Link {
    const ref = linkRef(dev, 'dev');
    return getLink(this.#c.netlink(), ref);
  }

  /** Create a veth pair, a bridge or a dummy link (`ip link add`). */
  add(options: LinkAddOptions): void {
    const o = validate.object(options, 'options');
    validate.knownKeys(o, LINK_ADD_KEYS, 'options');
    const kind = linkKind(o.type, 'options.type');
    const p = o.peer === undefined ? undefined : validate.object(o.peer, 'options.peer');
    if (p && kind !== 'veth') throw new TypeError('options.peer is for veth links only');
    if (p) validate.knownKeys(p, PEER_KEYS, 'options.peer');
    if (o.master !== undefined && o.netns !== undefined) {
      throw new TypeError(
        'options.master cannot go with options.netns: set the master in the namespace the link is in',
      );
    }
    const spec = {
      name: linkName(o.name, 'options.name'),
      kind,
      mtu: optional(o.mtu, 'options.mtu', mtu),
      mac: optional(o.mac, 'options.mac', macAddress),
      up: optional(o.up, 'options.up', boolean),
      peer: {
        name: optional(p?.name, 'options.peer.name', linkName),
        mtu: optional(p?.mtu, 'options.peer.mtu', mtu),
        mac: optional(p?.mac, 'options.peer.mac', macAddress),
      },
    };
    const master = optional(o.master, 'options.master', linkRef);
    const owned: Namespace[] = [];
    try {
      const netnsFd = optional(o.netns, 'options.netns', (v, n) => openNetns(v, n, owned).fd);
      const peerNetnsFd = optional(p?.netns, 'options.peer.netns', (v, n) => openNetns(v, n, owned).fd);
      const nl = this.#c.netlink();
      addLink(nl, {
        ...spec,
        netnsFd,
        peer: kind === 'veth' ? { ...spec.peer, netnsFd: peerNetnsFd } : undefined,
        master: master === undefined ? undefined : linkIndex(nl, master),
      });
    } finally {
      for (const ns of owned) ns.close();
    }
  }

  /** Change a link (`ip link set DEV up|mtu|name|address|master|nomaster|netns`). */
  set(dev: LinkRef, changes: LinkSetOptions): void {
    const ref = linkRef(dev, 'dev');
    const o = validate.object(changes, 'changes');
    validate.knownKeys(o, LINK_SET_KEYS, 'changes');
    const parsed: LinkChanges = {
      up: optional(o.up, 'changes.up', boolean),
      mtu: optional(o.mtu, 'changes.mtu', mtu),
      name: optional(o.name, 'changes.name', linkName),
      mac: optional(o.mac, 'changes.mac', macAddress),
    };
    const master = o.master === null ? null : optional(o.master, 'changes.master', linkRef);
    const owned: Namespace[] = [];
    try {
      parsed.netnsFd = optional(o.netns, 'changes.netns', (v, n) => openNetns(v, n, owned).fd);
      const nl = this.#c.netlink();
      if (master !== undefined) parsed.master = master === null ? 0 : linkIndex(nl, master);
      setLink(nl, ref, parsed);
    } finally {
      for (const ns of owned) ns.close();
    }
  }

  /** Delete a link (`ip link del DEV`); a veth takes its peer with it. */
  del(dev: LinkRef): void {
    const ref = linkRef(dev, 'dev');
    delLink(this.#c.netlink(), ref);
  }
}

/** net.addr: addresses of the namespace, as `ip addr`. */
export class Addresses {
  readonly #c: Config;
  /** @internal Made by NetworkNamespace. */
  constructor(config: Config) {
    this.#c = config;
  }

  /** Add `cidr` ('10.0.0.1/24', '2001:db8::1/64') to link `dev` (`ip addr add CIDR dev DEV`). */
  add(dev: LinkRef, cidr: string, options?: AddressAddOptions): void {
    const ref = linkRef(dev, 'dev');
    const address = parseCidr(cidr, 'cidr');
    const o = options === undefined ? {} : validate.object(options, 'options');
    validate.knownKeys(o, ADDR_KEYS, 'options');
    const broadcast = optional(o.broadcast, 'options.broadcast', parseAddress);
    if (broadcast && broadcast.family !== address.family)
      throw new RangeError('options.broadcast is of another family than cidr');
    const spec = {
      cidr: address,
      broadcast,
      nodad: optional(o.nodad, 'options.nodad', boolean),
      noprefixroute: optional(o.noprefixroute, 'options.noprefixroute', boolean),
    };
    const nl = this.#c.netlink();
    addAddress(nl, linkIndex(nl, ref), String(ref), spec);
  }

  /** Remove an address from `dev` (`ip addr del CIDR dev DEV`). */
  del(dev: LinkRef, cidr: string): void {
    const ref = linkRef(dev, 'dev');
    const address = parseCidr(cidr, 'cidr');
    const nl = this.#c.netlink();
    delAddress(nl, linkIndex(nl, ref), String(ref), address, String(cidr).includes('/'));
  }

  /** The addresses of every link, or of `dev` (`ip -j addr show [dev DEV]`, flattened). */
  list(dev?: LinkRef): Address[] {
    const ref = dev === undefined ? undefined : linkRef(dev, 'dev');
    const nl = this.#c.netlink();
    return listAddresses(nl, ref === undefined ? undefined : linkIndex(nl, ref), linkNames(nl));
  }
}

/** net.route: routes of the namespace, as `ip route`. */
export class Routes {
  readonly #c: Config;
  /** @internal Made by NetworkNamespace. */
  constructor(config: Config) {
    this.#c = config;
  }

  /** Add a route (`ip route add`): { to: 'default' | prefix, via?, dev?, … }. */
  add(options: RouteOptions): void {
    const [spec, dev, what] = routeSpec(options);
    const nl = this.#c.netlink();
    addRoute(nl, { ...spec, oif: dev === undefined ? undefined : linkIndex(nl, dev) }, what);
  }

  /** Delete a route (`ip route del`): the first that matches what is given. */
  del(options: RouteOptions): void {
    const [spec, dev, what] = routeSpec(options);
    const nl = this.#c.netlink();
    delRoute(nl, { ...spec, oif: dev === undefined ? undefined : linkIndex(nl, dev) }, what);
  }

  /** The IPv4 routes of table main, as `ip -j route show` lists them, or what the options say (`ip -6 …`, both). */
  list(options?: RouteListOptions): Route[] {
    const o = options === undefined ? {} : validate.object(options, 'options');
    validate.knownKeys(o, ['family', 'table'], 'options');
    const family = o.family === 'all' ? undefined : (optional(o.family, 'options.family', familyName) ?? 'inet');
    const table = o.table === 'all' ? undefined : o.table === undefined ? 254 : table_(o.table, 'options.table');
    const nl = this.#c.netlink();
    return listRoutes(nl, family, table, linkNames(nl));
  }
}

/** The route options checked: the spec (without the link's index), the link, and how errors name the route. */
function routeSpec(options: unknown): [RouteSpec, LinkRef | undefined, string] {
  const o = validate.object(options, 'options');
  validate.knownKeys(o, ROUTE_KEYS, 'options');
  if (o.to === undefined) throw new TypeError("options.to is required: 'default' or a prefix");
  const to: Cidr | undefined = o.to === 'default' ? undefined : parseCidr(o.to, 'options.to');
  if (to && hasHostBits(to)) {
    throw new RangeError(`options.to ${String(o.to)} has bits set past its prefix length (a route goes to a network)`);
  }
  const via = optional(o.via, 'options.via', parseAddress);
  const src = optional(o.src, 'options.src', parseAddress);
  const asked = optional(o.family, 'options.family', familyName);
  const family = to?.family ?? via?.family ?? asked ?? 'inet';
  for (const [name, a] of [
    ['via', via],
    ['src', src],
  ] as const)
    if (a && a.family !== family) throw new RangeError(`options.${name} is not of the route's family (${family})`);
  if (asked && asked !== family) throw new RangeError(`options.family ${asked} does not match the route's addresses`);
  const type = o.type === undefined ? undefined : routeType(o.type);
  const dev = o.dev === undefined ? undefined : linkRef(o.dev, 'options.dev');
  const spec: RouteSpec = {
    family,
    to,
    via,
    src,
    type,
    metric: o.metric === undefined ? undefined : validate.integer(o.metric, 'options.metric', 0, 0xffffffff),
    table: o.table === undefined ? undefined : table_(o.table, 'options.table'),
    onlink: optional(o.onlink, 'options.onlink', boolean),
  };
  const what = [
    to ? `${formatAddress(to.family, to.bytes)}/${to.prefixlen}` : 'default',
    via && `via ${show(via)}`,
    dev !== undefined && `dev ${dev}`,
  ]
    .filter(Boolean)
    .join(' ');
  return [spec, dev, what];
}

/** ifindex → name for every link (to name `dev` in addresses and routes). */
function linkNames(nl: Rtnetlink): Map<number, string> {
  return new Map(listLinks(nl).map((l) => [l.index, l.name]));
}

function optional<T>(value: unknown, name: string, parse: (v: unknown, name: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value, name);
}

function familyName(value: unknown, name: string): Family {
  if (value === 'inet' || value === 'inet6') return value;
  throw new (typeof value === 'string' ? RangeError : TypeError)(
    `${name} must be 'inet' or 'inet6', got ${validate.describe(value)}`,
  );
}

function routeType(value: unknown): RouteType {
  if (typeof value === 'string' && (ROUTE_TYPES as readonly string[]).includes(value)) return value as RouteType;
  throw new (typeof value === 'string' ? RangeError : TypeError)(
    `options.type must be one of ${ROUTE_TYPES.join(', ')}, got ${validate.describe(value)}`,
  );
}

function table_(value: unknown, name: string): number {
  if (typeof value === 'number') return validate.integer(value, name, 1, 0xffffffff);
  const n = typeof value === 'string' ? tableNumber(value) : undefined;
  if (n === undefined)
    throw new (typeof value === 'string' ? RangeError : TypeError)(
      `${name} must be 'main', 'local', 'default' or a number, got ${validate.describe(value)}`,
    );
  return n;
}

function show(a: IpAddress): string {
  return formatAddress(a.family, a.bytes);
}

/**
 * The id network namespace `inNamespace` (default: the calling thread's) gives
 * network namespace `of`, as `ip netns list-id` shows it; undefined when it
 * has given it none. Ids are given when needed (a veth peer over there) or with
 * `ip netns set NAME auto`.
 */
export function nsid(of: NetnsRef, inNamespace?: NetnsRef): number | undefined {
  using net = network(inNamespace);
  return net.nsid(of);
}
