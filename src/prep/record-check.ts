import { createHash } from 'node:crypto';
import type Ajv from 'ajv';
import type { ErrorObject, FormatDefinition, ValidateFunction } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats';
import { isCanonicalDateTime } from './date-format';
import { dataflowError } from '../lib/errors';
import { newAjv as newDraftAjv } from '../lib/json-schema-ajv';
import { pointerToPath } from './field-path';
import { ROW_ERROR_CODES, type RowErrorCode } from './row-errors';

/*
 * Validation before upload: a record against the dataset's JSON Schema, as Platform checks XDM
 * (type, format, required, enum, pattern…). One problem per record, like Platform's row errors;
 * each schema is compiled once per process.
 *
 * The emulator checks records on its own (emulator/record-validator.ts), deliberately: it stands
 * for Platform, and a reading of Platform's rules shared by both sides would let one mistake pass
 * both. The Ajv set-up, generic, is shared (lib/json-schema-ajv.ts); the date-time format is
 * made faster here only.
 */

export interface RecordProblem {
  code: RowErrorCode;
  /** Never holds the value (it reaches Platform and the logs). */
  message: string;
  /** The offending field as a dot path ('' for the record itself). */
  path: string;
  /** The offending value as JSON text, shortened, for the local row-error store only. */
  value?: string;
}

export type RecordCheck = (record: unknown) => RecordProblem | undefined;

/**
 * Compiled checks by a digest of the schema's text (XDM schemas run to hundreds of KB). A run in aep mode fetches its dataset's schema from the
 * Registry, a new object every time: compiled per object, a daemon of 50 dataflows compiled 50
 * schemas a poll (~90 ms each, most of it a new Ajv), for the same few schemas. The oldest
 * entry goes once MAX_COMPILED are held.
 */
const compiled = new Map<string, RecordCheck>();
const MAX_COMPILED = 64;

export function recordCheck(schema: object, name: string): RecordCheck {
  const text = createHash('sha256').update(JSON.stringify(schema)).digest('base64');
  let check = compiled.get(text);
  if (!check) {
    check = compile(schema as Record<string, unknown>, name);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(text, check);
  }
  return check;
}

function compile(schema: Record<string, unknown>, name: string): RecordCheck {
  let validate: ValidateFunction;
  try {
    validate = newAjv(typeof schema.$schema === 'string' ? schema.$schema : '').compile(schema);
  } catch (err) {
    throw dataflowError('ERR_PREP_SCHEMA', 'config', `${name}: the JSON Schema does not compile: ${(err as Error).message}`, { cause: err });
  }
  return (record) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return { code: ROW_ERROR_CODES.corrupt, message: 'the record is not a JSON object', path: '' };
    }
    return validate(record) ? undefined : describe(validate.errors?.[0]);
  };
}

function newAjv(metaSchema: string): Ajv {
  const ajv = newDraftAjv(metaSchema);
  // The date-times the converters write are canonical: checked without ajv-formats' regular
  // expressions first (a fifth of a CSV's schema check), the full RFC 3339 rule otherwise.
  const dateTime = fullFormats['date-time'] as FormatDefinition<string>;
  const fullRule = dateTime.validate as (s: string) => boolean;
  ajv.addFormat('date-time', { ...dateTime, validate: (s: string) => isCanonicalDateTime(s) || fullRule(s) });
  return ajv;
}

function describe(error: ErrorObject | undefined): RecordProblem {
  if (!error) return { code: ROW_ERROR_CODES.schema, message: 'the record does not match the dataset schema', path: '' };
  const at = pointerToPath(error.instancePath);
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: unknown }).missingProperty ?? '');
    const path = at === '' ? missing : `${at}.${missing}`;
    return { code: ROW_ERROR_CODES.required, message: `required field ${path} is missing`, path };
  }
  if (error.keyword === 'type' && error.data === null) {
    return { code: ROW_ERROR_CODES.required, message: `field ${at} is null`, path: at };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty ?? '');
    const path = at === '' ? extra : `${at}.${extra}`;
    return { code: ROW_ERROR_CODES.schema, message: `field ${path} is not in the dataset schema`, path };
  }
  const value = error.data === undefined ? undefined : truncated(error.data);
  return { code: ROW_ERROR_CODES.schema, message: `${at || 'record'} ${error.message ?? 'is invalid'}`, path: at, ...(value === undefined ? {} : { value }) };
}

function truncated(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
