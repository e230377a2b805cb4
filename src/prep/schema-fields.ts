import { formatPath, type PathSegment, schemaKey } from './field-path';

/*
 * The fields a JSON Schema (an XDM schema as JSON Schema) declares, flattened to paths: what
 * auto-mapping matches columns against, and where a mapped value's type comes from. Arrays
 * contribute their items at index 0 (a CSV row fills one item). Local `$ref`s
 * (`#/definitions/…`, `#/$defs/…`) and `allOf` are followed; anything else is a leaf of unknown type.
 */

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'date-time';

export interface SchemaField {
  segments: PathSegment[];
  /** `a.b[0].c` */
  path: string;
  /** The last key. */
  name: string;
  /** undefined: an object or array without declared fields, or a type we do not convert to. */
  type?: FieldType;
}

export interface SchemaFields {
  /** Every leaf, in schema order. */
  leaves: SchemaField[];
  /** A path with its indexes as 0 (see schemaKey) → its leaf. */
  byKey: Map<string, SchemaField>;
  /** Every declared path, objects included (to check a mapping target is a field). */
  paths: Set<string>;
  /** Objects that take keys they do not declare ('' is the record): no properties, or additionalProperties not false. */
  open: Set<string>;
}

type Json = Record<string, unknown>;

const MAX_DEPTH = 32;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function resolveRef(root: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

/** The schema with its $ref followed and its allOf parts merged (properties and type only). */
function flatten(root: Json, schema: Json, seen: Set<string>): Json {
  let node = schema;
  if (typeof node.$ref === 'string') {
    if (seen.has(node.$ref)) return {};
    const target = resolveRef(root, node.$ref);
    if (!target) return {};
    node = flatten(root, target, new Set([...seen, node.$ref]));
  }
  if (Array.isArray(node.allOf)) {
    const merged: Json = { ...node, properties: { ...(isObject(node.properties) ? node.properties : {}) } };
    for (const part of node.allOf) {
      if (!isObject(part)) continue;
      const flat = flatten(root, part, seen);
      if (isObject(flat.properties)) Object.assign(merged.properties as Json, flat.properties);
      if (merged.type === undefined && flat.type !== undefined) merged.type = flat.type;
      if (merged.items === undefined && flat.items !== undefined) merged.items = flat.items;
      if (merged.format === undefined && flat.format !== undefined) merged.format = flat.format;
    }
    node = merged;
  }
  return node;
}

function typeNames(schema: Json): string[] {
  const t = schema.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string' && x !== 'null');
  if (isObject(schema.properties)) return ['object'];
  return [];
}

function leafType(schema: Json, types: string[]): FieldType | undefined {
  if (types.length !== 1) return undefined;
  const [t] = types;
  if (t === 'string') return schema.format === 'date' ? 'date' : schema.format === 'date-time' ? 'date-time' : 'string';
  if (t === 'integer' || t === 'number' || t === 'boolean') return t;
  return undefined;
}

export function schemaFields(root: Json): SchemaFields {
  const leaves: SchemaField[] = [];
  const paths = new Set<string>();
  const open = new Set<string>();
  const walk = (schema: Json, segments: PathSegment[], depth: number): void => {
    const node = flatten(root, schema, new Set());
    const types = typeNames(node);
    if (segments.length > 0) paths.add(schemaKey(segments));
    if (types.length === 0 || (types.includes('object') && (!isObject(node.properties) || node.additionalProperties !== false))) open.add(schemaKey(segments));
    if (depth < MAX_DEPTH && types.length === 1 && types[0] === 'object' && isObject(node.properties)) {
      for (const [key, sub] of Object.entries(node.properties)) if (isObject(sub)) walk(sub, [...segments, key], depth + 1);
      return;
    }
    if (depth < MAX_DEPTH && types.length === 1 && types[0] === 'array' && isObject(node.items)) {
      walk(node.items, [...segments, 0], depth + 1);
      return;
    }
    if (segments.length === 0) return;
    const last = [...segments].reverse().find((s): s is string => typeof s === 'string') ?? '';
    leaves.push({ segments, path: formatPath(segments), name: last, type: leafType(node, types) });
  };
  walk(root, [], 0);
  return { leaves, byKey: new Map(leaves.map((l) => [schemaKey(l.segments), l])), paths, open };
}

/** Whether a record may hold this path: declared, or below an object that takes undeclared keys. */
export function allowsPath(fields: SchemaFields, segments: readonly PathSegment[]): boolean {
  for (let k = segments.length; k >= 0; k--) {
    const key = schemaKey(segments.slice(0, k));
    if (k === segments.length && fields.paths.has(key)) return true;
    if (k === 0 || fields.paths.has(key)) return fields.open.has(key);
  }
  return false;
}

/** The conversion type a schema gives a path (any array index), if it declares one. */
export function typeAt(fields: SchemaFields | undefined, segments: readonly PathSegment[]): FieldType | undefined {
  return fields?.byKey.get(schemaKey(segments))?.type;
}
