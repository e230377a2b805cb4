import type { PathSegment } from './field-path';

/*
 * JSON text of a record built from fixed targets, written straight from the field values: for a
 * CSV mapping the output's shape is known once the header is, and serialising it from a compiled
 * tree costs about a third of building the object and JSON.stringify-ing it (bench/csv.ts). The
 * text is what JSON.stringify would give for the object setPath builds from the same fields:
 * keys in first-set order, absent values left out, objects and arrays with nothing in them left
 * out, holes in arrays as null.
 */

export type RecordWriter = (values: readonly unknown[]) => string;

type Emit = (values: readonly unknown[]) => string | undefined;

interface Node {
  key: PathSegment;
  field?: number;
  children: Node[];
}

// Quotes, backslashes, control characters and surrogates (JSON.stringify escapes lone ones).
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function scalar(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  return JSON.stringify(v);
}

function compileNode(node: Node): Emit {
  if (node.field !== undefined) {
    const i = node.field;
    return (values) => scalar(values[i]);
  }
  const kids = node.children.map((c) => ({ key: c.key, emit: compileNode(c) }));
  if (kids.length > 0 && typeof kids[0].key === 'number') {
    return (values) => {
      const parts: string[] = [];
      let last = -1;
      for (const k of kids) {
        const v = k.emit(values);
        if (v === undefined) continue;
        parts[k.key as number] = v;
        if ((k.key as number) > last) last = k.key as number;
      }
      if (last < 0) return undefined;
      let out = '[';
      for (let i = 0; i <= last; i++) out += (i > 0 ? ',' : '') + (parts[i] ?? 'null');
      return `${out}]`;
    };
  }
  const keyed = kids.map((k) => ({ prefix: `${JSON.stringify(String(k.key))}:`, emit: k.emit }));
  return (values) => {
    let out = '';
    for (const k of keyed) {
      const v = k.emit(values);
      if (v !== undefined) out += (out === '' ? '{' : ',') + k.prefix + v;
    }
    return out === '' ? undefined : `${out}}`;
  };
}

/** A writer for records whose field i goes to targets[i]; a target inside another one's value is ignored. */
export function compileRecordWriter(targets: readonly (readonly PathSegment[])[]): RecordWriter {
  const root: Node = { key: '', children: [] };
  targets.forEach((segments, field) => {
    let node = root;
    for (const key of segments) {
      if (node.field !== undefined) return;
      let next = node.children.find((c) => c.key === key);
      if (!next) {
        next = { key, children: [] };
        node.children.push(next);
      }
      node = next;
    }
    if (node.children.length === 0 && node.field === undefined) node.field = field;
  });
  const emit = compileNode(root);
  return (values) => emit(values) ?? '{}';
}
