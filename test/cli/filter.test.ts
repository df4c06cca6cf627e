// lsns -Q/--filter's expression language (libsmartcols scols-filter(5), util-linux 2.40+): this
// machine's util-linux 2.38 has none, so the cases restate its documentation and its parser's
// rules (filter-parser.y, filter-scanner.l, filter-param.c) with the outcome they define.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Filter, FilterError } from '../../lib/cli/filter.js';
import { compileC } from '../support/cc.js';

const PRINTF_LG = `#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) printf("%Lg\\n", strtold(argv[i], NULL));
  return 0;
}
`;

const TYPES: Record<string, 'number' | 'string'> = {
  NS: 'number',
  NPROCS: 'number',
  PID: 'number',
  TYPE: 'string',
  COMMAND: 'string',
  NSFS: 'string',
};

const column = (name: string) => {
  const upper = name.toUpperCase();
  return TYPES[upper] ? { name: upper, type: TYPES[upper] } : undefined;
};

/** A namespace row as lsns fills its cells (undefined: no data). */
const row: Record<string, string | undefined> = {
  NS: '4026532200',
  NPROCS: '2',
  PID: '314',
  TYPE: 'net',
  COMMAND: 'sleep 1000',
  NSFS: undefined,
};
const persistent: Record<string, string | undefined> = { ...row, NPROCS: '0', PID: undefined, COMMAND: undefined };

function holds(expr: string, cells = row): boolean {
  return new Filter(expr, column).matches((name) => cells[name]);
}

function parseError(expr: string): string {
  try {
    new Filter(expr, column);
  } catch (e) {
    expect(e).toBeInstanceOf(FilterError);
    return (e as Error).message;
  }
  throw new Error(`parsed: ${expr}`);
}

describe('lsns --filter expressions', () => {
  it('comparisons on number and string columns, C-style and letter operators', () => {
    for (const expr of [
      'NS == 4026532200',
      'NS eq 4026532200',
      'NPROCS > 1',
      'NPROCS gt 1',
      'NPROCS >= 2',
      'NPROCS ge 2',
    ])
      expect(holds(expr)).toBe(true);
    for (const expr of [
      'NPROCS < 2',
      'NPROCS lt 2',
      'NPROCS <= 1',
      'NPROCS le 1',
      'NS != 4026532200',
      'NS ne 4026532200',
    ])
      expect(holds(expr)).toBe(false);
    expect(holds('TYPE == "net"')).toBe(true);
    expect(holds("TYPE == 'net'")).toBe(true);
    expect(holds('TYPE != "net"')).toBe(false);
    expect(holds('TYPE < "pid"')).toBe(true); // strcmp order
    expect(holds('10 > 9')).toBe(true); // numbers compare as numbers…
    expect(holds('"10" > "9"')).toBe(false); // …strings as strings
    expect(holds('type == "net"')).toBe(true); // column names in any case
  });

  it('&&, ||, ! (and, or, not) and parentheses; && and || share one precedence, left to right (filter-parser.y)', () => {
    expect(holds('TYPE == "net" && NPROCS == 2')).toBe(true);
    expect(holds('TYPE == "net" and NPROCS == 3')).toBe(false);
    expect(holds('TYPE == "pid" || NPROCS == 2')).toBe(true);
    expect(holds('TYPE == "pid" or NPROCS == 3')).toBe(false);
    expect(holds('!(TYPE == "pid")')).toBe(true);
    expect(holds('not TYPE == "net"')).toBe(true); // (not TYPE) == "net", as booleans: false == false
    // C would read 1 || (0 && 0) = true; libsmartcols reads (1 || 0) && 0 = false
    expect(holds('NPROCS == 2 || NPROCS == 5 && NPROCS == 7')).toBe(false);
    expect(holds('NPROCS == 2 || (NPROCS == 5 && NPROCS == 7)')).toBe(true);
  });

  it('a column alone: true when it has data (a number: not 0)', () => {
    expect(holds('COMMAND')).toBe(true);
    expect(holds('COMMAND', persistent)).toBe(false);
    expect(holds('NSFS')).toBe(false);
    expect(holds('NPROCS', persistent)).toBe(false);
    expect(holds('!PID', persistent)).toBe(true);
  });

  it('an empty number column compares as nothing: neither == nor != holds', () => {
    expect(holds('PID == 314')).toBe(true);
    expect(holds('PID == 0', persistent)).toBe(false);
    expect(holds('PID != 0', persistent)).toBe(false);
    expect(holds('COMMAND != "x"', persistent)).toBe(true); // a missing string orders before any string
    expect(holds('COMMAND == ""', persistent)).toBe(false);
  });

  it('numbers: size suffixes (powers of 1024), floats; a number compared with a string compares as a string', () => {
    expect(holds('1K == 1024')).toBe(true);
    expect(holds('1KiB == 1024 && 2M == 2097152')).toBe(true);
    expect(holds('NPROCS > 1.5 && NPROCS < 2.5')).toBe(true);
    expect(holds('NS == "4026532200"')).toBe(true);
    expect(holds('NS == "04026532200"')).toBe(false);
    expect(holds("TYPE == '  net  '")).toBe(true); // string literals are trimmed
    expect(holds('true && !false')).toBe(true);
  });

  it('a number too large is the largest (strtoumax), as the scanner reads it', () => {
    expect(holds('99999999999999999999999 == 18446744073709551615')).toBe(true);
    expect(holds('18446744073709551616 == 18446744073709551615 && 18446744073709551615 > 18446744073709551614')).toBe(
      true,
    );
  });

  it('a float compared with a string literal is printed as printf("%Lg") prints it (compiled here, side by side)', () => {
    const printf = compileC('printf-lg', PRINTF_LG);
    const floats = [
      '1.5',
      '999999.5',
      '999999.4',
      '0.00009999996',
      '0.000099999',
      '9.9999995',
      '100000.0',
      '1000000.0',
    ];
    const printed = execFileSync(printf, floats, { encoding: 'utf8' }).trim().split('\n');
    expect(printed).toContain('1e+06');
    floats.forEach((f, i) => {
      expect(holds(`"${printed[i]}" == ${f}`), `${f} as ${printed[i]}`).toBe(true); // the left side's type: string
    });
  });

  it('=~ and !~: POSIX extended regular expressions, searched anywhere', () => {
    expect(holds('COMMAND =~ "^sleep [[:digit:]]+$"')).toBe(true);
    expect(holds('COMMAND =~ "slee"')).toBe(true);
    expect(holds('COMMAND !~ "sleep"')).toBe(false);
    expect(holds('NS =~ "^40265322"')).toBe(true); // the number as text
    expect(holds('COMMAND =~ "x"', persistent)).toBe(false);
    expect(holds('COMMAND =~ "^a.b$"', { ...row, COMMAND: 'a\nb' })).toBe(true); // no REG_NEWLINE: '.' takes it
  });

  it('bad expressions and unknown columns fail to parse, with the reason', () => {
    expect(parseError('NS ==')).toMatch(/^failed to parse "NS ==": syntax error, unexpected end of expression$/);
    expect(parseError('(NS == 1')).toMatch(/unexpected end of expression/);
    expect(parseError('NS == 1)')).toMatch(/unexpected \)/);
    expect(parseError('NS = 1')).toMatch(/unexpected "="/);
    expect(parseError("TYPE == 'net")).toMatch(/unexpected "'"/);
    expect(parseError('NOPE == 1')).toMatch(/unknown column 'NOPE'/);
    expect(parseError('')).toMatch(/unexpected end of expression/);
    expect(parseError('COMMAND =~ TYPE')).toMatch(/string on the right/);
    expect(parseError('COMMAND =~ "("')).toMatch(/failed to parse/);
    expect(parseError('99999999999999999999K == 1')).toMatch(/"99999999999999999999K" token error/); // strtosize
    expect(parseError(`NS == ${'1'.repeat(1100)}`)).toMatch(/longer than 1024 bytes/);
    expect(parseError(Array(100).fill('NS<1').join('||'))).toMatch(/more than 256/);
  });

  it('a value that cannot be cast fails when applied', () => {
    expect(() => holds('TYPE == 5')).toThrow(/^failed to apply filter: 'net' is not a number$/);
    expect(() => holds('(NS == 1) =~ "x"')).toThrow(FilterError);
  });
});
