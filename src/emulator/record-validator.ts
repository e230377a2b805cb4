import type { ErrorObject, ValidateFunction } from 'ajv';
import { dataflowError } from '../lib/errors';
import { newAjv } from '../lib/json-schema-ajv';
import type { EmulatorDataset } from './options';

/*
 * Checks records against their dataset's JSON Schema, as Platform checks XDM (schema, data type,
 * constraints such as required, enum and format: aep-api.md §6.2). Each schema is compiled once,
 * at start-up, in its own Ajv instance: XDM schemas of several datasets may share $ids.
 *
 * Written apart from the client's check before upload (prep/record-check.ts) on purpose: this is
 * Platform's side, and what a problem is and how it is reported is read from Platform's
 * documentation here and there separately, so that a mistake on one side is caught by the
 * other. Only the Ajv set-up, generic, is shared (lib/json-schema-ajv.ts).
 */

export type RowErrorKind = 'corrupt' | 'required' | 'schema';

export interface RowProblem {
  kind: RowErrorKind;
  message: string;
  /** JSON Pointer of the offending field ('' for the record itself). */
  path: string;
}

export type RecordCheck = (record: unknown) => RowProblem | undefined;

const acceptAll: RecordCheck = () => undefined;

export class RecordValidators {
  private readonly checks = new Map<string, RecordCheck>();

  constructor(datasets: Iterable<EmulatorDataset>) {
    for (const dataset of datasets) {
      this.checks.set(dataset.id, dataset.schema ? compile(dataset) : acceptAll);
    }
  }

  /** Parsed JSON in, the first problem out (Ajv runs with allErrors off: one problem per row). */
  forDataset(datasetId: string): RecordCheck {
    const check = this.checks.get(datasetId) ?? acceptAll;
    return (record) => {
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        return { kind: 'corrupt', message: 'The row is not a JSON object.', path: '' };
      }
      return check(record);
    };
  }
}

function compile(dataset: EmulatorDataset): RecordCheck {
  const schema = dataset.schema as Record<string, unknown>;
  let validate: ValidateFunction;
  try {
    validate = newAjv(typeof schema.$schema === 'string' ? schema.$schema : '').compile(schema);
  } catch (err) {
    throw dataflowError('ERR_EMULATOR_SCHEMA', 'config', `dataset ${dataset.id}: its JSON Schema does not compile: ${(err as Error).message}`, {
      cause: err,
      context: { datasetId: dataset.id },
    });
  }
  return (record) => (validate(record) ? undefined : describe(validate.errors?.[0]));
}

function describe(error: ErrorObject | undefined): RowProblem {
  if (!error) return { kind: 'schema', message: 'The row does not match the dataset schema.', path: '' };
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: unknown }).missingProperty ?? '');
    return { kind: 'required', message: `Required field ${missing} is missing.`, path: `${error.instancePath}/${missing}` };
  }
  if (error.keyword === 'type' && error.data === null) {
    return { kind: 'required', message: `Field ${error.instancePath} is null.`, path: error.instancePath };
  }
  return { kind: 'schema', message: `${error.instancePath || 'The row'} ${error.message ?? 'is invalid'}`, path: error.instancePath };
}
