// A network namespace given the ways users have one: a Namespace handle, a
// NetworkNamespace, a namespace file path (/proc/PID/ns/net, /run/netns/NAME),
// a name in /run/netns (no '/': `ip netns` names) or an fd on a namespace file.
import type { Namespace } from './namespace.js';
import * as netns from './netns.js';
import { openTarget } from './target.js';

/** Anything network() and the `netns` options accept. */
export type NetnsRef = Namespace | { readonly namespace: Namespace } | string | number;

/** How a NetworkNamespace shows its handle here, without this module importing it. */
export const NAMESPACE: unique symbol = Symbol('nsbind.networkNamespace');

/**
 * The Namespace for `value`, checked to be a network namespace. What is opened
 * here goes into `owned` for the caller to close; a handle given is used as is.
 */
export function openNetns(value: unknown, name: string, owned: Namespace[]): Namespace {
  if (typeof value === 'object' && value !== null && NAMESPACE in value) {
    return openTarget((value as { [NAMESPACE](): Namespace })[NAMESPACE](), 'net', name, owned);
  }
  if (typeof value === 'string' && !value.includes('/')) {
    const ns = netns.open(value);
    owned.push(ns);
    return ns;
  }
  return openTarget(value, 'net', name, owned);
}
