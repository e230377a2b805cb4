/** What a live line needs of its stream: process.stderr, or a recording stream in tests. */
export interface TerminalStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const CLEAR_LINE = '\r\x1b[K';

/**
 * One status line kept at the bottom of a terminal — the progress of `dataflowd run` — with
 * everything else written above it: a log line clears the status line, takes its place, and the
 * status line is drawn again below it, in one write so that the terminal never shows a mix.
 * Off a terminal there is no status line and text passes straight through.
 */
export class LiveLine {
  private text: string | undefined;

  constructor(private readonly out: TerminalStream) {}

  /** Whether a status line can be shown at all: only on a terminal. */
  get available(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** Columns a status line may use: one less than the terminal's, so that it never wraps. */
  get width(): number {
    return Math.max(20, (this.out.columns || 80) - 1);
  }

  /** Shows the status line, or replaces it. */
  show(text: string): void {
    if (!this.available) return;
    this.text = text;
    this.out.write(`${CLEAR_LINE}${fit(text, this.width)}`);
  }

  /** Text above the status line (a log line); written as is when no status line is shown. */
  write(text: string): void {
    if (this.text === undefined) {
      this.out.write(text);
      return;
    }
    this.out.write(`${CLEAR_LINE}${text.endsWith('\n') ? text : `${text}\n`}${fit(this.text, this.width)}`);
  }

  /** Removes the status line, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (this.text === undefined) return;
    this.text = undefined;
    this.out.write(CLEAR_LINE);
  }
}

/** Cuts a line of plain text to a width, with an ellipsis where it was cut. */
export function fit(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

let stderr: LiveLine | undefined;

/**
 * The status line of stderr. There is one stderr per process, so there is one of these: the
 * command's logger writes through it and the progress display draws on it.
 */
export function stderrLine(): LiveLine {
  stderr ??= new LiveLine(process.stderr);
  return stderr;
}
