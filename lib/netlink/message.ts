// rtnetlink messages: building a request (header, fixed struct, attributes,
// nested attributes) and reading answers. Only what nsbind's requests need.

/** The rtnetlink message types nsbind sends, by the kernel's names. */
export const RTM = {
  RTM_NEWLINK: 16,
  RTM_DELLINK: 17,
  RTM_GETLINK: 18,
  RTM_NEWADDR: 20,
  RTM_DELADDR: 21,
  RTM_GETADDR: 22,
  RTM_NEWROUTE: 24,
  RTM_DELROUTE: 25,
  RTM_GETROUTE: 26,
  RTM_GETNSID: 90,
} as const;
export type RtnetlinkRequest = keyof typeof RTM;

const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
/** NLM_F_CREATE | NLM_F_EXCL: make it, and fail if it exists (ip … add). */
export const NLM_F_CREATE_EXCL = 0x400 | 0x200;

const HEADER = 16;
const NLA_TYPE_MASK = 0x3fff; // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
const NLA_F_NESTED = 0x8000;

const align = (n: number) => (n + 3) & ~3;

/** A request being built: the netlink header, then a fixed struct, then attributes. */
export class Request {
  #buf = Buffer.alloc(256);
  #len = HEADER;
  readonly type: RtnetlinkRequest;

  /** Every request asks for an ack (NLM_F_ACK): the kernel acks all but a dump (NLM_F_DUMP), which ends with NLMSG_DONE. */
  constructor(type: RtnetlinkRequest, flags: number) {
    this.type = type;
    this.#buf.writeUInt16LE(RTM[type], 4);
    this.#buf.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK | flags, 6);
  }

  /** The fixed struct after the header (ifinfomsg, ifaddrmsg, rtmsg, …), `size` bytes filled by `fill`. */
  struct(size: number, fill: (b: Buffer) => void): this {
    fill(this.#reserve(align(size)).subarray(0, size));
    return this;
  }

  attr(type: number, data: Buffer): this {
    const b = this.#reserve(align(4 + data.length));
    b.writeUInt16LE(4 + data.length, 0);
    b.writeUInt16LE(type, 2);
    data.copy(b, 4);
    return this;
  }

  u8(type: number, value: number): this {
    return this.attr(type, Buffer.from([value]));
  }

  u32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return this.attr(type, b);
  }

  /** A NUL-terminated string (IFLA_IFNAME, IFLA_INFO_KIND, …). */
  string(type: number, value: string): this {
    return this.attr(type, Buffer.from(`${value}\0`));
  }

  /** A nested attribute holding whatever `fill` adds. */
  nest(type: number, fill: (r: this) => void): this {
    const start = this.#len;
    this.#reserve(4);
    fill(this);
    this.#buf.writeUInt16LE(this.#len - start, start);
    this.#buf.writeUInt16LE(type | NLA_F_NESTED, start + 2);
    return this;
  }

  /** The finished message with sequence number `seq`. */
  bytes(seq: number): Buffer {
    this.#buf.writeUInt32LE(this.#len, 0);
    this.#buf.writeUInt32LE(seq >>> 0, 8);
    return this.#buf.subarray(0, this.#len);
  }

  #reserve(n: number): Buffer {
    if (this.#len + n > this.#buf.length) {
      const bigger = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + n));
      this.#buf.copy(bigger);
      this.#buf = bigger;
    }
    const at = this.#len;
    this.#len += n;
    return this.#buf.subarray(at, at + n);
  }
}

/** One message of an answer: its type and payload (after the netlink header). */
export interface Message {
  type: number;
  payload: Buffer;
}

/** Split an answer (messages back to back) into messages. */
export function messages(answer: Buffer): Message[] {
  const out: Message[] = [];
  for (let at = 0; at + HEADER <= answer.length; ) {
    const len = answer.readUInt32LE(at);
    if (len < HEADER || at + len > answer.length) break;
    out.push({ type: answer.readUInt16LE(at + 4), payload: answer.subarray(at + HEADER, at + len) });
    at += align(len);
  }
  return out;
}

/** The attributes in `data` from `offset` on, by type (the last one of a type wins, as the kernel reads them). */
export function attributes(data: Buffer, offset = 0): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let at = offset; at + 4 <= data.length; ) {
    const len = data.readUInt16LE(at);
    if (len < 4 || at + len > data.length) break;
    out.set(data.readUInt16LE(at + 2) & NLA_TYPE_MASK, data.subarray(at + 4, at + len));
    at += align(len);
  }
  return out;
}

export function readString(b: Buffer | undefined): string | undefined {
  if (b === undefined) return undefined;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
}

export function readU32(b: Buffer | undefined): number | undefined {
  return b !== undefined && b.length >= 4 ? b.readUInt32LE(0) : undefined;
}

export function readI32(b: Buffer | undefined): number | undefined {
  return b !== undefined && b.length >= 4 ? b.readInt32LE(0) : undefined;
}

export function readU8(b: Buffer | undefined): number | undefined {
  return b !== undefined && b.length >= 1 ? b[0] : undefined;
}
