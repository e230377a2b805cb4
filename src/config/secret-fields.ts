import { z } from 'zod';

/**
 * Secret fields are marked in the schema itself (STYLE.md rule 5), so that the list of values
 * to redact cannot drift from the shapes. Connectors declare theirs as `secretFields`.
 */
const secretRegistry = z.registry<{ secret: true }>();

/** Marks a field's schema as holding a secret. */
export function secret<T extends z.ZodType>(schema: T): T {
  secretRegistry.add(schema, { secret: true });
  return schema;
}

/** Path into a value; '*' stands for every item of a list or every value of a record. */
export type FieldPath = readonly string[];

interface WalkableDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

function walk(schema: z.ZodType, at: string[], out: string[][]): void {
  if (secretRegistry.has(schema)) {
    out.push(at);
    return;
  }
  const def = (schema as unknown as { _zod: { def: WalkableDef } })._zod.def;
  if (def.type === 'object' && def.shape) {
    for (const [k, s] of Object.entries(def.shape)) walk(s, [...at, k], out);
  } else if (def.type === 'array' && def.element) {
    walk(def.element, [...at, '*'], out);
  } else if (def.type === 'record' && def.valueType) {
    walk(def.valueType, [...at, '*'], out);
  } else if (def.type === 'union' && def.options) {
    for (const o of def.options) walk(o, at, out);
  } else if (def.type === 'pipe' && def.in && def.out) {
    walk(def.in, at, out);
    walk(def.out, at, out);
  } else if (WRAPPERS.has(def.type) && def.innerType) {
    walk(def.innerType, at, out);
  }
}

/** Every path of a secret field in a schema, like `['http', 'token']`. */
export function secretPaths(schema: z.ZodType): FieldPath[] {
  const out: string[][] = [];
  walk(schema, [], out);
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = p.join('\0');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The string values found at a path ('*' expanding over lists and records). */
export function stringsAt(value: unknown, p: FieldPath): string[] {
  if (p.length === 0) return typeof value === 'string' ? [value] : [];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = p;
  const children = head === '*' ? Object.values(value) : [(value as Record<string, unknown>)[head]];
  return children.flatMap((c) => stringsAt(c, rest));
}
