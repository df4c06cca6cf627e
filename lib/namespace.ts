// Namespace: a handle owning one O_CLOEXEC fd on a namespace file, with the
// nsfs ioctl queries (ioctl_ns(2)) as methods.
import { constants } from 'node:os';
import { inspect } from 'node:util';
import { flagToType, isNamespaceType, type NamespaceType, typeToFlag, unknownType } from './constants.js';
import { check, NamespaceError } from './errors.js';
import { closedError, FdHandle } from './fd-handle.js';
import { native, type RawNs, type RequestName } from './native.js';
import * as validate from './validate.js';

const EBADF = -constants.errno.EBADF;
const EINVAL = -constants.errno.EINVAL;
const ENOTTY = -constants.errno.ENOTTY;
const ESRCH = -constants.errno.ESRCH;

export interface NamespaceFileOptions {
  /** pid and time only: the `*_for_children` entry (what new children will be in). */
  forChildren?: boolean;
}

export interface MountNamespaceInfo {
  /** Number of mounts in the namespace (NS_MNT_GET_INFO). */
  nrMounts: number;
  /** The mount namespace's 64-bit id (as NS_GET_MNTNS_ID). */
  mntNsId: bigint;
}

export class Namespace extends FdHandle {
  /** The namespace type, from NS_GET_NSTYPE. */
  readonly type: NamespaceType;
  /** st_ino of the namespace file: the number lsns and `readlink` show (`net:[INODE]`). */
  readonly inode: number;
  /** st_dev of the namespace file (nsfs). Two handles name one namespace iff dev and inode match. */
  readonly dev: number;
  /** The path this handle was opened from, when it came from a path. */
  readonly path: string | undefined;

  private constructor(raw: RawNs, path: string | undefined) {
    const [fd, flag, dev, ino] = raw;
    const type = flagToType(flag);
    if (type === undefined) {
      native.close(fd);
      throw new NamespaceError(EINVAL, {
        syscall: 'ioctl',
        request: 'NS_GET_NSTYPE',
        path,
        hint: `unknown namespace type 0x${flag.toString(16)}`,
      });
    }
    super(fd);
    this.type = type;
    this.dev = dev;
    this.inode = ino;
    this.path = path;
  }

  /** Open a namespace file: /proc/PID/ns/TYPE, or a bind mount of one (e.g. /run/netns/NAME). */
  static open(path: string): Namespace {
    validate.path(path);
    return new Namespace(check(native.open(path), { syscall: 'open', path }), path);
  }

  /** The calling thread's namespace of this type (/proc/thread-self/ns/TYPE). */
  static current(type: NamespaceType, options?: NamespaceFileOptions): Namespace {
    return Namespace.open(`/proc/thread-self/ns/${entry(type, options)}`);
  }

  /** A process's namespace of this type (/proc/PID/ns/TYPE): its main thread's. */
  static ofPid(pid: number, type: NamespaceType, options?: NamespaceFileOptions): Namespace {
    validate.pid(pid);
    return Namespace.open(`/proc/${pid}/ns/${entry(type, options)}`);
  }

  /**
   * A namespace of a child spawn() started, through its pidfd (never by a pid that may have been reused).
   * @internal
   * @hidden
   */
  static ofChild(pidfd: number, pid: number, type: NamespaceType, options?: NamespaceFileOptions): Namespace {
    const name = entry(type, options);
    const raw = native.childNamespace(pidfd, typeToFlag(type), name !== type, false);
    if (raw === ESRCH) {
      throw new NamespaceError(ESRCH, {
        syscall: 'ioctl',
        path: `/proc/${pid}/ns/${name}`,
        types: [type],
        hint: "The process has exited: its namespaces are gone, and its pid may be another process's by now.",
      });
    }
    return new Namespace(check(raw, { syscall: 'ioctl', path: `/proc/${pid}/ns/${name}`, types: [type] }), undefined);
  }

  /** A handle on a duplicate (F_DUPFD_CLOEXEC) of `fd`; the caller keeps and closes its own fd. */
  static fromFd(fd: number): Namespace {
    validate.fd(fd);
    return new Namespace(check(native.dup(fd), { syscall: 'fcntl' }), undefined);
  }

  /** The CLONE_NEW* flag of this namespace's type. */
  get flag(): number {
    return typeToFlag(this.type);
  }

  /** NS_GET_ID (Linux 6.18): a 64-bit id, unique for the life of the system. */
  id(): bigint {
    return this.#check(native.queryU64(this.#live('NS_GET_ID'), native.requests.NS_GET_ID.id), 'NS_GET_ID');
  }

  /** NS_GET_OWNER_UID: the uid (in the caller's user namespace) that created this user namespace. */
  ownerUid(): number {
    return this.#check(native.ownerUid(this.#live('NS_GET_OWNER_UID')), 'NS_GET_OWNER_UID');
  }

  /** NS_GET_USERNS: a new handle on the user namespace that owns this one. */
  userNamespace(): Namespace {
    return this.#related('NS_GET_USERNS');
  }

  /** NS_GET_PARENT: a new handle on the parent (pid and user namespaces). */
  parent(): Namespace {
    return this.#related('NS_GET_PARENT');
  }

  /** NS_GET_MNTNS_ID (Linux 6.11): a mount namespace's 64-bit id. */
  mntnsId(): bigint {
    return this.#check(
      native.queryU64(this.#live('NS_GET_MNTNS_ID'), native.requests.NS_GET_MNTNS_ID.id),
      'NS_GET_MNTNS_ID',
    );
  }

  /** NS_MNT_GET_INFO (Linux 6.12): mount count and id of a mount namespace. */
  mntInfo(): MountNamespaceInfo {
    const [, nrMounts, mntNsId] = this.#mnt('NS_MNT_GET_INFO');
    return { nrMounts, mntNsId };
  }

  /** NS_MNT_GET_NEXT (Linux 6.12): the next mount namespace (by id) that the caller may see. */
  mntNext(): Namespace {
    return this.#mntRelated('NS_MNT_GET_NEXT');
  }

  /** NS_MNT_GET_PREV (Linux 6.12): the previous mount namespace (by id). */
  mntPrev(): Namespace {
    return this.#mntRelated('NS_MNT_GET_PREV');
  }

  /** NS_GET_PID_FROM_PIDNS (Linux 6.11): pid `pid` of this pid namespace, as seen from the caller's. */
  pidFromPidns(pid: number): number {
    return this.#pid('NS_GET_PID_FROM_PIDNS', pid);
  }

  /** NS_GET_TGID_FROM_PIDNS (Linux 6.11): as pidFromPidns, for a thread-group id. */
  tgidFromPidns(pid: number): number {
    return this.#pid('NS_GET_TGID_FROM_PIDNS', pid);
  }

  /** NS_GET_PID_IN_PIDNS (Linux 6.11): the caller's pid `pid`, as seen in this pid namespace. */
  pidInPidns(pid: number): number {
    return this.#pid('NS_GET_PID_IN_PIDNS', pid);
  }

  /** NS_GET_TGID_IN_PIDNS (Linux 6.11): as pidInPidns, for a thread-group id. */
  tgidInPidns(pid: number): number {
    return this.#pid('NS_GET_TGID_IN_PIDNS', pid);
  }

  /** Same namespace: same st_dev and st_ino. */
  equals(other: Namespace): boolean {
    if (!(other instanceof Namespace)) throw new TypeError('equals() expects a Namespace');
    return this.dev === other.dev && this.inode === other.inode;
  }

  /** `net:[4026531840]`, as readlink(/proc/PID/ns/net) shows it. */
  override toString(): string {
    return `${this.type}:[${this.inode}]`;
  }

  [inspect.custom](): string {
    return `Namespace <${this.toString()}${this.closed ? ' closed' : ` fd=${this.fd}`}${this.path ? ` ${this.path}` : ''}>`;
  }

  protected override [closedError](syscall = 'fcntl', request?: RequestName): NamespaceError {
    return new NamespaceError(EBADF, { syscall, request, path: this.path, hint: 'This Namespace handle was closed.' });
  }

  #live(request: RequestName): number {
    if (this.closed) throw this[closedError]('ioctl', request);
    return this.fd;
  }

  #check<T>(result: T | number, request: RequestName): T {
    return check(result, { syscall: 'ioctl', request, path: this.path, types: [this.type] });
  }

  #related(request: 'NS_GET_USERNS' | 'NS_GET_PARENT'): Namespace {
    return new Namespace(
      this.#check(native.related(this.#live(request), native.requests[request].id), request),
      undefined,
    );
  }

  #mnt(request: 'NS_MNT_GET_INFO' | 'NS_MNT_GET_NEXT' | 'NS_MNT_GET_PREV') {
    return this.#check(native.mntQuery(this.#live(request), native.requests[request].id), request);
  }

  #mntRelated(request: 'NS_MNT_GET_NEXT' | 'NS_MNT_GET_PREV'): Namespace {
    const [fd, , , type, dev, ino] = this.#mnt(request);
    return new Namespace([fd, type, dev, ino], undefined);
  }

  #pid(
    request: 'NS_GET_PID_FROM_PIDNS' | 'NS_GET_TGID_FROM_PIDNS' | 'NS_GET_PID_IN_PIDNS' | 'NS_GET_TGID_IN_PIDNS',
    pid: number,
  ): number {
    validate.pid(pid);
    const fd = this.#live(request);
    let r = native.queryInt(fd, native.requests[request].id, pid);
    // Linux 6.12 up to a later fix answered ENOTTY for "no such pid in that namespace";
    // tell it apart from "kernel too old" by asking about a pid that must exist.
    if (r === ENOTTY && this.type === 'pid' && pidQueriesSupported()) r = ESRCH;
    return this.#check(r, request);
  }
}

let pidQueries: boolean | undefined;
/** Does the kernel know the pid translation ioctls? Our own pid in our own pid namespace must translate. */
function pidQueriesSupported(): boolean {
  if (pidQueries === undefined) {
    const own = native.open('/proc/self/ns/pid');
    if (typeof own === 'number') return false;
    pidQueries = native.queryInt(own[0], native.requests.NS_GET_PID_IN_PIDNS.id, process.pid) !== ENOTTY;
    native.close(own[0]);
  }
  return pidQueries;
}

function entry(type: NamespaceType, options: NamespaceFileOptions | undefined): string {
  if (!isNamespaceType(type)) throw unknownType(type);
  if (options !== undefined) validate.object(options, 'options');
  const forChildren = options?.forChildren;
  if (forChildren !== undefined && typeof forChildren !== 'boolean') {
    throw new TypeError('options.forChildren must be a boolean');
  }
  if (!forChildren) return type;
  if (type !== 'pid' && type !== 'time')
    throw new RangeError(`options.forChildren applies to pid and time namespaces only, not ${type}`);
  return `${type}_for_children`;
}
