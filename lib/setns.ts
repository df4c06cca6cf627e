// setns(2) for the CALLING THREAD only.
import { ALL_NAMESPACE_FLAGS, flagsToTypes, flagToType, type NamespaceType, typesToFlags } from './constants.js';
import { NamespaceError } from './errors.js';
import { Namespace } from './namespace.js';
import { native } from './native.js';
import { Pidfd } from './pidfd.js';
import * as validate from './validate.js';

/** A namespace handle, a pidfd, a raw fd (namespace file or pidfd) or a namespace file path. */
export type SetnsTarget = Namespace | Pidfd | number | string;

/**
 * Move the calling thread into a namespace. `nstype` (a type name, names, or
 * CLONE_NEW* mask) makes the kernel check the target's type; for a pidfd it
 * selects which of that process's namespaces to join, all or none (Linux 5.8).
 * Joining pid or time namespaces only changes what children get.
 */
export function setns(target: SetnsTarget, nstype?: NamespaceType | readonly NamespaceType[] | number): void {
  const mask = toMask(nstype);
  if (target instanceof Namespace) enter(target.fd, mask, target.path, () => [target.type]);
  else if (target instanceof Pidfd) enter(target.fd, requireMask(mask), undefined, () => flagsToTypes(mask));
  else if (typeof target === 'number') {
    const fd = validate.fd(target, 'target');
    enter(fd, mask, undefined, () => (mask ? flagsToTypes(mask) : typeOfFd(fd)));
  } else if (typeof target === 'string') {
    using ns = Namespace.open(target);
    enter(ns.fd, mask, ns.path, () => [ns.type]);
  } else throw new TypeError('setns target must be a Namespace, a Pidfd, an fd or a namespace file path');
}

function enter(fd: number, mask: number, path: string | undefined, types: () => readonly NamespaceType[]): void {
  const r = native.setns(fd, mask);
  if (r < 0) throw new NamespaceError(r, { syscall: 'setns', path, types: types() });
}

function toMask(nstype: unknown): number {
  if (nstype === undefined) return 0;
  if (typeof nstype === 'string') return typesToFlags([nstype as NamespaceType]);
  if (typeof nstype !== 'number') return typesToFlags(nstype as readonly NamespaceType[]);
  validate.integer(nstype, 'nstype', 0, validate.INT32_MAX);
  if ((nstype & ~ALL_NAMESPACE_FLAGS) !== 0)
    throw new RangeError(`nstype has bits that are not CLONE_NEW* flags: 0x${nstype.toString(16)}`);
  return nstype;
}

function requireMask(mask: number): number {
  if (mask === 0)
    throw new RangeError('setns with a pidfd needs nstype: the namespaces to join (e.g. CLONE_NEWNET | CLONE_NEWUTS)');
  return mask;
}

/** For hints only: what kind of namespace a raw fd is, if it is one. */
function typeOfFd(fd: number): NamespaceType[] {
  const flag = native.queryInt(fd, native.requests.NS_GET_NSTYPE.id, 0);
  const type = flag > 0 ? flagToType(flag) : undefined;
  return type ? [type] : [];
}
