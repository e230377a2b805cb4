import type { SchemaField } from './schema-fields';

/*
 * Auto-mapping (aep-api.md §9.3 leaves the algorithm to us): a column maps itself to the schema
 * field whose full path, or else whose leaf name, equals the column's name once both are
 * normalised (case, `_`, `-`, `.` and spaces ignored). A column that matches several fields, or a
 * field that several columns match, is ambiguous: reported, never mapped.
 */

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[\s_\-.]/g, '');
}

export interface AutoMatch {
  column: string;
  index: number;
  field: SchemaField;
}

export interface AutoMapResult {
  mapped: AutoMatch[];
  ambiguous: Array<{ column: string; candidates: string[] }>;
  unmapped: string[];
}

/**
 * `columns` are the header's names by index; those in `skipColumns` (used by explicit fields)
 * and the fields in `takenTargets` (set explicitly) are left out.
 */
export function autoMap(columns: readonly string[], leaves: readonly SchemaField[], skipColumns: ReadonlySet<number>, takenTargets: ReadonlySet<string>): AutoMapResult {
  const byPath = new Map<string, SchemaField[]>();
  const byName = new Map<string, SchemaField[]>();
  for (const leaf of leaves) {
    if (leaf.type === undefined || takenTargets.has(leaf.path)) continue;
    push(byPath, normaliseName(leaf.path), leaf);
    push(byName, normaliseName(leaf.name), leaf);
  }
  const result: AutoMapResult = { mapped: [], ambiguous: [], unmapped: [] };
  const claims = new Map<string, AutoMatch[]>();
  columns.forEach((column, index) => {
    if (skipColumns.has(index)) return;
    const key = normaliseName(column);
    const candidates = byPath.get(key) ?? byName.get(key) ?? [];
    if (candidates.length === 0 || key === '') result.unmapped.push(column);
    else if (candidates.length > 1) result.ambiguous.push({ column, candidates: candidates.map((c) => c.path) });
    else push(claims, candidates[0].path, { column, index, field: candidates[0] });
  });
  for (const [path, matches] of claims) {
    if (matches.length === 1) result.mapped.push(matches[0]);
    else for (const m of matches) result.ambiguous.push({ column: m.column, candidates: [`${path} (also matched by ${matches.filter((o) => o !== m).map((o) => o.column).join(', ')})`] });
  }
  result.mapped.sort((a, b) => a.index - b.index);
  return result;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
