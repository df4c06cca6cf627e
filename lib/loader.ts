// Finds the native addon with `bindings`: a local source build first, then the
// prebuilt binary (prebuildify --napi, one file for every Node.js version) for
// this platform, arch and C library. A binary that is there but does not load
// (corrupt, another arch or libc) throws its dlopen error; it is never skipped.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import bindings from 'bindings';

export type Libc = 'glibc' | 'musl';

/** The C library this Node.js process runs on: musl's loader is mapped, or it is glibc. */
export function libc(): Libc {
  try {
    return /\/ld-musl-[^/\s]*\.so/.test(readFileSync('/proc/self/maps', 'latin1')) ? 'musl' : 'glibc';
  } catch {
    return 'glibc';
  }
}

/**
 * Load the addon. `prebuiltOnly` skips build/Release (the install script asks
 * whether a shipped binary works here). Throws the loader's own error when a
 * file exists but fails to load, with a `hint`.
 */
export function load<T>({ prebuiltOnly = false } = {}): T & { path: string } {
  // bindings joins each `try` entry, replacing a segment by the option of that name if there is one.
  const options = Object.assign(names(), { try: tries(prebuiltOnly) }) as bindings.Options & Record<string, unknown>;
  try {
    return bindings(options);
  } catch (e) {
    const err = e as Error & { code?: string; tries?: string[]; hint?: string };
    if (err.code === 'ERR_DLOPEN_FAILED') {
      err.hint =
        `nsbind's native addon exists but does not load on ${target()}: a corrupt file, or one built for another ` +
        'architecture or C library. Reinstall nsbind, or build it from source here: npm rebuild nsbind ' +
        '(needs python3, make and a C/C++ compiler).';
    } else if (err.tries) {
      err.message = `nsbind: no native addon for ${target()}. ${err.message}`;
      err.hint = 'Build it from source: npm rebuild nsbind (needs python3, make and a C/C++ compiler).';
    }
    throw err;
  }
}

/** 'linux-x64 (glibc)': what a binary must be built for to load here. */
export function target(): string {
  return `${process.platform}-${process.arch} (${libc()})`;
}

/**
 * The root is given (bindings would find it from a stack trace), and the libc
 * tag is read only when bindings gets to a prebuild: a source build loads
 * without either (start-up time of the CLI).
 */
function names(): Record<string, string> {
  return {
    module_root: join(__dirname, '..'),
    bindings: 'nsbind.node',
    // prebuildify names: nsbind.node, or with --tag-libc nsbind.glibc.node / nsbind.musl.node
    get tagged() {
      return `nsbind.${libc()}.node`;
    },
    platform_arch: `${process.platform}-${process.arch}`,
  };
}

function tries(prebuiltOnly: boolean): string[][] {
  return [
    ...(prebuiltOnly ? [] : [['module_root', 'build', 'Release', 'bindings']]),
    ['module_root', 'prebuilds', 'platform_arch', 'tagged'],
    ['module_root', 'prebuilds', 'platform_arch', 'bindings'],
  ];
}
