// libsmartcols filter expressions (scols-filter(5)), as lsns -Q/--filter
// (util-linux 2.41) reads and applies them: the grammar of filter-parser.y
// and filter-scanner.l, the typing, casting and comparison rules of
// filter-expr.c and filter-param.c. Written from util-linux's documentation
// and source; util-linux 2.38 (this machine's) has no filter to compare with.
import { UsageError } from './command.js';

/** A column's data type in a filter: lsns's JSON number columns compare as unsigned 64-bit numbers. */
export type FilterType = 'number' | 'string';

/** An expression that cannot be parsed or applied, or a column it names that does not exist. */
export class FilterError extends UsageError {}

type DataType = 'u64' | 'float' | 'string' | 'boolean';

/** A value as libsmartcols holds it: an empty one (a column without data) compares as nothing. */
interface Data {
  type: DataType;
  value: bigint | number | string | boolean | undefined;
  empty: boolean;
}

type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~';

type Node =
  | { kind: 'param'; data: Data }
  | { kind: 'holder'; column: string; type: FilterType }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; operand: Node }
  | { kind: 'compare'; op: Comparison; left: Node; right: Node; regex?: RegExp };

type Token =
  | { t: 'op'; op: Comparison | '&&' | '||' | '!' }
  | { t: '(' | ')' | 'end' }
  | { t: 'param'; data: Data }
  | { t: 'holder'; name: string };

const MAX_LENGTH = 1024;
const MAX_NODES = 256;
const MAX_PATTERN = 256;
const U64_MAX = (1n << 64n) - 1n;

// filter-scanner.l: words (the keywords win over a column name of the same length), symbols, literals
const WORDS: Record<string, Token> = {};
for (const [words, token] of [
  ['and AND', { t: 'op', op: '&&' }],
  ['or OR', { t: 'op', op: '||' }],
  ['not NOT', { t: 'op', op: '!' }],
  ['eq EQ', { t: 'op', op: '==' }],
  ['ne NE', { t: 'op', op: '!=' }],
  ['le LE', { t: 'op', op: '<=' }],
  ['lt LT', { t: 'op', op: '<' }],
  ['ge GE', { t: 'op', op: '>=' }],
  ['gt GT', { t: 'op', op: '>' }],
  ['true TRUE', { t: 'param', data: { type: 'boolean', value: true, empty: false } }],
  ['false FALSE', { t: 'param', data: { type: 'boolean', value: false, empty: false } }],
] as const)
  for (const word of words.split(' ')) WORDS[word] = token;
const SYMBOLS = ['&&', '||', '==', '!=', '<=', '>=', '=~', '!~', '!', '<', '>'] as const;
const SUFFIX = 'KMGTPEZY';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const blank = /^[ \t\n]+/.exec(rest);
    const number = /^(\d+\.\d+)|^(\d+)([KMGTPEZY](?:iB)?)?/.exec(rest);
    const word = /^[a-zA-Z][a-zA-Z_.%:/\-0-9]*/.exec(rest);
    const string = /^"[^"\n]*"|^'[^'\n]*'/.exec(rest);
    const symbol = SYMBOLS.find((s) => rest.startsWith(s));
    if (blank) i += blank[0].length;
    else if (rest[0] === '(' || rest[0] === ')') {
      tokens.push({ t: rest[0] });
      i++;
    } else if (symbol) {
      tokens.push({ t: 'op', op: symbol });
      i += symbol.length;
    } else if (number) {
      tokens.push({ t: 'param', data: numberLiteral(number) });
      i += number[0].length;
    } else if (word) {
      tokens.push(WORDS[word[0]] ?? { t: 'holder', name: word[0] });
      i += word[0].length;
    } else if (string) {
      // quotes off, and blanks at either end (param_set_data trims them)
      tokens.push({ t: 'param', data: { type: 'string', value: string[0].slice(1, -1).trim(), empty: false } });
      i += string[0].length;
    } else throw new FilterError(`syntax error, unexpected ${JSON.stringify(rest[0])}`);
  }
  tokens.push({ t: 'end' });
  return tokens;
}

function numberLiteral(m: RegExpExecArray): Data {
  if (m[1]) return { type: 'float', value: Number(m[1]), empty: false };
  const digits = BigInt(m[2]!);
  // a plain number is strtoumax's (too large: the largest, ERANGE unchecked), one with a suffix strtosize's
  if (!m[3]) return { type: 'u64', value: digits > U64_MAX ? U64_MAX : digits, empty: false };
  const value = digits << BigInt(10 * (SUFFIX.indexOf(m[3][0]!) + 1)); // K is 2^10, KiB the same
  if (value > U64_MAX) throw new FilterError(`"${m[0]}" token error: Numerical result out of range`);
  return { type: 'u64', value, empty: false };
}

/** A parsed -Q expression. */
export class Filter {
  /** The columns it names, as the lookup spelled them, each once. */
  readonly columns: string[] = [];
  readonly #root: Node;

  /** Parse `text`; `column(name)` gives the canonical name and type of a column (any case), or undefined. */
  constructor(text: string, column: (name: string) => { name: string; type: FilterType } | undefined) {
    try {
      this.#root = this.#parse(text, column);
    } catch (e) {
      if (e instanceof FilterError) throw new FilterError(`failed to parse "${text}": ${e.message}`);
      throw e;
    }
  }

  #parse(text: string, column: (name: string) => { name: string; type: FilterType } | undefined): Node {
    if (Buffer.byteLength(text) > MAX_LENGTH) throw new FilterError(`longer than ${MAX_LENGTH} bytes`);
    const tokens = tokenize(text);
    let pos = 0;
    let nodes = 0;
    const next = () => tokens[pos++]!;
    const peek = () => tokens[pos]!;
    const made = <N extends Node>(node: N): N => {
      if (++nodes > MAX_NODES) throw new FilterError(`more than ${MAX_NODES} operators and operands`);
      return node;
    };
    const unexpected = (token: Token) =>
      new FilterError(
        `syntax error, unexpected ${token.t === 'end' ? 'end of expression' : token.t === 'op' ? token.op : token.t === 'param' ? `value ${String(token.data.value)}` : token.t === 'holder' ? token.name : token.t}`,
      );
    // filter-parser.y: || and && share the lowest precedence, comparisons and ! the next; all left-associative
    const level = (token: Token) =>
      token.t !== 'op' || token.op === '!' ? 0 : token.op === '&&' || token.op === '||' ? 1 : 2;
    const primary = (): Node => {
      const token = next();
      if (token.t === 'op' && token.op === '!') return made({ kind: 'not', operand: primary() });
      if (token.t === '(') {
        const inner = expression(1);
        const close = next();
        if (close.t !== ')') throw unexpected(close);
        return inner;
      }
      if (token.t === 'param') return made({ kind: 'param', data: token.data });
      if (token.t === 'holder') {
        const found = column(token.name);
        if (!found) throw new FilterError(`unknown column '${token.name}'`);
        if (!this.columns.includes(found.name)) this.columns.push(found.name);
        return made({ kind: 'holder', column: found.name, type: found.type });
      }
      throw unexpected(token);
    };
    const expression = (min: number): Node => {
      let left = primary();
      for (let token = peek(); level(token) >= min; token = peek()) {
        pos++;
        const op = (token as { op: Comparison | '&&' | '||' }).op;
        const right = expression(level(token) + 1);
        if (op === '&&' || op === '||') left = made({ kind: op === '&&' ? 'and' : 'or', left, right });
        else
          left = made({
            kind: 'compare',
            op,
            left,
            right,
            regex: op === '=~' || op === '!~' ? pattern(right) : undefined,
          });
      }
      return left;
    };
    const root = expression(1);
    if (peek().t !== 'end') throw unexpected(peek());
    return root;
  }

  /** Whether a row passes; `cell(column)` is its text in that column (undefined when empty). */
  matches(cell: (column: string) => string | undefined): boolean {
    return evaluate(this.#root, cell);
  }
}

/** The right side of =~ and !~ must be a string literal: a POSIX extended regular expression. */
function pattern(node: Node): RegExp {
  if (node.kind !== 'param' || node.data.type !== 'string')
    throw new FilterError('=~ and !~ need a string on the right');
  const source = node.data.value as string;
  if (Buffer.byteLength(source) > MAX_PATTERN)
    throw new FilterError(`regular expression longer than ${MAX_PATTERN} bytes`);
  try {
    return new RegExp(posixClasses(source), 's'); // regcomp without REG_NEWLINE: '.' matches a newline too
  } catch (e) {
    throw new FilterError((e as Error).message);
  }
}

const CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

/** POSIX bracket classes ([[:digit:]]) as JavaScript ranges. */
function posixClasses(source: string): string {
  return source.replace(/\[:([a-z]+):\]/g, (all, name: string) => CLASSES[name] ?? all);
}

function evaluate(node: Node, cell: (column: string) => string | undefined): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, cell) && evaluate(node.right, cell);
    case 'or':
      return evaluate(node.left, cell) || evaluate(node.right, cell);
    case 'not':
      return !evaluate(node.operand, cell);
    case 'compare':
      return compare(node, cell);
    default: {
      // a value alone: true when it is not empty (a number: not 0)
      const data = value(node, cell);
      return (
        !data.empty &&
        data.value !== undefined &&
        data.value !== '' &&
        data.value !== 0 &&
        data.value !== 0n &&
        data.value !== false
      );
    }
  }
}

function typeOf(node: Node): DataType {
  if (node.kind === 'param') return node.data.type;
  if (node.kind === 'holder') return node.type === 'number' ? 'u64' : 'string';
  return 'boolean';
}

/** guess_expr_datatype: the type both sides are compared as. */
function comparedAs(left: Node, right: Node): DataType {
  const [l, r] = [typeOf(left), typeOf(right)];
  if (l === r) return l;
  const type = left.kind === 'holder' && right.kind !== 'holder' ? r : l;
  return type === 'u64' && (l === 'float' || r === 'float') ? 'float' : type;
}

function compare(node: Extract<Node, { kind: 'compare' }>, cell: (column: string) => string | undefined): boolean {
  const type = comparedAs(node.left, node.right);
  const l = cast(value(node.left, cell), type);
  const r = cast(value(node.right, cell), type);
  if (type === 'string') {
    const [a, b] = [l.value as string | undefined, r.value as string | undefined];
    if (node.op === '=~') return node.regex!.test(a ?? '');
    if (node.op === '!~') return !node.regex!.test(a ?? '');
    const order =
      a === undefined || b === undefined
        ? Number(b === undefined) - Number(a === undefined)
        : Buffer.compare(Buffer.from(a), Buffer.from(b));
    return ordered(node.op, order);
  }
  if (node.op === '=~' || node.op === '!~') throw new FilterError(`${node.op} compares strings only`);
  if (l.empty || r.empty) return false;
  const [a, b] = [l.value as bigint | number | boolean, r.value as bigint | number | boolean];
  return ordered(node.op, a < b ? -1 : a > b ? 1 : 0);
}

function ordered(op: Comparison, order: number): boolean {
  switch (op) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

/** A node's value: a literal, a column's cell (empty without data), or an expression's truth. */
function value(node: Node, cell: (column: string) => string | undefined): Data {
  if (node.kind === 'param') return node.data;
  if (node.kind === 'holder') {
    const text = cell(node.column)?.trim();
    const data: Data = { type: 'string', value: text, empty: text === undefined };
    return node.type === 'number' ? cast(data, 'u64', node.column) : data;
  }
  return { type: 'boolean', value: evaluate(node, cell), empty: false };
}

/**
 * cast_param. A string keeps its emptiness (an empty one is 0, false); any
 * other value is copied first and so is no longer empty (an empty number
 * column compares as "0" with a string).
 */
function cast(data: Data, type: DataType, column?: string): Data {
  if (data.type === type) return data;
  const v = data.value;
  if (data.type === 'string') {
    const s = v as string | undefined;
    const bad = () => new FilterError(`failed to apply filter: '${s}'${column ? ` (${column})` : ''} is not a number`);
    switch (type) {
      case 'u64': {
        if (s !== undefined && !/^\+?\d+$/.test(s)) throw bad();
        const n = s === undefined ? 0n : BigInt(s);
        if (n > U64_MAX) throw bad();
        return { type, value: n, empty: data.empty };
      }
      case 'float': {
        const n = s === undefined ? 0 : Number(s);
        if (s !== undefined && (s === '' || Number.isNaN(n))) throw bad();
        return { type, value: n, empty: data.empty };
      }
      default:
        return { type, value: s !== undefined && /^(1|true|y.*)$/is.test(s), empty: data.empty };
    }
  }
  const n = typeof v === 'boolean' ? Number(v) : (v as bigint | number);
  switch (type) {
    case 'string':
      return { type, value: data.type === 'float' ? printG(n as number) : String(v), empty: false };
    case 'u64':
      return { type, value: typeof n === 'bigint' ? n : BigInt(Math.trunc(n)), empty: false };
    case 'float':
      return { type, value: Number(n), empty: false };
    default:
      return { type, value: n > 0, empty: false };
  }
}

/** printf("%Lg"): six significant digits, trailing zeros dropped; an exponent (of two digits at least) when
 * the rounded number's is below -4 or above 5. */
function printG(n: number): string {
  if (n === 0) return '0';
  const [mantissa, e] = n.toExponential(5).split('e') as [string, string];
  const exp = Number(e);
  const trim = (digits: string) => (digits.includes('.') ? digits.replace(/\.?0+$/, '') : digits);
  if (exp < -4 || exp >= 6) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(n.toFixed(5 - exp));
}
