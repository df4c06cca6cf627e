// Node sockets that live in a network namespace: the fd is made inside it
// (socket-at.ts) and handed to Node — server.listen({ fd }), new
// net.Socket({ fd }).connect(…), dgram bind({ fd }) — so no thread moves and
// every connection starts inside. Host names are resolved inside too.
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { familyNumber, type IpAddress, parseAddress } from './cidr.js';
import { NamespaceError } from './errors.js';
import type { LookupAddress } from './lookup.js';
import { native } from './native.js';
import { type SocketTarget, socketAt } from './socket-at.js';
import * as validate from './validate.js';

/** What the sockets need from their NetworkNamespace. */
export interface SocketContext {
  /** Where sockets are made (throws once the NetworkNamespace is closed). */
  target(): SocketTarget;
  /** The first address of `family` for `host`, resolved inside the namespace. */
  resolve(host: string, family: 4 | 6 | 0): Promise<LookupAddress>;
}

export interface SocketOptions {
  family: 'ipv4' | 'ipv6' | 'unix';
  type: 'stream' | 'dgram';
}

export interface ListenOptions {
  /** TCP port, 0 (the default) for one the kernel picks. */
  port?: number | undefined;
  /** An address or a name (resolved inside); without one, '::' with IPv4 too, or '0.0.0.0' without IPv6 (as Node). */
  host?: string | undefined;
  /** A Unix socket path instead of a port; '\0name' is an abstract socket, which exists per network namespace. */
  path?: string | undefined;
  backlog?: number | undefined;
  /** IPv6 only (IPV6_V6ONLY), for an IPv6 host. */
  ipv6Only?: boolean | undefined;
}

/** net.connect's options, for TCP (host, port) or a Unix socket (path). */
export type ConnectOptions = net.NetConnectOpts;

export interface DgramOptions extends Omit<dgram.SocketOptions, 'type'> {
  /** 0 (the default) for a port the kernel picks. */
  port?: number | undefined;
  /** The address to bind (or a name, resolved inside); the default is any ('0.0.0.0' or '::'). */
  address?: string | undefined;
}

const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const AF_UNIX = 1;

/** A socket (O_CLOEXEC, blocking) inside the namespace; the caller owns the fd. */
export function socket(ctx: SocketContext, options: unknown): number {
  const o = validate.object(options, 'options');
  const families = { ipv4: familyNumber('inet'), ipv6: familyNumber('inet6'), unix: AF_UNIX } as const;
  const types = { stream: SOCK_STREAM, dgram: SOCK_DGRAM } as const;
  const family = choice(o.family, 'options.family', families);
  const type = choice(o.type, 'options.type', types);
  const fd = socketAt(ctx.target(), family, type);
  native.disown(fd); // the caller's
  return fd;
}

/** server.listen on a socket bound inside the namespace; resolves with server.address() (a Unix socket's path) once listening. */
export async function listen(
  ctx: SocketContext,
  server: unknown,
  options: unknown = {},
): Promise<net.AddressInfo | string | null> {
  if (!(server instanceof net.Server)) {
    throw new TypeError(`server must be a net.Server (or http/https Server), got ${validate.describe(server)}`);
  }
  const o = validate.object(options, 'options');
  const backlog =
    o.backlog === undefined ? undefined : validate.integer(o.backlog, 'options.backlog', 0, validate.INT32_MAX);
  let fd: number;
  if (o.path !== undefined) {
    if (o.port !== undefined || o.host !== undefined) throw new TypeError('options.path cannot go with port or host');
    const address = unixAddress(o.path, 'options.path');
    fd = socketAt(ctx.target(), AF_UNIX, SOCK_STREAM);
    bindOrClose(fd, address, false, -1, String(o.path));
  } else {
    const port = portNumber(o.port ?? 0, 'options.port');
    const v6only = flag(o.ipv6Only, 'options.ipv6Only');
    fd = await bindInet(ctx, SOCK_STREAM, o.host, 'options.host', port, true, v6only);
  }
  try {
    native.disown(fd);
    server.listen({ fd, backlog });
  } catch (e) {
    native.close(fd);
    throw e;
  }
  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error) => {
      server.off('listening', done);
      reject(e);
    };
    const done = () => {
      server.off('error', fail);
      resolve();
    };
    server.once('error', fail).once('listening', done);
  });
  return o.path === undefined ? server.address() : String(o.path); // Node has no path for a server listening on an fd
}

/** net.connect from inside the namespace: a TCP or Unix socket made there, connecting. */
export function connect(ctx: SocketContext, options: unknown): net.Socket {
  const o = validate.object(options, 'options') as net.NetConnectOpts & Record<string, unknown>;
  if (typeof o.path === 'string') return connectUnix(ctx, o.path, o);
  if (o.path !== undefined && o.path !== null) throw new TypeError('options.path must be a string');
  const port = portNumber(typeof o.port === 'string' && /^\d+$/.test(o.port) ? Number(o.port) : o.port, 'options.port');
  const wanted = o.family === undefined || o.family === null ? 0 : validate.integer(o.family, 'options.family', 0, 6);
  if (wanted !== 0 && wanted !== 4 && wanted !== 6) throw new RangeError('options.family must be 0, 4 or 6');
  // no host: localhost, which is the loopback address; taken as such, since a lookup needs privilege (lookup.ts)
  const host =
    o.host === undefined || o.host === null
      ? wanted === 6
        ? '::1'
        : '127.0.0.1'
      : validate.text(o.host, 'options.host');
  const literal = net.isIP(host);
  if (literal && wanted && literal !== wanted)
    throw new RangeError(`options.host ${host} is not an IPv${wanted} address`);
  // the socket's family must be chosen before a name is resolved: the host's, the one asked for, else IPv4
  const family = (literal || wanted || 4) as 4 | 6;
  const fd = socketAt(ctx.target(), familyNumber(family === 4 ? 'inet' : 'inet6'), SOCK_STREAM);
  const lookup: net.LookupFunction = (name, _opts, callback) => {
    ctx.resolve(name, family).then(
      (a) => (callback as (e: Error | null, address: string, family: number) => void)(null, a.address, a.family),
      (e: Error) => (callback as (e: Error) => void)(e),
    );
  };
  // autoSelectFamily off: with it, Node makes sockets of its own (outside) for the other addresses
  return start(fd, o, {
    port,
    host,
    family,
    lookup: (o.lookup as net.LookupFunction | undefined) ?? lookup,
    autoSelectFamily: false,
  });
}

/** A dgram socket bound inside the namespace (resolves once bound); sends to names resolve inside too. */
export async function dgramSocket(ctx: SocketContext, type: unknown, options: unknown = {}): Promise<dgram.Socket> {
  if (type !== 'udp4' && type !== 'udp6')
    throw new TypeError(`type must be 'udp4' or 'udp6', got ${validate.describe(type)}`);
  const {
    port: rawPort,
    address,
    recvBufferSize,
    sendBufferSize,
    ...rest
  } = validate.object(options, 'options') as DgramOptions;
  const port = portNumber(rawPort ?? 0, 'options.port');
  const family: 4 | 6 = type === 'udp4' ? 4 : 6;
  const v6only = flag(rest.ipv6Only, 'options.ipv6Only');
  const reuse = flag(rest.reuseAddr, 'options.reuseAddr') === 1;
  const host = address ?? (family === 4 ? '0.0.0.0' : '::');
  const fd = await bindInet(ctx, SOCK_DGRAM, host, 'options.address', port, reuse, family === 6 ? v6only : -1, family);
  let socket: dgram.Socket;
  try {
    const lookup: dgram.SocketOptions['lookup'] = (name, _opts, callback) => {
      ctx.resolve(name, family).then(
        (a) => callback(null, a.address, a.family),
        (e: NodeJS.ErrnoException) => callback(e, '', 0),
      );
    };
    socket = dgram.createSocket({ lookup, ...rest, type });
  } catch (e) {
    native.close(fd);
    throw e;
  }
  const listening = new Promise((resolve) => socket.once('listening', resolve)); // emitted within bind()
  try {
    native.disown(fd);
    socket.bind({ fd }); // Node opens the fd and binds nothing: it is bound already
  } catch (e) {
    native.close(fd); // it could not take the fd
    throw e;
  }
  try {
    // set once Node owns the fd: a bad size throws, and closing the socket closes the fd
    if (recvBufferSize !== undefined) socket.setRecvBufferSize(recvBufferSize);
    if (sendBufferSize !== undefined) socket.setSendBufferSize(sendBufferSize);
  } catch (e) {
    socket.close();
    throw e;
  }
  await listening;
  return socket;
}

/** An http.Agent whose connections are made inside the namespace (names resolved inside). */
export function httpAgent(ctx: SocketContext, options?: http.AgentOptions): http.Agent {
  class NamespaceAgent extends http.Agent {
    override createConnection(o: http.ClientRequestArgs): net.Socket {
      return connect(ctx, o);
    }
  }
  return new NamespaceAgent(options === undefined ? undefined : validate.object(options, 'options'));
}

/** An https.Agent whose TLS connections run over sockets made inside the namespace. */
export function httpsAgent(ctx: SocketContext, options?: https.AgentOptions): https.Agent {
  class NamespaceAgent extends https.Agent {
    override createConnection(
      o: https.RequestOptions,
      callback?: (err: Error | null, s: import('node:stream').Duplex) => void,
    ) {
      // https.Agent's own createConnection does TLS (with session reuse) over the socket we hand it
      return super.createConnection({ ...o, socket: connect(ctx, o) } as https.RequestOptions, callback);
    }
  }
  return new NamespaceAgent(options === undefined ? undefined : validate.object(options, 'options'));
}

/**
 * A Unix stream socket connects at once or not at all, so it is connected here
 * (with the name's exact length; Node 20's own net pads an abstract name to
 * 108 bytes, which names another socket) and handed to Node connected; the
 * outcome is reported as net.connect does, with 'connect' or 'error'.
 */
function connectUnix(ctx: SocketContext, path: string, o: Record<string, unknown>): net.Socket {
  const address = unixAddress(path, 'options.path');
  const fd = socketAt(ctx.target(), AF_UNIX, SOCK_STREAM);
  const r = native.connectSocket(fd, address);
  if (r < 0) {
    native.close(fd);
    const socket = new net.Socket();
    const error = new NamespaceError(r, { syscall: 'connect', path });
    process.nextTick(() => socket.destroy(error));
    return socket;
  }
  const socket = wrap(fd, o);
  process.nextTick(() => {
    socket.emit('connect');
    socket.emit('ready');
  });
  return socket;
}

function start(fd: number, o: Record<string, unknown>, connectOptions: Record<string, unknown>): net.Socket {
  // manualStart: read only once connected (an unconnected socket reads as hung up); Node's own option, as for stdin
  const socket = wrap(fd, o, { manualStart: true });
  try {
    return socket.connect({ ...o, ...connectOptions } as unknown as net.NetConnectOpts);
  } catch (e) {
    socket.destroy(); // bad options Node refuses: the socket (and its fd) goes
    throw e;
  }
}

function wrap(fd: number, o: Record<string, unknown>, extra: Record<string, unknown> = {}): net.Socket {
  let socket: net.Socket;
  try {
    native.disown(fd);
    socket = new net.Socket({ fd, allowHalfOpen: o.allowHalfOpen === true, ...extra } as net.SocketConstructorOpts);
  } catch (e) {
    native.close(fd);
    throw e;
  }
  try {
    if (typeof o.timeout === 'number') socket.setTimeout(o.timeout);
  } catch (e) {
    socket.destroy();
    throw e;
  }
  return socket;
}

/** A socket of the host's family bound to host:port (a name is resolved inside first). */
async function bindInet(
  ctx: SocketContext,
  type: number,
  hostValue: unknown,
  name: string,
  port: number,
  reuse: boolean,
  v6only: -1 | 0 | 1,
  family?: 4 | 6,
): Promise<number> {
  if (hostValue === undefined) {
    // Node's default: '::' taking IPv4 too, or '0.0.0.0' where IPv6 is not available
    try {
      return bound(
        ctx,
        type,
        { family: 'inet6', bytes: Buffer.alloc(16) },
        port,
        reuse,
        v6only === -1 ? 0 : v6only,
        '::',
      );
    } catch (e) {
      if (!(e instanceof NamespaceError) || !['EAFNOSUPPORT', 'EADDRNOTAVAIL'].includes(e.code)) throw e;
      return bound(ctx, type, { family: 'inet', bytes: Buffer.alloc(4) }, port, reuse, -1, '0.0.0.0');
    }
  }
  const host = validate.text(hostValue, name);
  const literal = net.isIP(host);
  if (literal && family && literal !== family) throw new RangeError(`${name} ${host} is not an IPv${family} address`);
  const address = literal
    ? parseAddress(host, name)
    : parseAddress((await ctx.resolve(host, family ?? 0)).address, name);
  return bound(ctx, type, address, port, reuse, address.family === 'inet6' ? v6only : -1, host);
}

function bound(
  ctx: SocketContext,
  type: number,
  a: IpAddress,
  port: number,
  reuse: boolean,
  v6only: -1 | 0 | 1,
  host: string,
): number {
  const fd = socketAt(ctx.target(), familyNumber(a.family), type);
  bindOrClose(fd, inetAddress(a, port), reuse, v6only, `${a.family === 'inet6' ? `[${host}]` : host}:${port}`);
  return fd;
}

function bindOrClose(fd: number, address: Buffer, reuse: boolean, v6only: -1 | 0 | 1, what: string): void {
  const r = native.bindSocket(fd, address, reuse, v6only);
  if (r === 0) return;
  native.close(fd);
  throw new NamespaceError(r, {
    syscall: 'bind',
    path: what,
    hint:
      r === -99 ? 'No link of this network namespace has that address (addr.list() shows those there are).' : undefined,
  });
}

/** struct sockaddr_in / sockaddr_in6 for address:port. */
function inetAddress(a: IpAddress, port: number): Buffer {
  const b = Buffer.alloc(a.family === 'inet' ? 16 : 28);
  b.writeUInt16LE(familyNumber(a.family), 0);
  b.writeUInt16BE(port, 2);
  a.bytes.copy(b, a.family === 'inet' ? 4 : 8);
  return b;
}

/** struct sockaddr_un for a path; '\0name' is abstract (its length is the name's, no trailing NUL). */
function unixAddress(value: unknown, name: string): Buffer {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${validate.describe(value)}`);
  const abstract = value.startsWith('\0');
  const bytes = Buffer.from(value);
  if (bytes.length === 0 || (!abstract && bytes.includes(0)))
    throw new RangeError(`${name} must be a path ('\\0name' for an abstract socket)`);
  if (bytes.length > (abstract ? 108 : 107))
    throw new RangeError(`${name} is longer than a Unix socket address can be (108 bytes)`);
  return Buffer.concat([Buffer.from([AF_UNIX, 0]), bytes, abstract ? Buffer.alloc(0) : Buffer.alloc(1)]);
}

function portNumber(value: unknown, name: string): number {
  return validate.integer(value, name, 0, 65535);
}

function flag(value: unknown, name: string): -1 | 0 | 1 {
  if (value === undefined) return -1;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${validate.describe(value)}`);
  return value ? 1 : 0;
}

function choice<T extends Record<string, number>>(value: unknown, name: string, options: T): number {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${validate.describe(value)}`);
  if (!Object.hasOwn(options, value)) {
    throw new RangeError(`${name} must be one of ${Object.keys(options).join(', ')}, got ${validate.describe(value)}`);
  }
  return options[value]!;
}
