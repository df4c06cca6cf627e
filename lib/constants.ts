// CLONE_* flags and the mapping between namespace type names and flags.
import { describe } from './validate.js';

export const CLONE_NEWTIME = 0x00000080;
export const CLONE_VM = 0x00000100;
export const CLONE_FS = 0x00000200;
export const CLONE_FILES = 0x00000400;
export const CLONE_SIGHAND = 0x00000800;
export const CLONE_THREAD = 0x00010000;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_SYSVSEM = 0x00040000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

/** A namespace type, named as in /proc/PID/ns. */
export type NamespaceType = 'cgroup' | 'ipc' | 'mnt' | 'net' | 'pid' | 'time' | 'user' | 'uts';

const FLAGS: Readonly<Record<NamespaceType, number>> = {
  cgroup: CLONE_NEWCGROUP,
  ipc: CLONE_NEWIPC,
  mnt: CLONE_NEWNS,
  net: CLONE_NEWNET,
  pid: CLONE_NEWPID,
  time: CLONE_NEWTIME,
  user: CLONE_NEWUSER,
  uts: CLONE_NEWUTS,
};

/** Every namespace type, in /proc/PID/ns order. */
export const NAMESPACE_TYPES: readonly NamespaceType[] = Object.freeze(Object.keys(FLAGS) as NamespaceType[]);

/**
 * The order namespaces are joined in, as nsenter joins them: the user namespace
 * first (it grants the rights for the rest; spawn's child joins it last instead
 * when it would take rights away), mnt and time late.
 */
export const JOIN_ORDER: readonly NamespaceType[] = Object.freeze([
  'user',
  'cgroup',
  'ipc',
  'uts',
  'net',
  'pid',
  'mnt',
  'time',
]);

/** Every CLONE_NEW* bit ORed together. */
export const ALL_NAMESPACE_FLAGS = NAMESPACE_TYPES.reduce((m, t) => m | FLAGS[t], 0);

/**
 * Flags unshare() passes on: the namespace bits plus the per-thread state bits
 * the kernel takes. Not CLONE_FILES: it is refused (see unshare.ts).
 */
export const UNSHARE_FLAGS = ALL_NAMESPACE_FLAGS | CLONE_FS | CLONE_SYSVSEM | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;

export function unknownType(value: unknown): TypeError {
  return new TypeError(`unknown namespace type ${describe(value)}: expected one of ${NAMESPACE_TYPES.join(', ')}`);
}

export function isNamespaceType(value: unknown): value is NamespaceType {
  return typeof value === 'string' && Object.hasOwn(FLAGS, value);
}

/** 'net' → CLONE_NEWNET. */
export function typeToFlag(type: NamespaceType): number {
  if (!isNamespaceType(type)) throw unknownType(type);
  return FLAGS[type];
}

/** CLONE_NEWNET → 'net'; undefined for anything that is not exactly one CLONE_NEW* bit. */
export function flagToType(flag: number): NamespaceType | undefined {
  return NAMESPACE_TYPES.find((t) => FLAGS[t] === flag);
}

/** ['net', 'uts'] → CLONE_NEWNET | CLONE_NEWUTS. */
export function typesToFlags(types: readonly NamespaceType[]): number {
  if (!Array.isArray(types)) throw new TypeError(`namespace types must be an array, got ${describe(types)}`);
  return types.reduce((m, t) => m | typeToFlag(t), 0);
}

/** CLONE_NEWNET | CLONE_NEWUTS → ['net', 'uts'] (other bits ignored). */
export function flagsToTypes(flags: number): NamespaceType[] {
  return NAMESPACE_TYPES.filter((t) => (flags & FLAGS[t]) !== 0);
}
