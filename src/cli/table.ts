import { fit } from './live-line';

export interface Column {
  header: string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
  /**
   * Which columns give way when the table is wider than the terminal: the lowest `keep` first;
   * undefined: never dropped. At most one column is `elastic`: it takes the width left, cut.
   */
  keep?: number;
  elastic?: boolean;
}

export interface TableOptions {
  width: number;
  /** Colour for a cell, applied after padding so that widths stay right. */
  paint?: (text: string, column: number, row: number) => string;
  /** Colour for the header row. */
  paintHeader?: (text: string) => string;
}

const GAP = '  ';
/** An elastic column narrower than this tells nothing: it goes, as others do. */
const MIN_ELASTIC = 20;

/**
 * A table that fits `width` columns: the least needed columns go first, the elastic one (an
 * error message) takes what is left and is cut with an ellipsis. Rows never reach the last column.
 */
export function renderTable(columns: readonly Column[], rows: readonly string[][], opts: TableOptions): string {
  const natural = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => [...r[i]].length)));
  const elastic = columns.findIndex((c) => c.elastic);
  const visible = chooseColumns(columns, natural, elastic, opts.width, true) ?? chooseColumns(columns, natural, elastic, opts.width, false) ?? [];
  const widths = [...natural];
  if (visible.includes(elastic)) widths[elastic] = Math.min(natural[elastic], opts.width - fixedWidth(visible, natural, elastic));
  const cell = (text: string, i: number) => {
    const cut = fit(text, widths[i]);
    const pad = ' '.repeat(Math.max(0, widths[i] - [...cut].length));
    return columns[i].align === 'right' ? pad + cut : cut + pad;
  };
  const header = visible.map((i) => cell(columns[i].header, i)).join(GAP).trimEnd();
  const body = rows.map((r, row) =>
    visible
      .map((i) => {
        const padded = cell(r[i], i);
        const painted = opts.paint ? opts.paint(padded.trimEnd(), i, row) + ' '.repeat(padded.length - padded.trimEnd().length) : padded;
        return painted;
      })
      .join(GAP)
      .trimEnd(),
  );
  return [opts.paintHeader ? opts.paintHeader(header) : header, ...body].join('\n');
}

/**
 * The columns to show: the least needed go first until the table fits, the elastic one counted
 * at its least useful width. Undefined when, with the elastic column, not even the columns that
 * never go fit: then without it.
 */
function chooseColumns(columns: readonly Column[], natural: readonly number[], elastic: number, width: number, withElastic: boolean): number[] | undefined {
  const visible = columns.map((_, i) => i).filter((i) => withElastic || i !== elastic);
  const needed = () => fixedWidth(visible, natural, elastic) + (visible.includes(elastic) ? Math.min(natural[elastic], MIN_ELASTIC) : 0);
  while (needed() > width) {
    const droppable = visible.filter((i) => i !== elastic && columns[i].keep !== undefined);
    if (droppable.length === 0) return withElastic && elastic >= 0 ? undefined : visible;
    const drop = droppable.reduce((a, b) => ((columns[b].keep as number) < (columns[a].keep as number) ? b : a));
    visible.splice(visible.indexOf(drop), 1);
  }
  return visible;
}

/** The width of the visible columns but the elastic one, with the gaps between all of them. */
function fixedWidth(visible: readonly number[], natural: readonly number[], elastic: number): number {
  return visible.filter((i) => i !== elastic).reduce((sum, i) => sum + natural[i], 0) + GAP.length * (visible.length - 1);
}

/**
 * Text wrapped at spaces into lines of at most `width` columns, the caller having put a prefix
 * as wide as `indent` before the first line, and `indent` before each other line. A word longer
 * than a line (a path, a URL) is broken where the line ends.
 */
export function wrap(text: string, width: number, indent: string): string {
  const room = Math.max(10, width - indent.length);
  const words = text.split(/ +/).flatMap((w) => {
    const chars = [...w];
    const parts: string[] = [];
    for (let i = 0; i < chars.length; i += room) parts.push(chars.slice(i, i + room).join(''));
    return parts.length > 0 ? parts : [''];
  });
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && [...line].length + 1 + [...word].length > room) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}
