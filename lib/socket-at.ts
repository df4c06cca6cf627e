// Sockets made inside a network namespace (native/socket.c): a short-lived
// clone of our own joins the namespace, makes the socket in our fd table and
// exits; no thread of the process moves. Where joining needs the user
// namespace that owns the network namespace (an unprivileged owner of a
// child's namespaces), the clone joins that first, as nsenter does.
import { NamespaceError } from './errors.js';
import { Namespace } from './namespace.js';
import { native, type SocketFailure } from './native.js';
import * as validate from './validate.js';

/** A network namespace to make sockets in, with the user namespace that owns it when that is not ours. */
export interface SocketTarget {
  readonly net: Namespace;
  readonly user: Namespace | undefined;
}

/**
 * The target for network namespace `net`: its owning user namespace is kept
 * (a new handle, the caller closes it) when it is not the caller's own and is
 * visible from here (NS_GET_USERNS answers EPERM for one above ours).
 */
export function socketTarget(net: Namespace): SocketTarget {
  let owner: Namespace;
  try {
    owner = net.userNamespace();
  } catch (e) {
    if (e instanceof NamespaceError && e.code === 'EPERM') return { net, user: undefined };
    throw e;
  }
  using mine = Namespace.current('user');
  if (!owner.equals(mine)) return { net, user: owner };
  owner.close();
  return { net, user: undefined };
}

/** socket(2) inside the target's network namespace: an O_CLOEXEC fd the caller owns. */
export function socketAt(target: SocketTarget, domain: number, type: number, protocol = 0): number {
  return made(native.socketAt(target.net.fd, target.user?.fd ?? -1, domain, type, protocol), target);
}

/** A bound NETLINK_ROUTE socket inside the target's network namespace. */
export function netlinkAt(target: SocketTarget): number {
  return made(native.netlinkOpen(target.net.fd, target.user?.fd ?? -1), target);
}

function made(result: number | SocketFailure, target: SocketTarget): number {
  if (typeof result === 'number') return result;
  const [errno, step] = result;
  const syscall = step.startsWith('setns') ? 'setns' : step;
  const types = step === 'setns:user' ? (['user'] as const) : (['net'] as const);
  throw new NamespaceError(errno, {
    syscall,
    step,
    types,
    path: target.net.path,
    hint: errno === -1 ? permissionHint(step, target) : undefined,
  });
}

function permissionHint(step: SocketFailure[1], target: SocketTarget): string | undefined {
  if (step === 'setns:user')
    return (
      'Making a socket in this network namespace means joining it, which needs CAP_SYS_ADMIN in the user ' +
      'namespace that owns it; that user namespace is not yours to join (it belongs to another user).'
    );
  if (step === 'setns:net' && target.user === undefined)
    return (
      'Making a socket in this network namespace means joining it, which needs CAP_SYS_ADMIN in your own user ' +
      'namespace (root). Unprivileged, use network namespaces a user namespace of yours owns, e.g. those of ' +
      "spawn(cmd, args, { namespaces: ['user', 'net'], mapRootUser: true }) through child.namespace('net')."
    );
  if (step === 'setns:net')
    return (
      'Making a socket in this network namespace means joining it, which needs CAP_SYS_ADMIN in the user ' +
      'namespace that owns it, and joining that one did not grant it.'
    );
  return undefined;
}

/** The network namespace socket `fd` belongs to (SIOCGSKNS; needs CAP_NET_ADMIN over that namespace). */
export function socketNamespace(fd: number): Namespace {
  const ns = native.socketNetns(validate.fd(fd));
  if (ns < 0) {
    throw new NamespaceError(ns, {
      syscall: 'ioctl',
      hint:
        ns === -88
          ? 'That fd is not a socket.'
          : ns === -1
            ? "SIOCGSKNS needs CAP_NET_ADMIN in the user namespace that owns the socket's network namespace."
            : undefined,
    });
  }
  try {
    return Namespace.fromFd(ns);
  } finally {
    native.close(ns);
  }
}
