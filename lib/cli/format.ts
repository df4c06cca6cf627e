// Output helpers: aligned tables like util-linux prints them, colour only on a
// terminal, JSON with bigints as numbers.
import { styleText } from 'node:util';
import type { Io } from './command.js';

export interface Column {
  header: string;
  /** Right-aligned (numbers). */
  right?: boolean;
}

type Style = Parameters<typeof styleText>[0];

/** `text` in `style` when writing to a terminal (and NO_COLOR is unset). */
export function paint(io: Io, style: Style, text: string): string {
  return io.tty && !process.env.NO_COLOR ? styleText(style, text) : text;
}

export interface Row {
  /** Plain text, one per column. */
  cells: readonly string[];
  /** How the whole line looks on a terminal. */
  style?: Style;
}

/** Columns padded to their widest cell; on a terminal, lines are cut to its width. */
export function table(io: Io, columns: readonly Column[], rows: readonly Row[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => r.cells[i]!.length)));
  const last = columns.length - 1;
  const line = ({ cells, style }: Row) => {
    const padded = cells.map((cell, i) =>
      i === last ? cell : columns[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!),
    );
    let text = padded.join(' ').trimEnd();
    if (io.tty && io.columns && text.length > io.columns) text = text.slice(0, io.columns);
    return `${style ? paint(io, style, text) : text}\n`;
  };
  return line({ cells: columns.map((c) => c.header), style: 'bold' }) + rows.map(line).join('');
}

/** JSON for scripts: bigints as numbers (as strings beyond 2^53). */
export function json(value: unknown): string {
  return `${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v)) : v), 2)}\n`;
}
