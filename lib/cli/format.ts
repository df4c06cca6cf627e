// Output helpers: tables laid out as util-linux's libsmartcols lays them out
// for lsns and its siblings (widths, alignment, tree art, multi-line cells,
// truncation on a terminal, raw output), colour only on a terminal, and JSON
// with bigints as numbers.
import { styleText } from 'node:util';
import type { Io } from './command.js';

export interface Column {
  header: string;
  /** Right-aligned (numbers). */
  right?: boolean;
  /** libsmartcols' width hint (≥ 1): this wide at least, once its data is as wide as its header. */
  width?: number;
  /** May be cut to fit the terminal (SCOLS_FL_TRUNC). */
  trunc?: boolean;
  /** The lines of a cell ("\n") are printed one under the other (SCOLS_FL_WRAP with scols_wrapnl_*). */
  lines?: boolean;
  /** The tree column: each cell starts with the tree art of its row's place under its parent. */
  tree?: boolean;
}

type Style = Parameters<typeof styleText>[0];

/** `text` in `style` when writing to a terminal (and NO_COLOR is unset). */
export function paint(io: Io, style: Style, text: string): string {
  return io.tty && !process.env.NO_COLOR ? styleText(style, text) : text;
}

export interface Row {
  /** Plain text, one per column; undefined (or '') for an empty cell. */
  cells: readonly (string | undefined)[];
  /** How the whole row looks on a terminal. */
  style?: Style;
  /** The row this one is nested under: an earlier row of the same table. */
  parent?: Row;
}

export interface TableOptions {
  /** lsns -r: cells separated by one space, blanks and non-printable bytes as \xNN, no alignment. */
  raw?: boolean;
  /** lsns -n: no header line. */
  noHeadings?: boolean;
}

export interface Tree<T> {
  item: T;
  children: Tree<T>[];
}

/** Items with `parent` links (parents first) as a forest, in their order. */
export function forest<T extends { parent?: T | undefined }>(items: readonly T[]): Tree<T>[] {
  const nodes = new Map(items.map((item) => [item, { item, children: [] as Tree<T>[] }]));
  const roots: Tree<T>[] = [];
  for (const node of nodes.values()) {
    const parent = node.item.parent && nodes.get(node.item.parent);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

/** A row as printed: its cells (tree art included) and its tree art for continuation lines. */
interface Line {
  row: Row;
  cells: string[];
  /** The tree column's filler on a row's extra lines, and whether the row has children below. */
  art: string;
  parentOfMore: boolean;
}

/**
 * The table as libsmartcols prints it: in tree order when a column is the
 * tree column (in the rows' order otherwise), columns as wide as their widest
 * cell (and their width hint), the last one unpadded. On a terminal, columns
 * that may be truncated are cut to fit its width. Nothing at all for no rows.
 */
export function table(io: Io, columns: readonly Column[], rows: readonly Row[], options: TableOptions = {}): string {
  if (rows.length === 0) return '';
  const tree = columns.findIndex((c) => c.tree);
  const lines = tree >= 0 ? treeLines(forest(rows), columns.length, tree, symbols()) : rows.map((row) => plain(row));
  if (options.raw) {
    const text = [...(options.noHeadings ? [] : [columns.map((c) => c.header)]), ...lines.map((l) => l.cells)];
    return text.map((cells) => `${cells.map(rawEncode).join(' ')}\n`).join('');
  }
  const widths = layout(io, columns, lines, tree);
  const out: string[] = [];
  if (!options.noHeadings) {
    const header = columns.map((c, i) => cell(c, i === columns.length - 1, widths[i]!, safeEncode(c.header, false)));
    out.push(paint(io, 'bold', header.join('')));
  }
  for (const line of lines) for (const text of printLine(columns, widths, line)) out.push(styled(io, line.row, text));
  return `${out.join('\n')}\n`;
}

function styled(io: Io, row: Row, text: string): string {
  return row.style ? paint(io, row.style, text) : text;
}

function plain(row: Row): Line {
  return { row, cells: row.cells.map((c) => c ?? ''), art: '', parentOfMore: false };
}

interface Symbols {
  branch: string;
  right: string;
  vertical: string;
}

/** libsmartcols' tree symbols: box drawing in a UTF-8 locale, ASCII otherwise. */
function symbols(): Symbols {
  const locale = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '';
  return /utf-?8/i.test(locale)
    ? { branch: '├─', right: '└─', vertical: '│ ' }
    : { branch: '|-', right: '`-', vertical: '| ' };
}

/** Depth first; a nested row's tree cell starts with its ancestors' verticals and its own branch. */
function treeLines(roots: Tree<Row>[], ncolumns: number, tree: number, sym: Symbols): Line[] {
  const out: Line[] = [];
  const walk = (nodes: Tree<Row>[], above: string, nested: boolean) => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      const own = nested ? above + (last ? '  ' : sym.vertical) : '';
      const cells = Array.from({ length: ncolumns }, (_, c) => node.item.cells[c] ?? '');
      if (nested) cells[tree] = `${above}${last ? sym.right : sym.branch}${cells[tree]}`;
      out.push({ row: node.item, cells, art: own, parentOfMore: node.children.length > 0 });
      walk(node.children, own, true);
    });
  };
  walk(roots, '', false);
  return out;
}

/** Column widths, as __scols_calculate computes them (on a terminal: truncated to fit it). */
function layout(io: Io, columns: readonly Column[], lines: readonly Line[], tree: number): number[] {
  const minimum = columns.map((c) => Math.max(1, textWidth(safeEncode(c.header, false))));
  const widths = columns.map((c, i) => {
    const data = Math.max(0, ...lines.map((l) => cellWidth(c, l.cells[i]!)));
    if (data < minimum[i]!) return minimum[i]!;
    return c.width !== undefined && data < c.width && minimum[i]! < c.width ? c.width : data;
  });
  if (!io.tty) return widths;
  const termwidth = io.columns || Number(process.env.COLUMNS) || 80;
  const treeArt =
    tree < 0 ? 0 : Math.max(0, ...lines.map((l) => textWidth(l.cells[tree]!) - textWidth(l.row.cells[tree] ?? '')));
  let total = widths.reduce((a, b) => a + b, 0) + columns.length - 1;
  // reduce: one cell at a time from each column that may be truncated, as long as that helps
  for (let changed = true; total > termwidth && changed; ) {
    changed = false;
    for (const [i, c] of columns.entries()) {
      if (total <= termwidth) break;
      if (!c.trunc || widths[i] === minimum[i] || (c.tree && total <= treeArt)) continue;
      widths[i]!--;
      total--;
      changed = true;
    }
  }
  return widths;
}

/** A cell's width: of its widest line for a multi-line column. */
function cellWidth(column: Column, text: string): number {
  const encoded = safeEncode(text, column.lines === true);
  return column.lines ? Math.max(...encoded.split('\n').map(textWidth)) : textWidth(encoded);
}

/** The physical lines of a row: the first, then one per further line of its multi-line cells. */
function printLine(columns: readonly Column[], widths: readonly number[], line: Line): string[] {
  const pending = columns.map((c, i) => {
    const text = safeEncode(line.cells[i]!, c.lines === true);
    return c.lines ? text.split('\n') : [text];
  });
  const last = columns.length - 1;
  const first = columns.map((c, i) => cell(c, i === last, widths[i]!, pending[i]!.shift()!));
  const out = [first.join('')];
  while (pending.some((p) => p.length > 0)) {
    const cells = columns.map((c, i) => {
      const chunk = pending[i]!.shift();
      if (chunk !== undefined) return fill(chunk, i === last, widths[i]!);
      // an empty cell: in the tree column, the art that continues the tree below
      const more = line.parentOfMore && pending.some((p) => p.length > 0);
      return fill(c.tree ? line.art + (more ? symbols().vertical : '') : '', i === last, widths[i]!);
    });
    out.push(cells.join(''));
  }
  return out;
}

/** print_data: aligned, cut where allowed, padded and followed by the separator except in the last column. */
function cell(column: Column, last: boolean, width: number, text: string): string {
  let len = textWidth(text);
  let w = width;
  if (last && len < w && !column.right) w = len;
  if (len > w && column.trunc) {
    text = truncate(text, w);
    len = textWidth(text);
  }
  const aligned = text && column.right ? ' '.repeat(Math.max(0, w - len)) + text : text;
  return fill(aligned, last, w);
}

function fill(text: string, last: boolean, width: number): string {
  return last ? text : `${text}${' '.repeat(Math.max(0, width - textWidth(text)))} `;
}

/** mbs_safe_encode: control characters (and a literal "\x") as \xNN of their UTF-8 bytes. */
function safeEncode(text: string, keepNewlines: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = ch.charCodeAt(0);
    if (keepNewlines && ch === '\n') out += ch;
    else if ((ch === '\\' && text[i + 1] === 'x') || code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0))
      out += hexBytes(ch);
    else out += ch;
  }
  return out;
}

/** fputs_nonblank: every byte but printable ASCII other than space and backslash as \xNN. */
function rawEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${hex(byte)}`;
  }
  return out;
}

function hexBytes(ch: string): string {
  return [...Buffer.from(ch, 'utf8')].map((b) => `\\x${hex(b)}`).join('');
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

// East Asian wide and fullwidth characters take two cells (wcwidth), combining marks none.
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
const ZERO = /[\p{Mn}\p{Me}\u200b]/u;

function charWidth(ch: string): number {
  return ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
}

/** Terminal cells `text` takes. */
function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch);
  return width;
}

/** mbs_truncate: the longest start of `text` that fits in `width` cells. */
function truncate(text: string, width: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = charWidth(ch);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return out;
}

/** JSON for scripts: bigints as numbers (as strings beyond 2^53). */
export function json(value: unknown): string {
  return `${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v)) : v), 2)}\n`;
}
