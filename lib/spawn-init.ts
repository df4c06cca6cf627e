// spawn's `init: true`: nsbind-init (native/init.c, a static program built
// beside the addon) as pid 1 of the child's new pid namespace.
import { dirname, join } from 'node:path';
import type { NamespaceType } from './constants.js';
import { native } from './native.js';
import * as validate from './validate.js';

/** nsbind-init's path when `init` asks for it. */
export function parseInit(value: unknown, create: ReadonlySet<NamespaceType>): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean')
    throw new TypeError(`options.init must be a boolean, got ${validate.describe(value)}`);
  if (!value) return undefined;
  if (!create.has('pid'))
    throw new TypeError("options.init needs a new pid namespace (its pid 1): add 'pid' to options.namespaces");
  return join(dirname(native.path), 'nsbind-init');
}
