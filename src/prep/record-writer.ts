import type { PathSegment } from './field-path';
import type { FieldType } from './schema-fields';

/*
 * JSON text of a record built from fixed targets, written straight from the field values: for a
 * CSV mapping the output's shape is known once the header is, so the writer (and the builder of
 * the object the schema check sees) is compiled to straight-line code once per file, like ajv
 * compiles a schema. Walking a tree of closures per record cost a fifth of a worker's time
 * (bench/csv.ts). The text is what JSON.stringify would give for the object setPath builds from
 * the same fields: keys in first-set order, absent values left out, objects and arrays with
 * nothing in them left out, holes in arrays as null.
 *
 * The generated code holds no text from the config or the files: keys are passed in as an array
 * of constants and referred to by index.
 */

export type RecordWriter = (values: readonly unknown[]) => string;

/** The record a writer's text stands for, as an object (what the schema check sees). */
export type RecordBuilder = (values: readonly unknown[]) => Record<string, unknown>;

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
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

/** Array parts (holes and all) as JSON text; nothing in it is no array. */
function arrayText(parts: (string | undefined)[]): string | undefined {
  if (parts.length === 0) return undefined;
  let out = '[';
  for (let i = 0; i < parts.length; i++) out += (i > 0 ? ',' : '') + (parts[i] ?? 'null');
  return `${out}]`;
}

/** An array's elements, holes as null; nothing in it is no array. */
function arrayValue(items: unknown[]): unknown[] | undefined {
  if (items.length === 0) return undefined;
  for (let i = 0; i < items.length; i++) if (items[i] === undefined) items[i] = null;
  return items;
}

/** Field i's target is targets[i]; a target inside another one's value is ignored. */
function treeOf(targets: readonly (readonly PathSegment[])[]): Node {
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
  return root;
}

const isArrayNode = (node: Node) => node.children.length > 0 && typeof node.children[0].key === 'number';

interface Codegen {
  /** What each field's value is known to be (converted to that type), when it is. */
  types?: readonly (FieldType | undefined)[];
  lines: string[];
  constants: unknown[];
  next: number;
}

function constant(g: Codegen, value: unknown): string {
  g.constants.push(value);
  return `K[${g.constants.length - 1}]`;
}

/**
 * JSON text of a value known to be of this type: a converted number is finite, a date or
 * date-time is digits and separators, so neither needs the checks of scalar().
 */
function leafText(v: string, type: FieldType | undefined): string {
  switch (type) {
    case 'integer':
    case 'number':
      return `String(${v})`;
    case 'boolean':
      return `(${v} ? 'true' : 'false')`;
    case 'date':
    case 'date-time':
      return `'"' + ${v} + '"'`;
    default:
      return `scalar(${v})`;
  }
}

/** An array node's elements gathered in `${t}p`, then `finish` (arrayText or arrayValue) of them into t. */
function arrayNode(g: Codegen, node: Node, t: string, element: (g: Codegen, n: Node) => string, finish: string): string {
  g.lines.push(`const ${t}p = [];`);
  for (const kid of node.children) {
    const k = element(g, kid);
    g.lines.push(`if (${k} !== undefined) ${t}p[${Number(kid.key)}] = ${k};`);
  }
  g.lines.push(`const ${t} = ${finish}(${t}p);`);
  return t;
}

/** Statements that leave node's JSON text (or undefined) in a fresh variable, whose name is returned. */
function writerNode(g: Codegen, node: Node): string {
  const t = `t${g.next++}`;
  if (node.field !== undefined) {
    const v = `v[${node.field}]`;
    g.lines.push(`const ${t} = ${v} === undefined ? undefined : ${leafText(v, g.types?.[node.field])};`);
    return t;
  }
  if (isArrayNode(node)) return arrayNode(g, node, t, writerNode, 'arrayText');
  g.lines.push(`let ${t} = '';`);
  for (const kid of node.children) {
    const k = writerNode(g, kid);
    const name = JSON.stringify(String(kid.key));
    g.lines.push(`if (${k} !== undefined) ${t} += (${t} === '' ? ${constant(g, `{${name}:`)} : ${constant(g, `,${name}:`)}) + ${k};`);
  }
  g.lines.push(`${t} = ${t} === '' ? undefined : ${t} + '}';`);
  return t;
}

/** The same for node's value as an object, array or scalar. */
function builderNode(g: Codegen, node: Node): string {
  const t = `t${g.next++}`;
  if (node.field !== undefined) {
    g.lines.push(`const ${t} = v[${node.field}];`);
    return t;
  }
  if (isArrayNode(node)) return arrayNode(g, node, t, builderNode, 'arrayValue');
  g.lines.push(`let ${t};`);
  for (const kid of node.children) {
    const k = builderNode(g, kid);
    g.lines.push(`if (${k} !== undefined) (${t} ??= {})[${constant(g, String(kid.key))}] = ${k};`);
  }
  return t;
}

function generate<T>(name: string, targets: readonly (readonly PathSegment[])[], node: (g: Codegen, n: Node) => string, empty: string, types?: readonly (FieldType | undefined)[]): T {
  const g: Codegen = { types, lines: [], constants: [], next: 0 };
  const root = node(g, treeOf(targets));
  const body = `return function ${name}(v) {\n${g.lines.join('\n')}\nreturn ${root} ?? ${empty};\n};`;
  // Code from the target tree only (indexes and constant references, see the comment on top).
  return new Function('K', 'scalar', 'arrayText', 'arrayValue', body)(g.constants, scalar, arrayText, arrayValue) as T;
}

/**
 * A writer for records whose field i goes to targets[i]; types[i], when given, is the type field
 * i's values always have (their converter's), else the value is taken as it comes.
 */
export function compileRecordWriter(targets: readonly (readonly PathSegment[])[], types?: readonly (FieldType | undefined)[]): RecordWriter {
  return generate<RecordWriter>('writeRecord', targets, writerNode, "'{}'", types);
}

/** The object for the same targets, exactly what the writer's text parses back to. */
export function compileRecordBuilder(targets: readonly (readonly PathSegment[])[]): RecordBuilder {
  return generate<RecordBuilder>('buildRecord', targets, builderNode, '{}');
}
