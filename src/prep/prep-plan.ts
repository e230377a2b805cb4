import type { PathSegment } from './field-path';
import type { MappingField, MappingSpec } from './mapping';
import { type RecordCheck, recordCheck } from './record-check';
import { type SchemaFields, schemaFields, typeAt } from './schema-fields';
import { renameSchemaTenant } from './tenant';

/*
 * What the prep step needs to know about a dataflow, compiled once per run: format options, the
 * mapping, the tenant rename and the dataset schema check. Built by the run's composition
 * (DataflowRunner) from the validated config and what Platform said (the tenant id).
 */

/** A parsed JSON Schema document. */
type JsonSchema = Record<string, unknown>;

/**
 * The parts of a dataflow's config that prep reads. Config's DataflowConfig has them; they are
 * declared here so that prep, below config in the layers (docs/architecture.md), imports nothing
 * of it (config's mapping checks use prep's field paths).
 */
export interface PrepSource {
  format: {
    type: 'json' | 'csv' | 'parquet';
    compression: 'auto' | 'none' | 'gzip';
    csv?: Omit<CsvOptions, 'escape'> & { escape?: string };
    maxRecordSize: number;
    maxInflatedSize: number;
  };
  mapping?: { fields: readonly MappingField[]; auto: boolean };
  target: { dataset: string; tenant?: { from: string; to?: string } };
}

export interface CsvOptions {
  delimiter: string;
  quote: string;
  /** Default: the quote (a quote inside a quoted field is doubled). */
  escape: string;
  header: boolean;
  encoding: string;
}

export interface PrepLimits {
  /** A record whose text is longer than this (characters) is rejected, never held whole. */
  recordChars: number;
  /** A gzip file that inflates past this (bytes) fails. */
  inflatedBytes: number;
}

export interface PrepPlan {
  format: 'json' | 'csv' | 'parquet';
  compression: 'auto' | 'none' | 'gzip';
  limits: PrepLimits;
  csv?: CsvOptions;
  /** Present for CSV always; for JSON when it has fields or `auto: false`. */
  mapping?: MappingSpec;
  /** JSON only: the record is built from the mapping alone (`auto: false`), not on top of the input. */
  mappingOnly: boolean;
  /** Only when it changes something (from ≠ to). */
  tenant?: { from: string; to: string };
  /** The dataset schema check before upload, when a schema is known. */
  check?: RecordCheck;
  /** The dataset schema's fields (types of Parquet values). */
  datasetFields?: SchemaFields;
  /** What the plan was built from: a worker thread builds its own copy (parallel-csv-stage.ts). */
  source?: { df: PrepSource; inputs: PrepInputs };
}

export interface PrepInputs {
  /** The dataset's JSON Schema, when known (see DataflowRunner). */
  datasetSchema?: JsonSchema;
  /** mapping.schema, loaded. */
  mappingSchema?: JsonSchema;
  /** The namespace key records get (`_` + the org's tenant id), when target.tenant is set. */
  tenantTo?: string;
}

export function buildPrepPlan(df: PrepSource, inputs: PrepInputs): PrepPlan {
  const format = df.format;
  const csv = format.type === 'csv' && format.csv ? { ...format.csv, escape: format.csv.escape ?? format.csv.quote } : undefined;
  const tenantFrom = df.target.tenant?.from;
  const tenantTo = df.target.tenant?.to ?? inputs.tenantTo;
  const tenant = tenantFrom !== undefined && tenantTo !== undefined && tenantFrom !== tenantTo ? { from: tenantFrom, to: tenantTo } : undefined;
  // In aep mode the check uses mapping.schema, written for records before the tenant rename.
  const datasetSchema = tenant && inputs.datasetSchema && inputs.datasetSchema === inputs.mappingSchema ? renameSchemaTenant(inputs.datasetSchema, tenant) : inputs.datasetSchema;
  const datasetFields = datasetSchema ? schemaFields(datasetSchema) : undefined;
  const m = df.mapping;
  const usesMapping = m !== undefined && (format.type === 'csv' || m.fields.length > 0 || !m.auto);
  const mapping: MappingSpec | undefined = usesMapping
    ? {
        fields: m.fields,
        auto: m.auto,
        schema: inputs.mappingSchema ? schemaFields(inputs.mappingSchema) : undefined,
        datasetType: datasetFields ? (target) => typeAt(datasetFields, renamed(target, tenant)) : undefined,
      }
    : undefined;
  return {
    format: format.type,
    compression: format.compression,
    limits: { recordChars: format.maxRecordSize, inflatedBytes: format.maxInflatedSize },
    csv,
    mapping,
    mappingOnly: m !== undefined && !m.auto,
    tenant,
    check: datasetSchema ? recordCheck(datasetSchema, `dataset ${df.target.dataset}`) : undefined,
    datasetFields,
    source: { df, inputs },
  };
}

function renamed(target: readonly PathSegment[], tenant: PrepPlan['tenant']): readonly PathSegment[] {
  return tenant && target[0] === tenant.from ? [tenant.to, ...target.slice(1)] : target;
}
