/*
 * Splits a multi-line JSON file into its records without holding more than one record in memory:
 * either one top-level array (`[{…}, {…}]`, Platform's isMultiLineJson layout) or top-level
 * values one after another (pretty-printed objects). It tracks only nesting depth and strings,
 * which is all it takes to find where each element ends; JSON.parse then checks each element,
 * so a broken record is one bad row while a broken outline (unclosed array) spoils the file.
 *
 * The client splits documents with the same method in prep/json-splitter.ts, and this one is
 * kept apart on purpose: it is Platform's reading of the files the client sends (isMultiLineJson),
 * and a splitting bug shared by both would split the client's output the same wrong way on both
 * sides and pass every end-to-end test. Being small and stable, it costs little to keep twice.
 */

export interface RawRecord {
  text: string;
  /** 1-based line where the record starts. */
  line: number;
}

export class JsonOutlineError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
    this.name = 'JsonOutlineError';
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const BOM = 0xfeff;

function isSpace(c: number): boolean {
  return c === 0x20 || c === NEWLINE || c === 0x0d || c === 0x09 || c === BOM;
}

export async function* splitJsonDocument(chunks: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  let line = 1;
  let started = false;
  let arrayMode = false;
  let arrayClosed = false;
  let afterComma = false; // array mode: a ',' was seen and its element has not started yet
  let depth = 0; // open brackets and braces of the current element
  let inString = false;
  let escaped = false;
  let inElement = false;
  let elementLine = 0;
  let parts: string[] = [];

  for await (const chunk of chunks) {
    let segmentStart = inElement ? 0 : -1;
    const emit = (end: number): RawRecord => {
      parts.push(chunk.slice(segmentStart, end));
      const record = { text: parts.join('').trim(), line: elementLine };
      parts = [];
      inElement = false;
      segmentStart = -1;
      return record;
    };
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (depth > 0) {
        if (c === QUOTE) inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          depth--;
          if (depth === 0 && !arrayMode) yield emit(i + 1);
        }
        continue;
      }
      if (!started) {
        if (isSpace(c)) continue;
        started = true;
        if (c === OPEN_BRACKET) {
          arrayMode = true;
          continue;
        }
      }
      if (arrayClosed) {
        if (!isSpace(c)) throw new JsonOutlineError('unexpected content after the closing ]', line);
        continue;
      }
      if (arrayMode && (c === COMMA || c === CLOSE_BRACKET)) {
        if (inElement) yield emit(i);
        // '[,', ',,' and ',]' leave an element out; only '[]' may close without one.
        else if (c === COMMA || afterComma) throw new JsonOutlineError('missing array element', line);
        afterComma = c === COMMA;
        if (c === CLOSE_BRACKET) arrayClosed = true;
        continue;
      }
      if (!inElement) {
        if (isSpace(c)) continue;
        if (!arrayMode && c !== OPEN_BRACE && c !== OPEN_BRACKET) {
          throw new JsonOutlineError('expected an object or an array', line);
        }
        inElement = true;
        elementLine = line;
        segmentStart = i;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) throw new JsonOutlineError('unbalanced closing bracket', line);
    }
    if (inElement) parts.push(chunk.slice(segmentStart));
  }
  if (inString || depth > 0) throw new JsonOutlineError('unexpected end of file inside a value', line);
  if (arrayMode && !arrayClosed) throw new JsonOutlineError('unexpected end of file: the array is not closed', line);
}
