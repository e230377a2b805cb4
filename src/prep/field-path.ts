/*
 * Field paths as mappings write them: dot notation with `[n]` array indexes, like Data Prep's
 * destinations (`productListItems[0].SKU`, aep-api.md §9.1). A path is a list of segments:
 * strings are object keys, numbers array indexes.
 */

export type PathSegment = string | number;

const SEGMENT = /^([^.[\]]+)((?:\[\d+\])*)$/;

/** Parses `a.b[0].c`; throws on a malformed path (the config schema has already refused those). */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const part of path.split('.')) {
    const m = SEGMENT.exec(part);
    if (!m) throw new Error(`not a field path: ${JSON.stringify(path)}`);
    out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

export function formatPath(segments: readonly PathSegment[]): string {
  let s = '';
  for (const seg of segments) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s;
}

/** `/a/b/0/c` (JSON Pointer, as Ajv reports it) → `a.b[0].c`. */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  const segments = pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s): PathSegment => (/^\d+$/.test(s) ? Number(s) : s));
  return formatPath(segments);
}

/** The same path with every array index as 0: how schema fields are keyed. */
export function schemaKey(segments: readonly PathSegment[]): string {
  return formatPath(segments.map((s) => (typeof s === 'number' ? 0 : s)));
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return v !== null && typeof v === 'object';
}

/** Sets a value, creating the objects and arrays on the way; a scalar in the way is replaced. */
export function setPath(target: Record<string, unknown>, segments: readonly PathSegment[], value: unknown): void {
  let node: Container = target;
  const last = segments.length - 1;
  for (let i = 0; i < last; i++) {
    const key = segments[i];
    const next: unknown = (node as Record<string | number, unknown>)[key];
    if (isContainer(next) && Array.isArray(next) === (typeof segments[i + 1] === 'number')) {
      node = next;
    } else {
      const created: Container = typeof segments[i + 1] === 'number' ? [] : {};
      (node as Record<string | number, unknown>)[key] = created;
      node = created;
    }
  }
  (node as Record<string | number, unknown>)[segments[last]] = value;
}

export function getPath(source: unknown, segments: readonly PathSegment[]): unknown {
  let node = source;
  for (const key of segments) {
    if (!isContainer(node)) return undefined;
    if (Array.isArray(node) !== (typeof key === 'number')) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** Removes a field; objects left empty on the way are removed too. */
export function deletePath(source: Record<string, unknown>, segments: readonly PathSegment[]): void {
  const chain: Container[] = [source];
  for (let i = 0; i < segments.length - 1; i++) {
    const next = (chain[i] as Record<string | number, unknown>)[segments[i]];
    if (!isContainer(next)) return;
    chain.push(next);
  }
  for (let i = segments.length - 1; i >= 0; i--) {
    const node = chain[i];
    if (Array.isArray(node)) return;
    delete (node as Record<string, unknown>)[segments[i] as string];
    if (i > 0 && Object.keys(node).length > 0) return;
  }
}
