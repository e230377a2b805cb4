import { colourWanted } from '../lib/logger';
import { type Painter, painter } from './style';

/** How a command's output is laid out: the width it may use, and colour or not. */
export interface Layout {
  width: number;
  /**
   * Whether long texts are wrapped to the width: only when the width is known (a terminal, or
   * $COLUMNS). Piped, each item stays on its line, for grep.
   */
  wrap: boolean;
  paint: Painter;
}

/**
 * stdout's: the terminal's width (else $COLUMNS, else 120 when piped) less one column, so that no
 * line reaches the edge; colour only on a terminal, and never with NO_COLOR.
 */
export function stdoutLayout(): Layout {
  const known = process.stdout.columns || Number(process.env.COLUMNS);
  return { width: Math.max(40, (known || 120) - 1), wrap: Boolean(known), paint: painter(colourWanted(process.stdout)) };
}
