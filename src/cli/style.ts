import type { RunStatus } from '../store/types';

/** SGR open and close codes; the close codes reset only what was opened. */
const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

export type Style = keyof typeof STYLES;

/** Styles text, or leaves it plain when colour is off (not a terminal, or NO_COLOR). */
export type Painter = (text: string, style: Style | undefined) => string;

export function painter(enabled: boolean): Painter {
  return (text, style) => {
    if (!enabled || style === undefined || text === '') return text;
    const [open, close] = STYLES[style];
    return `\x1b[${open}m${text}\x1b[${close}m`;
  };
}

/** How each way a run can end is shown; unknown statuses (newer than this file) stay plain. */
export function statusStyle(status: RunStatus | string): Style | undefined {
  switch (status) {
    case 'succeeded':
      return 'green';
    case 'partially_succeeded':
      return 'yellow';
    case 'failed':
      return 'red';
    case 'running':
      return 'cyan';
    case 'skipped':
      return 'dim';
    case 'cancelled':
      return 'yellow';
    default:
      return undefined;
  }
}
