import { dataflowError } from '../lib/errors';
import { autoMap } from './auto-map';
import { type Converter, converterFor } from './convert';
import { parsePath, type PathSegment } from './field-path';
import { type FieldType, type SchemaFields, typeAt } from './schema-fields';

/*
 * A dataflow's `mapping` made concrete for one file: each output field with where its value
 * comes from (a column of this file's header, a path of the JSON record, or a constant) and how
 * it is converted. Types come from `type:`, else from mapping.schema, else from the dataset
 * schema; CSV values without any stay strings.
 */

/**
 * One entry of `mapping.fields`, as config's schema produces it. Declared here, where it is
 * interpreted, so that prep depends on nothing above it; config's MappingField must stay
 * assignable to it (buildPrepPlan's callers pass the config).
 */
export type MappingField =
  | { source: string; target: string; type?: FieldType; format?: string }
  | { value: string | number | boolean | null; target: string };

export interface MappingSpec {
  fields: readonly MappingField[];
  auto: boolean;
  /** mapping.schema's fields: auto-mapping's candidates and the first source of types. */
  schema?: SchemaFields;
  /** The type the dataset schema gives a target, if any (after the tenant rename). */
  datasetType?: (target: readonly PathSegment[]) => FieldType | undefined;
}

export type FieldSource =
  | { kind: 'column'; index: number; name: string }
  | { kind: 'path'; segments: PathSegment[]; name: string }
  | { kind: 'value'; value: unknown };

export interface CompiledField {
  source: FieldSource;
  target: PathSegment[];
  targetPath: string;
  convert?: Converter;
  /** What convert turns a value into (a CSV cell is a string without one). */
  type?: FieldType;
}

/** What became of a CSV file's columns: shown by --dry-run and logged by runs. */
export interface MappingReport {
  columns: string[];
  auto: Array<{ column: string; target: string }>;
  unmapped: string[];
  ambiguous: Array<{ column: string; candidates: string[] }>;
  /** Explicit fields whose column the header lacks: their target is never set. */
  missing: Array<{ column: string; target: string }>;
  /** Names the header holds more than once (explicit fields take the first). */
  duplicates: string[];
}

function typed(spec: MappingSpec, target: PathSegment[], type: FieldType | undefined, format: string | undefined, fallback: FieldType | undefined): { convert?: Converter; type?: FieldType } {
  const t = type ?? typeAt(spec.schema, target) ?? spec.datasetType?.(target) ?? fallback;
  if (t === undefined) return {};
  try {
    return { convert: converterFor(t, format), type: t };
  } catch (err) {
    throw dataflowError('ERR_PREP_MAPPING', 'config', `mapping of ${target.join('.')}: ${(err as Error).message}`);
  }
}

/** The mapping for a CSV file with this header. */
export function mapColumns(header: readonly string[], spec: MappingSpec): { fields: CompiledField[]; report: MappingReport } {
  const firstIndex = new Map<string, number>();
  const duplicates = new Set<string>();
  header.forEach((name, i) => (firstIndex.has(name) ? duplicates.add(name) : firstIndex.set(name, i)));
  const fields: CompiledField[] = [];
  const report: MappingReport = { columns: [...header], auto: [], unmapped: [], ambiguous: [], missing: [], duplicates: [...duplicates] };
  const usedColumns = new Set<number>();
  const takenTargets = new Set<string>();
  for (const f of spec.fields) {
    const target = parsePath(f.target);
    takenTargets.add(f.target);
    if ('value' in f) {
      fields.push({ source: { kind: 'value', value: f.value }, target, targetPath: f.target });
      continue;
    }
    const index = firstIndex.get(f.source);
    if (index === undefined) {
      report.missing.push({ column: f.source, target: f.target });
      continue;
    }
    usedColumns.add(index);
    fields.push({ source: { kind: 'column', index, name: f.source }, target, targetPath: f.target, ...typed(spec, target, f.type, f.format, 'string') });
  }
  if (spec.auto && spec.schema) {
    const auto = autoMap(header, spec.schema.leaves, usedColumns, takenTargets);
    for (const m of auto.mapped) {
      const target = m.field.segments;
      fields.push({ source: { kind: 'column', index: m.index, name: m.column }, target, targetPath: m.field.path, ...typed(spec, target, undefined, undefined, 'string') });
      report.auto.push({ column: m.column, target: m.field.path });
    }
    report.ambiguous = auto.ambiguous;
    report.unmapped = auto.unmapped;
  } else {
    report.unmapped = header.filter((_, i) => !usedColumns.has(i));
  }
  return { fields, report };
}

/** The mapping for JSON records: sources are paths in the record; nothing is auto-mapped by name. */
export function mapJsonFields(spec: MappingSpec): CompiledField[] {
  return spec.fields.map((f): CompiledField => {
    const target = parsePath(f.target);
    if ('value' in f) return { source: { kind: 'value', value: f.value }, target, targetPath: f.target };
    return { source: { kind: 'path', segments: parsePath(f.source), name: f.source }, target, targetPath: f.target, ...typed(spec, target, f.type, f.format, undefined) };
  });
}
