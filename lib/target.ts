// A namespace to enter or join, given as a handle, a namespace file path or
// an fd: opened (what is opened here goes into `owned`, for the caller to
// close) and checked to be of the type it is given for.
import type { NamespaceType } from './constants.js';
import { Namespace } from './namespace.js';
import * as validate from './validate.js';

export function openTarget(value: unknown, type: NamespaceType, name: string, owned: Namespace[]): Namespace {
  let ns: Namespace;
  if (value instanceof Namespace) ns = value;
  else if (typeof value === 'string') owned.push((ns = Namespace.open(value)));
  else if (typeof value === 'number') owned.push((ns = Namespace.fromFd(validate.fd(value, name))));
  else throw new TypeError(`${name} must be a Namespace, a path or an fd, got ${validate.describe(value)}`);
  if (ns.type !== type) throw new TypeError(`${name} is a ${ns.type} namespace, not ${type}`);
  return ns;
}
