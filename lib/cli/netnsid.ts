// lsns's NETNSID column: the id the caller's network namespace gives each
// network namespace (RTM_GETNSID, as `ip netns list-id` shows it).
import { NamespaceError } from '../errors.js';
import type { NamespaceInfo } from '../list.js';
import { Namespace } from '../namespace.js';
import type { NetworkNamespace } from '../network.js';

/** The cells of the NETNSID column, each namespace asked once, over one netlink socket opened when first needed. */
export class NetnsIds {
  #net: NetworkNamespace | undefined;
  #cache = new Map<number, string | undefined>();

  /** The id; 'unassigned' when there is none; undefined (an empty cell) for another type or a namespace we cannot open. */
  of(ns: NamespaceInfo): string | undefined {
    if (ns.type !== 'net') return undefined;
    if (!this.#cache.has(ns.inode)) this.#cache.set(ns.inode, this.#ask(ns));
    return this.#cache.get(ns.inode);
  }

  [Symbol.dispose](): void {
    this.#net?.close();
  }

  #ask(info: NamespaceInfo): string | undefined {
    using ns = open(info);
    if (!ns) return undefined;
    // loaded only for this column: the networking modules are no part of a plain ls
    this.#net ??= (require('../network.js') as typeof import('../network.js')).network();
    const id = this.#net.nsid(ns);
    return id === undefined ? 'unassigned' : String(id);
  }
}

/** The namespace itself, through a process in it or a bind mount of it (what lsns opens); null if none opens as it. */
function open(info: NamespaceInfo): Namespace | null {
  for (const path of [...info.pids.map((pid) => `/proc/${pid}/ns/net`), ...info.mounts]) {
    try {
      const ns = Namespace.open(path);
      if (ns.inode === info.inode && ns.type === 'net') return ns;
      ns.close();
    } catch (e) {
      if (!(e instanceof NamespaceError)) throw e; // gone, or not ours to open: the next one
    }
  }
  return null;
}
