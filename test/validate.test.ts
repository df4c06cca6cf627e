import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as validate from '../lib/validate.js';

/** The errno code the kernel gives for stat(path), '' when it succeeds. */
function kernel(path: string): string {
  try {
    statSync(path);
    return '';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code!;
  }
}

describe('validate (lib/validate.ts)', () => {
  it('describe: a short, safe text for any value', () => {
    expect(validate.describe('x'.repeat(64))).toBe(JSON.stringify('x'.repeat(64)));
    expect(validate.describe('x'.repeat(65))).toBe(`"${'x'.repeat(64)}…"`);
    expect(validate.describe('a"\n')).toBe('"a\\"\\n"');
    expect(validate.describe(5n)).toBe('5n');
    expect(validate.describe(Symbol('s'))).toBe('Symbol(s)');
    expect(validate.describe(null)).toBe('null');
    expect(validate.describe(undefined)).toBe('undefined');
    expect(validate.describe([1])).toBe('an array');
    expect(validate.describe({ toString: () => 'hostile' })).toBe('an object');
    expect(validate.describe(() => 1)).toBe('a function');
    expect(validate.describe(Number.NaN)).toBe('NaN');
    expect(validate.describe(-0)).toBe('0');
    // a Proxy whose every trap throws is described without touching it
    const trap = new Proxy({}, { get: () => expect.unreachable(), ownKeys: () => expect.unreachable() });
    expect(validate.describe(trap)).toBe('an object');
  });

  it('integer: TypeError for a non-number, RangeError outside [min, max] or not an integer; bounds inclusive', () => {
    expect(validate.integer(3, 'n', 3, 5)).toBe(3);
    expect(validate.integer(5, 'n', 3, 5)).toBe(5);
    expect(() => validate.integer('4', 'n', 3, 5)).toThrow(new TypeError('n must be a number, got "4"'));
    expect(() => validate.integer(4n, 'n', 3, 5)).toThrow(TypeError);
    expect(() => validate.integer(new Number(4), 'n', 3, 5)).toThrow(TypeError);
    for (const bad of [2, 6, 4.5, Number.NaN, Infinity, -Infinity]) {
      expect(() => validate.integer(bad, 'n', 3, 5)).toThrow(RangeError);
    }
    expect(() => validate.integer(6, 'n', 3, 5)).toThrow(new RangeError('n must be an integer from 3 to 5, got 6'));
  });

  it('fd and pid: the int32 range the native side takes (fd from 0, pid from 1)', () => {
    expect(validate.fd(0)).toBe(0);
    expect(validate.fd(validate.INT32_MAX)).toBe(2 ** 31 - 1);
    expect(() => validate.fd(2 ** 31)).toThrow(RangeError);
    expect(() => validate.fd(-1, 'join.net')).toThrow(/^join.net must be an integer from 0 to 2147483647, got -1$/);
    expect(validate.pid(1)).toBe(1);
    expect(() => validate.pid(0)).toThrow(RangeError);
    expect(() => validate.pid(2 ** 31)).toThrow(RangeError);
    expect(() => validate.pid('1')).toThrow(TypeError);
  });

  it('text: a string, not empty unless allowed, without NUL', () => {
    expect(validate.text('a', 'name')).toBe('a');
    expect(validate.text('', 'name', { allowEmpty: true })).toBe('');
    expect(() => validate.text('', 'name')).toThrow(new RangeError('name must not be empty'));
    expect(() => validate.text('a\0b', 'name', { allowEmpty: true })).toThrow(
      new RangeError('name must not contain NUL bytes'),
    );
    expect(() => validate.text(1, 'name')).toThrow(new TypeError('name must be a string, got 1'));
  });

  it('path: below PATH_MAX in bytes, where the kernel draws the line too', () => {
    const at = (bytes: number) => `/${'a/'.repeat(bytes)}`.slice(0, bytes); // short components only
    expect(kernel(at(4095))).toBe('ENOENT'); // looked up
    expect(kernel(at(4096))).toBe('ENAMETOOLONG');
    expect(validate.path(at(4095))).toBe(at(4095));
    expect(() => validate.path(at(4096))).toThrow(new RangeError('path is longer than PATH_MAX (4096 bytes)'));
    const wide = `/${'é/'.repeat(1365)}`; // 1 + 1365 * 3 = 4096 bytes in 2731 characters
    expect(Buffer.byteLength(wide)).toBe(4096);
    expect(kernel(wide)).toBe('ENAMETOOLONG');
    expect(() => validate.path(wide, 'root')).toThrow(/^root is longer than PATH_MAX/);
    expect(() => validate.path('/a\0')).toThrow(RangeError);
    expect(() => validate.path('')).toThrow(RangeError);
  });

  it('netnsName: one file name of at most NAME_MAX bytes, as the kernel takes a path component', () => {
    expect(kernel(`/tmp/${'n'.repeat(255)}`)).toBe('ENOENT');
    expect(kernel(`/tmp/${'n'.repeat(256)}`)).toBe('ENAMETOOLONG');
    expect(validate.netnsName('n'.repeat(255))).toBe('n'.repeat(255));
    expect(() => validate.netnsName('n'.repeat(256))).toThrow(
      new RangeError('name is longer than NAME_MAX (255 bytes)'),
    );
    expect(() => validate.netnsName('ü'.repeat(128))).toThrow(RangeError); // 256 bytes
    for (const bad of ['.', '..', 'a/b', '/a', 'a/']) expect(() => validate.netnsName(bad)).toThrow(/single file name/);
    expect(validate.netnsName('..a')).toBe('..a');
    expect(() => validate.netnsName('', 'netns')).toThrow(new RangeError('netns must not be empty'));
  });

  it('object and func: plain objects (not null, not arrays) and functions', () => {
    const o = { a: 1 };
    expect(validate.object(o, 'options')).toBe(o);
    expect(() => validate.object(null, 'options')).toThrow(new TypeError('options must be an object, got null'));
    expect(() => validate.object([], 'options')).toThrow(/got an array/);
    expect(() => validate.object('x', 'options')).toThrow(TypeError);
    const f = () => 1;
    expect(validate.func(f, 'fn')).toBe(f);
    expect(() => validate.func({}, 'fn')).toThrow(new TypeError('fn must be a function, got an object'));
  });
});
