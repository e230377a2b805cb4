/** Colour and style sequences (ESC [ … m). */
// eslint-disable-next-line no-control-regex -- terminal control sequences are what this reads
export const SGR = /\x1b\[[0-9;]*m/g;

/**
 * What a terminal shows after receiving some output: carriage returns, "erase to end of line"
 * (ESC [ K) and newlines, the only controls the CLI writes. Colours (ESC [ … m) are dropped.
 */
export function screen(output: string): string[] {
  const lines: string[] = [''];
  let col = 0;
  const text = output.replace(SGR, '');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const row = lines.length - 1;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      lines.push('');
      col = 0;
    } else if (ch === '\x1b' && text.startsWith('[K', i + 1)) {
      lines[row] = lines[row].slice(0, col);
      i += 2;
    } else if (ch === '\x1b' && /^\[\?25[lh]/.test(text.slice(i + 1))) {
      i += 5; // cursor hide/show
    } else {
      lines[row] = lines[row].slice(0, col).padEnd(col) + ch + lines[row].slice(col + 1);
      col++;
    }
  }
  return lines;
}

/** A stream that looks like a terminal of `columns` and keeps what was written to it. */
export class RecordingTerminal {
  output = '';
  readonly isTTY = true;
  constructor(public columns = 80) {}
  write(text: string): boolean {
    this.output += text;
    return true;
  }
  get screen(): string[] {
    return screen(this.output);
  }
}
