// Argument checks that run before any syscall: TypeError for the wrong kind
// of value, RangeError for a value of the right kind outside what is allowed.

/** A short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** An integer in [min, max]. */
export function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

export const INT32_MAX = 0x7fffffff;

export function fd(value: unknown, name = 'fd'): number {
  return integer(value, name, 0, INT32_MAX);
}

/** Linux pids are at most 2^22 (pid_max), but accept any positive int. */
export function pid(value: unknown, name = 'pid'): number {
  return integer(value, name, 1, INT32_MAX);
}

/** A non-empty string without NUL bytes (the kernel would stop reading at the NUL). */
export function text(value: unknown, name: string, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  if (!allowEmpty && value.length === 0) throw new RangeError(`${name} must not be empty`);
  if (value.includes('\0')) throw new RangeError(`${name} must not contain NUL bytes`);
  return value;
}

/** A path: non-empty, no NUL, at most PATH_MAX bytes. */
export function path(value: unknown, name = 'path'): string {
  const p = text(value, name);
  if (Buffer.byteLength(p) >= 4096) throw new RangeError(`${name} is longer than PATH_MAX (4096 bytes)`);
  return p;
}

/**
 * An array of at most `max` elements, none of them a hole: a copy of it (the caller's array is left
 * alone). Each element is read once, right after it was checked (a Proxy cannot answer differently).
 */
export function array(value: unknown, name: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array, got ${describe(value)}`);
  const length = value.length;
  if (length > max) throw new RangeError(`${name} must have at most ${max} elements, got ${length}`);
  const copy: unknown[] = [];
  for (let i = 0; i < length; i++) {
    if (!(i in value)) throw new TypeError(`${name}[${i}] is a hole: sparse arrays are not accepted`);
    copy.push(value[i]);
  }
  return copy;
}

export function object(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function func(value: unknown, name: string): (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  return value as (...args: never[]) => unknown;
}

/** A network namespace name as iproute2 accepts it: one file name (no '/', not '.' or '..', at most NAME_MAX bytes). */
export function netnsName(value: unknown, name = 'name'): string {
  const n = text(value, name);
  if (n === '.' || n === '..' || n.includes('/')) {
    throw new RangeError(`${name} must be a single file name (no '/', not '.' or '..'), got ${describe(n)}`);
  }
  if (Buffer.byteLength(n) > 255) throw new RangeError(`${name} is longer than NAME_MAX (255 bytes)`);
  return n;
}

/** Only `allowed` keys (a typo never silently does less than asked): a TypeError names the first other one. */
export function knownKeys(o: Record<string, unknown>, allowed: readonly string[], name: string): void {
  for (const key of Object.keys(o))
    if (!allowed.includes(key)) throw new TypeError(`${name} has an unknown key ${describe(key)}`);
}
