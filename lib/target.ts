// A namespace to enter or join, given as a handle, a namespace file path or
// an fd: opened (what is opened here goes into `owned`, for the caller to
// close) and checked to be of the type it is given for.
import type { NamespaceType } from './constants.js';
import { Namespace } from './namespace.js';
import * as validate from './validate.js';

export function openTarget(value: unknown, type: NamespaceType, name: string, owned: Namespace[]): Namespace {
  const ns = value instanceof Namespace ? value : open(value, name);
  if (ns !== value) owned.push(ns);
  if (ns.type !== type) throw new TypeError(`${name} is a ${ns.type} namespace, not ${type}`);
  return ns;
}

function open(value: unknown, name: string): Namespace {
  if (typeof value === 'string') return Namespace.open(value);
  if (typeof value === 'number') return Namespace.fromFd(validate.fd(value, name));
  throw new TypeError(`${name} must be a Namespace, a path or an fd, got ${validate.describe(value)}`);
}
