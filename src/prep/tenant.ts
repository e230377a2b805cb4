/*
 * The tenant rename (DESIGN.md §3 target.tenant; aep-api.md §10): custom XDM fields live under
 * `_{tenantId}`, so records written for one org (the tutorial's `_techmarketingdemos`) need
 * that top-level key renamed to land in another. Only the top-level key is renamed.
 */

export interface TenantRename {
  from: string;
  to: string;
}

/** Renames the key in place, keeping key order. Returns a reason when both keys are present. */
export function renameTenant(record: Record<string, unknown>, t: TenantRename): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(record, t.from)) return undefined;
  if (Object.prototype.hasOwnProperty.call(record, t.to)) return `the record has both ${t.from} and ${t.to}`;
  const entries = Object.entries(record);
  for (const key of Object.keys(record)) delete record[key];
  for (const [k, v] of entries) record[k === t.from ? t.to : k] = v;
  return undefined;
}

/**
 * The same rename on a record's JSON text, so that a record that needs nothing else keeps its
 * exact bytes (numbers are not re-serialised). Finds the key among the top-level keys only;
 * undefined when the text does not spell it plainly (escapes), so the caller falls back to
 * serialising the renamed object.
 */
export function renameTenantInText(text: string, t: TenantRename): string | undefined {
  const needle = JSON.stringify(t.from);
  let at = text.indexOf(needle);
  if (at === -1) return undefined;
  // Walk from the start, tracking depth and strings, to find the occurrence that is a top-level key.
  let depth = 0;
  let inString = false;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      if (depth === 1 && expectKey && text.startsWith(needle, i)) {
        let j = i + needle.length;
        while (j < text.length && /\s/.test(text[j])) j++;
        if (text[j] === ':') return text.slice(0, i) + JSON.stringify(t.to) + text.slice(i + needle.length);
      }
      inString = true;
      expectKey = false;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      expectKey = c === 0x7b && depth === 1;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1) {
      expectKey = true;
    }
    if (i >= at + needle.length) at = text.indexOf(needle, i);
    if (at === -1) return undefined;
  }
  return undefined;
}

/**
 * A schema written for records before the rename (mapping.schema names the source's tenant key)
 * made to check them after it: its top-level property and `required` entry renamed.
 */
export function renameSchemaTenant(schema: Record<string, unknown>, t: TenantRename): Record<string, unknown> {
  const props = schema.properties as Record<string, unknown> | undefined;
  if (!props || !Object.prototype.hasOwnProperty.call(props, t.from)) return schema;
  const properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k === t.from ? t.to : k, v]));
  const required = Array.isArray(schema.required) ? schema.required.map((r) => (r === t.from ? t.to : r)) : schema.required;
  return { ...schema, properties, ...(required === undefined ? {} : { required }) };
}
