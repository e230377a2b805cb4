import path from 'node:path';
import { normaliseName } from '../prep/auto-map';
import { compileDateFormat } from '../prep/date-format';
import { parsePath, schemaKey } from '../prep/field-path';
import { allowsPath, type SchemaFields, schemaFields } from '../prep/schema-fields';
import { ConfigFile, isRecord } from './config-file';
import type { Problem } from './problem';
import type { JsonSchema } from './schema-files';

/*
 * What `validate` can say about a mapping without reading a file: every target is a field of
 * mapping.schema (when given), no target lies inside another, JSON sources are paths, date
 * formats are readable, and Parquet (sent as it is) asks for no rewriting. Which CSV columns a
 * file's header leaves unmapped or ambiguous needs the header: `run --dry-run` shows it, and each
 * run logs it.
 */

export function mappingChecks(dataflows: readonly ConfigFile[], schemas: Record<string, JsonSchema>): Problem[] {
  const problems: Problem[] = [];
  for (const f of dataflows) {
    const data = isRecord(f.data) ? f.data : undefined;
    const format = data && isRecord(data.format) ? data.format : {};
    const type = typeof format.type === 'string' ? format.type : 'json';
    const mapping = data && isRecord(data.mapping) ? data.mapping : undefined;
    const target = data && isRecord(data.target) ? data.target : undefined;
    const fields = mapping && Array.isArray(mapping.fields) ? mapping.fields : [];
    if (type === 'parquet' && target?.tenant !== undefined) {
      problems.push(f.yaml.problem(['target', 'tenant'], 'a tenant rename rewrites records; Parquet files are sent to Platform as they are'));
    }
    if (type === 'parquet' && fields.length > 0) {
      problems.push(f.yaml.problem(['mapping', 'fields'], 'Parquet files are sent to Platform as they are: they cannot be mapped'));
    }
    const schemaFile = typeof mapping?.schema === 'string' && mapping.schema !== '' ? path.resolve(f.yaml.dir, mapping.schema) : undefined;
    const schema = schemaFile === undefined ? undefined : schemas[schemaFile];
    const known = schema ? schemaFields(schema) : undefined;
    const targets: Array<{ i: number; key: string }> = [];
    fields.forEach((field, i) => {
      if (!isRecord(field) || typeof field.target !== 'string') return;
      let segments;
      try {
        segments = parsePath(field.target);
      } catch {
        return; // the schema's own pattern reports it
      }
      const key = schemaKey(segments);
      targets.push({ i, key });
      if (known && schemaFile && !allowsPath(known, segments)) {
        problems.push(f.yaml.problem(['mapping', 'fields', i, 'target'], `${field.target} is not a field of ${path.basename(schemaFile)}${suggestion(known, segments)}`));
      }
      if (type === 'json' && typeof field.source === 'string') {
        try {
          parsePath(field.source);
        } catch {
          problems.push(f.yaml.problem(['mapping', 'fields', i, 'source'], 'expected a field path of the JSON record, like a.b[0].c'));
        }
      }
      if (typeof field.format === 'string') {
        try {
          compileDateFormat(field.format);
        } catch (err) {
          problems.push(f.yaml.problem(['mapping', 'fields', i, 'format'], (err as Error).message));
        }
      }
    });
    for (const a of targets) {
      const outer = targets.find((b) => b !== a && (a.key.startsWith(`${b.key}.`) || a.key.startsWith(`${b.key}[`)));
      if (outer) problems.push(f.yaml.problem(['mapping', 'fields', a.i, 'target'], `lies inside the target of fields[${outer.i}]`));
    }
  }
  return problems;
}

function suggestion(known: SchemaFields, segments: readonly (string | number)[]): string {
  const last = [...segments].reverse().find((s): s is string => typeof s === 'string') ?? '';
  const close = known.leaves.filter((l) => normaliseName(l.name) === normaliseName(last)).map((l) => l.path);
  return close.length > 0 ? ` (did you mean ${close.slice(0, 3).join(' or ')}?)` : '';
}
