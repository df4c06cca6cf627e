// NamespaceError: shaped like Node's SystemError (code, errno, syscall, path,
// message "EPERM: operation not permitted, setns '/proc/…'"), plus a `hint`
// where the errno alone misleads for namespaces.
import { getSystemErrorMap } from 'node:util';
import type { NamespaceType } from './constants.js';
import { native, type RequestName } from './native.js';
import type { RtnetlinkRequest } from './netlink/message.js';

const systemErrors = getSystemErrorMap();

/** [code, description] for a negative errno: libuv's words where it has them (as Node's own errors). */
function describeErrno(negative: number): [string, string] {
  const known = systemErrors.get(negative);
  if (known) return known;
  const libc = native.errnoName(-negative);
  if (libc) return [libc[0], libc[1].charAt(0).toLowerCase() + libc[1].slice(1)];
  return [`E${-negative}`, 'unknown error'];
}

/** The code ('EEXIST', …) of a negative errno, as a NamespaceError for it would have. */
export function errnoCode(errno: number): string {
  return describeErrno(-Math.abs(errno))[0];
}

export interface ErrorContext {
  /** The syscall that failed: 'setns', 'unshare', 'open', 'ioctl', 'pidfd_open', … */
  syscall: string;
  /** The file involved, if any. */
  path?: string | undefined;
  /** For ioctl: which nsfs request; for netlink: which rtnetlink request ('RTM_NEWLINK'), named instead of the syscall. */
  request?: RequestName | RtnetlinkRequest | undefined;
  /** For netlink: what the request was about (a link name, an address), quoted in the message as a path is. */
  subject?: string | undefined;
  /** For getaddrinfo: the name being resolved. */
  hostname?: string | undefined;
  /** Namespace types involved (the target's type, or the flags' types). */
  types?: readonly NamespaceType[] | undefined;
  /** For unshare: the raw flags. */
  flags?: number | undefined;
  /** For spawn: the setup step that failed ('exec', 'uid_map', 'setns:net', …). */
  step?: string | undefined;
  /** For spawn: the program's arguments (without argv[0]), as child_process's spawn errors carry them. */
  spawnargs?: readonly string[] | undefined;
  /** Overrides the computed hint (a spawn step's hint is its own: see spawn-steps.ts). */
  hint?: string | undefined;
}

/** The kernel release that introduced each nsfs ioctl. */
export const REQUEST_SINCE: Readonly<Record<RequestName, string>> = {
  NS_GET_USERNS: '4.9',
  NS_GET_PARENT: '4.9',
  NS_GET_NSTYPE: '4.11',
  NS_GET_OWNER_UID: '4.11',
  NS_GET_MNTNS_ID: '6.11',
  NS_GET_PID_FROM_PIDNS: '6.11',
  NS_GET_TGID_FROM_PIDNS: '6.11',
  NS_GET_PID_IN_PIDNS: '6.11',
  NS_GET_TGID_IN_PIDNS: '6.11',
  NS_MNT_GET_INFO: '6.12',
  NS_MNT_GET_NEXT: '6.12',
  NS_MNT_GET_PREV: '6.12',
  NS_GET_ID: '6.18',
};

export class NamespaceError extends Error {
  /** 'EPERM', 'EINVAL', … */
  readonly code: string;
  /** Negative, as in Node's SystemError (-1 for EPERM). */
  readonly errno: number;
  readonly syscall: string;
  declare readonly path?: string;
  /** What this errno means here, when the errno alone misleads. */
  declare readonly hint?: string;
  /** spawn: the setup step that failed. */
  declare readonly step?: string;
  /** spawn: the program's arguments without argv[0] (child_process's spawnargs on its errors). */
  declare readonly spawnargs?: string[];
  /** ioctl: the nsfs request name; netlink: the rtnetlink request ('RTM_NEWLINK'). */
  declare readonly request?: RequestName | RtnetlinkRequest;
  /** netlink: what the request was about ('va', '10.0.0.1/24 dev va'). */
  declare readonly subject?: string;
  /** getaddrinfo: the name that was being resolved (as in Node's dns errors). */
  declare readonly hostname?: string;

  // options is ErrorOptions, spelt out: that name needs lib es2022 in every consumer's tsconfig
  constructor(errno: number, context: ErrorContext, options?: { cause?: unknown }) {
    const negative = -Math.abs(errno);
    const [errnoCode, description] = describeErrno(negative);
    // as Node's dns errors: a name that does not resolve is ENOTFOUND
    const code =
      context.syscall === 'getaddrinfo' && (negative === -3008 || negative === -3007) ? 'ENOTFOUND' : errnoCode;
    const what =
      context.syscall === 'netlink' && context.request
        ? context.request
        : context.request
          ? `${context.syscall} ${context.request}`
          : context.syscall;
    const hint = context.hint ?? (context.step === undefined ? hintFor(code, context) : undefined);
    const since = nsfsSince(context.request);
    const desc =
      code === 'ENOTTY' && since
        ? `not supported by this kernel (${context.request} needs Linux ${since})`
        : description;
    const quoted = context.path ?? context.subject ?? context.hostname;
    super(`${code}: ${desc}, ${what}${quoted === undefined ? '' : ` '${quoted}'`}`, options);
    this.name = 'NamespaceError';
    this.code = code;
    this.errno = negative;
    this.syscall = context.syscall;
    if (context.path !== undefined) this.path = context.path;
    if (hint !== undefined) this.hint = hint;
    if (context.step !== undefined) this.step = context.step;
    if (context.spawnargs !== undefined) this.spawnargs = [...context.spawnargs];
    if (context.request !== undefined) this.request = context.request;
    if (context.subject !== undefined) this.subject = context.subject;
    if (context.hostname !== undefined) this.hostname = context.hostname;
  }
}

/** The thread could not be put back into the namespace it started in. */
export class NamespaceRestoreError extends NamespaceError {
  /** The namespace type the thread is stuck in. */
  readonly type: NamespaceType;
  constructor(errno: number, type: NamespaceType, options?: { cause?: unknown }) {
    super(
      errno,
      {
        syscall: 'setns',
        types: [type],
        hint:
          `restoring the ${type} namespace failed: this thread is now in the WRONG ${type} namespace. ` +
          'Stop using this thread for namespace-sensitive work (exit the worker or the process).',
      },
      options,
    );
    this.name = 'NamespaceRestoreError';
    this.type = type;
  }
}

function nsfsSince(request: ErrorContext['request']): string | undefined {
  return request !== undefined && Object.hasOwn(REQUEST_SINCE, request)
    ? REQUEST_SINCE[request as RequestName]
    : undefined;
}

/** Throw a NamespaceError if a native result is a negative errno; else return it. */
export function check<T>(result: T | number, context: ErrorContext): T {
  if (typeof result === 'number' && result < 0) throw new NamespaceError(result, context);
  return result as T;
}

/** The NamespaceError for an error node:fs threw (same errno); anything without an errno is returned as is. */
export function fromFsError(error: unknown, context: ErrorContext): unknown {
  const errno = (error as NodeJS.ErrnoException | undefined)?.errno;
  return typeof errno === 'number' ? new NamespaceError(errno, context, { cause: error }) : error;
}

const SPAWN = 'start a new process instead: spawn(cmd, args, { namespaces: [...] } or { join: {...} })';
const MULTITHREADED =
  'Node.js is always multithreaded (V8 platform and libuv pool threads), and the kernel only lets ' +
  'a single-threaded process';

function hintFor(code: string, c: ErrorContext): string | undefined {
  if (c.syscall === 'netlink' || c.syscall === 'getaddrinfo') return undefined; // their hints live with the requests
  const types = c.types ?? [];
  const has = (t: NamespaceType) => types.includes(t);
  switch (code) {
    case 'EINVAL':
      if (c.syscall === 'unshare' && has('user'))
        return `${MULTITHREADED} create a user namespace with unshare(2); ${SPAWN}.`;
      if (c.syscall === 'unshare') return `${MULTITHREADED} unshare CLONE_THREAD, CLONE_SIGHAND or CLONE_VM.`;
      if (c.syscall === 'setns' && has('user'))
        return `${MULTITHREADED} join a user namespace (and not the one it is already in); ${SPAWN}.`;
      if (c.syscall === 'setns' && has('mnt'))
        return (
          'This thread shares its filesystem state (root, cwd) with the other Node.js threads, so it cannot ' +
          'join a mount namespace: call unshare(CLONE_FS) on it first (withNamespaces does this), or spawn a process.'
        );
      if (c.syscall === 'setns')
        return 'The fd is not a namespace of the requested nstype (or, for a pidfd, the mask is empty or invalid).';
      if (c.syscall === 'open')
        return 'This file is not a namespace file (nsfs), like /proc/PID/ns/net or a bind mount of one.';
      if (c.request === 'NS_GET_OWNER_UID') return 'NS_GET_OWNER_UID only answers for user namespaces.';
      if (c.request === 'NS_GET_PARENT') return 'Only pid and user namespaces have a parent.';
      if (c.request?.startsWith('NS_MNT_') || c.request === 'NS_GET_MNTNS_ID')
        return `${c.request} only answers for mount namespaces.`;
      if (c.request?.includes('PIDNS')) return `${c.request} only answers for pid namespaces.`;
      return undefined;
    case 'EUSERS':
      if (has('time')) return `${MULTITHREADED} enter a time namespace; ${SPAWN}.`;
      return undefined;
    case 'EPERM':
      if (c.request === 'NS_GET_PARENT' || c.request === 'NS_GET_USERNS')
        return "The namespace asked for lies outside the caller's user namespace (this is the top of the hierarchy visible here).";
      // an existing namespace: no new user namespace can own it
      if (c.syscall === 'setns')
        return (
          'Joining needs CAP_SYS_ADMIN in the user namespace that owns the target namespace (and in your own): ' +
          'only a new process can join that user namespace first: spawn(cmd, args, { join: { user: …, net: … } }).'
        );
      return (
        'This needs CAP_SYS_ADMIN in the user namespace that owns the target namespace. Unprivileged users get ' +
        "it by starting a process in a new user namespace: spawn(cmd, args, { namespaces: ['user', ...], mapRootUser: true })."
      );
    case 'ENOSPC':
      return (
        'A namespace limit was reached: see /proc/sys/user/max_*_namespaces (namespaceLimits()); pid and user ' +
        'namespaces also nest at most 32 deep.'
      );
    case 'ENOTTY': {
      const since = nsfsSince(c.request);
      if (since) return `This kernel does not support ${c.request} (added in Linux ${since}).`;
      return undefined;
    }
    case 'EACCES':
      if (c.path?.startsWith('/proc/'))
        return (
          "Reading another process's namespace links needs ptrace read access to it (same user, or " +
          'CAP_SYS_PTRACE); lsns skips such processes.'
        );
      return undefined;
    case 'ESRCH':
      if (nsfsSince(c.request)) return 'No such process is visible in that pid namespace.';
      return undefined;
    case 'EBADF':
      return 'The handle or fd is closed.';
    default:
      return undefined;
  }
}
