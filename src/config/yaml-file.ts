import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, YAMLError } from 'yaml';
import { errorMessage } from '../lib/errors';
import { formatPath, Problem, YamlPath } from './problem';

/** Node or pair-key range start, if the node has source text of its own. */
function sourceStart(node: unknown): number | undefined {
  if (!isNode(node) || !node.range) return undefined;
  return node.range[0] < node.range[1] ? node.range[0] : undefined;
}

export function keyName(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** yaml's messages end with " at line L, column C:" and a source excerpt; we print our own position. */
function shortYamlMessage(err: YAMLError): string {
  const first = err.message.split('\n')[0];
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

export function fileProblem(file: string, message: string): Problem {
  return { file, line: 1, col: 1, path: '', message };
}

/**
 * One parsed YAML file that knows where each of its nodes is, so that every problem can name
 * FILE:LINE:COL. The document is only usable (`ok`) when it parsed without errors.
 */
export class YamlFile {
  private constructor(
    readonly file: string,
    readonly doc: Document | undefined,
    private readonly lines: LineCounter,
  ) {}

  get dir(): string {
    return path.dirname(this.file);
  }

  get ok(): boolean {
    return this.doc !== undefined && this.doc.errors.length === 0 && this.doc.warnings.length === 0;
  }

  static async read(file: string): Promise<{ yaml: YamlFile; problems: Problem[] }> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'file not found' : `cannot read file: ${errorMessage(err)}`;
      return { yaml: new YamlFile(file, undefined, new LineCounter()), problems: [fileProblem(file, why)] };
    }
    return YamlFile.parse(file, text);
  }

  static parse(file: string, text: string): { yaml: YamlFile; problems: Problem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
    const yaml = new YamlFile(file, doc, lines);
    // Warnings (an unresolved !tag, say) change what a value means: refuse them like errors.
    const problems = [...doc.errors, ...doc.warnings].map((err): Problem => {
      const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
      return { file, line: pos.line, col: pos.col, path: '', message: shortYamlMessage(err) };
    });
    return { yaml, problems };
  }

  /** The document as plain data; aliases expanded (at most 100, against alias bombs). */
  toJS(): { value?: unknown; problems: Problem[] } {
    if (!this.doc) return { problems: [] };
    try {
      return { value: this.doc.toJS({ maxAliasCount: 100 }), problems: [] };
    } catch (err) {
      return { problems: [fileProblem(this.file, errorMessage(err))] };
    }
  }

  /**
   * Offset of the node at `p`. When the node does not exist (a missing key), the key holding
   * its parent mapping (or the list item, or the document); with `atKey`, the mapping key
   * itself (for unknown keys); for `key:` with nothing after it, the key.
   */
  offset(p: YamlPath, opts: { atKey?: boolean } = {}): number {
    const doc = this.doc;
    if (!doc) return 0;
    let node: unknown = doc.contents;
    let offset = sourceStart(node) ?? 0;
    let missingAt = offset;
    for (let i = 0; i < p.length; i++) {
      if (isAlias(node)) node = node.resolve(doc);
      const seg = p[i];
      if (isMap(node)) {
        const pair = node.items.find((it) => keyName(it.key) === String(seg));
        if (!pair) return missingAt;
        const keyStart = sourceStart(pair.key) ?? offset;
        if ((opts.atKey && i === p.length - 1) || sourceStart(pair.value) === undefined) return keyStart;
        node = pair.value;
        missingAt = keyStart;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        if (sourceStart(node) === undefined) return missingAt;
        missingAt = sourceStart(node) ?? missingAt;
      } else {
        return missingAt;
      }
      offset = sourceStart(node) ?? offset;
    }
    return offset;
  }

  problem(p: YamlPath, message: string, opts: { atKey?: boolean } = {}): Problem {
    const { line, col } = this.lines.linePos(this.offset(p, opts));
    return { file: this.file, line, col, path: formatPath(p), message };
  }
}
