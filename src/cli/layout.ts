import { colourWanted } from '../lib/logger';
import { type Painter, painter } from './style';

/** How a command's output is laid out: the width it may use, and colour or not. */
export interface Layout {
  width: number;
  paint: Painter;
}

/**
 * stdout's: the terminal's width (else $COLUMNS, else 120 when piped) less one column, so that no
 * line reaches the edge; colour only on a terminal, and never with NO_COLOR.
 */
export function stdoutLayout(): Layout {
  const columns = process.stdout.columns || Number(process.env.COLUMNS) || 120;
  return { width: Math.max(40, columns - 1), paint: painter(colourWanted(process.stdout)) };
}
