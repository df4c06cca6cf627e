// iproute2 as the independent truth for network tests: `ip -j -n NAME …` read
// into the shapes nsbind's link/addr/route.list() return, and `ss -N NAME`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { expect } from 'vitest';
import type { Address, Link, Route } from '../../lib/index.js';
import { AS_INSTALLED } from './env.js';

type Json = Record<string, unknown>;

// ip runs as installed (AS_INSTALLED): its print_route passes overlapping buffers to strncpy
// (`ip route show table local`), which ASan aborts on.

/** `ip -j [-n NAME] ARGS` parsed; `where` is a netns name, or a command prefix (nsenter …) for other namespaces. */
export function ipJson(where: string | string[] | undefined, args: string[]): Json[] {
  const [file, ...rest] =
    where === undefined
      ? ['ip', '-j', ...args]
      : typeof where === 'string'
        ? ['ip', '-j', '-n', where, ...args]
        : [...where, 'ip', '-j', ...args];
  const out = execFileSync(file!, rest, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: AS_INSTALLED,
  }).trim();
  return out ? (JSON.parse(out) as Json[]) : [];
}

/** What ip -d link show says, in Link's terms (the fields both have). */
export function ipLinks(where: string | string[] | undefined): Partial<Link>[] {
  return fromIpLinks(ipJson(where, ['-d', 'link', 'show']));
}

/** ipLinks() for the output of `ip -j -d link show` read elsewhere. */
export function fromIpLinks(json: Json[]): Partial<Link>[] {
  return json.map((l) => {
    const info = l.linkinfo as Json | undefined;
    const out: Partial<Link> = {
      index: l.ifindex as number,
      name: l.ifname as string,
      type: (info?.info_kind as string | undefined) ?? (l.link_type as string),
      linkType: l.link_type as string,
      flags: l.flags as string[],
      operstate: l.operstate as string,
      mtu: l.mtu as number,
    };
    if (l.address !== undefined) out.mac = l.address as string;
    if (l.master !== undefined) out.master = l.master as string;
    if (typeof l.link === 'string') out.link = { index: -1, name: l.link };
    if (l.link_netnsid !== undefined) out.link = { index: l.link_index as number, netnsid: l.link_netnsid as number };
    return out;
  });
}

/** Our links, cut to what ipLinks() has (a same-namespace link's index is not in ip's JSON). */
export function comparableLinks(links: Link[]): Partial<Link>[] {
  return links.map((l) => {
    const out: Partial<Link> = {
      index: l.index,
      name: l.name,
      type: l.type,
      linkType: l.linkType,
      flags: l.flags,
      operstate: l.operstate,
      mtu: l.mtu,
    };
    if (l.mac !== undefined) out.mac = l.mac;
    if (l.master !== undefined) out.master = l.master;
    if (l.link)
      out.link =
        l.link.netnsid === undefined
          ? { index: -1, name: l.link.name! }
          : { index: l.link.index, netnsid: l.link.netnsid };
    return out;
  });
}

const IP_ADDR_FLAGS = [
  'secondary',
  'temporary',
  'nodad',
  'optimistic',
  'dadfailed',
  'home',
  'deprecated',
  'tentative',
  'dynamic',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'stable-privacy',
];

/** `ip -j addr show`, one entry per address with its link, in Address's terms. */
export function ipAddresses(where: string | string[] | undefined): Address[] {
  return fromIpAddresses(ipJson(where, ['addr', 'show']));
}

/** ipAddresses() for the output of `ip -j addr show` read elsewhere. */
export function fromIpAddresses(json: Json[]): Address[] {
  return json.flatMap((l) =>
    (l.addr_info as Json[]).map((a) => {
      const out: Address = {
        index: l.ifindex as number,
        dev: l.ifname as string,
        family: a.family as 'inet' | 'inet6',
        local: a.local as string,
        prefixlen: a.prefixlen as number,
        cidr: `${a.local}/${a.prefixlen}`,
        scope: a.scope as string,
        flags: IP_ADDR_FLAGS.filter((f) => a[f] === true),
        validLifetime: a.valid_life_time as number,
        preferredLifetime: a.preferred_life_time as number,
      };
      for (const key of ['address', 'broadcast', 'label', 'metric'] as const)
        if (a[key] !== undefined) (out as unknown as Json)[key] = a[key];
      return out;
    }),
  );
}

/** `ip -j route show` (IPv4), `ip -6 -j route show`, or both ('all'), in Route's terms (ip's defaults filled in). */
export function ipRoutes(
  where: string | string[] | undefined,
  table = 'main',
  family: 'inet' | 'inet6' | 'all' = 'inet',
): Route[] {
  const show = (family: 'inet' | 'inet6') => {
    try {
      return ipJson(where, [...(family === 'inet6' ? ['-6'] : []), 'route', 'show', 'table', table]);
    } catch (e) {
      if (String((e as { stderr?: unknown }).stderr).includes('FIB table does not exist')) return []; // ip's word for empty
      throw e;
    }
  };
  const read = (family: 'inet' | 'inet6') =>
    show(family).map((r) => {
      const out: Route = {
        family,
        type: (r.type as string | undefined) ?? 'unicast',
        dst: r.dst as string,
        table: (r.table as string | undefined) ?? table,
        protocol: (r.protocol as string | undefined) ?? 'boot',
        scope: (r.scope as string | undefined) ?? 'global',
        flags: r.flags as string[],
      };
      for (const key of ['gateway', 'dev', 'prefsrc', 'metric', 'pref'] as const)
        if (r[key] !== undefined) (out as unknown as Json)[key] = r[key];
      return out;
    });
  return family === 'all' ? [...read('inet'), ...read('inet6')] : read(family);
}

/** Sockets of this process that `ss -N NAME` (or ss in the host namespace) lists: "proto local peer" lines. */
export function ssOwn(netns: string | undefined): string[] {
  const out = execFileSync('ss', [...(netns ? ['-N', netns] : []), '-tuanpH'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`pid=${process.pid},`))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return `${f[0]} ${f[4]} ${f[5]}`;
    });
}

/** The socket fds this process has open now. */
export function socketFds(): number[] {
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    });
}

/** Wait (on netlink state, not a clock) until `check` holds, re-reading after each turn of the event loop. */
export async function until(what: string, check: () => boolean, tries = 2000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  expect.fail(`timed out waiting until ${what}`);
}
