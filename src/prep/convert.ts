import { compileDateFormat, type DateReader, type Instant, isoDateTime, localDate, readIsoOrEpoch, truncate } from './date-format';
import type { FieldType } from './schema-fields';

/*
 * Type conversion of one mapped value (aep-api.md §6.1, §6.4): CSV cells are strings, JSON
 * values may already have their type. A value that cannot be converted is a ConversionFailure
 * with the reason, never a guess: `1,000` is not read as 1 nor as 1000. The reason never holds
 * the value (it reaches Platform and the logs); the value comes apart, for the local store only.
 */

export class ConversionFailure {
  constructor(
    readonly reason: string,
    /** The value as text, shortened (row-errors.ts: RowError.value). */
    readonly value: string,
  ) {}
}

export type Converter = (value: unknown) => unknown;

/** Data Prep's string → boolean words (aep-api.md §6.4), compared without case. */
const TRUE_WORDS = new Set(['y', 'yes', 'on', 'true']);
const FALSE_WORDS = new Set(['n', 'no', 'off', 'false']);

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** 1,000 · 1 000 · 1'000 · 1.000.000 · 1.000,5: grouped digits, refused with their own reason. */
const GROUPED = /^[+-]?\d{1,3}(?:[,' \u00a0\u202f]\d{3})+(?:\.\d+)?$|^[+-]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?$|^[+-]?\d{1,3}\.\d{3},\d+$/;

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(truncate(v)) : truncate(JSON.stringify(v) ?? String(v));
}

function failure(v: unknown, reason: string): ConversionFailure {
  return new ConversionFailure(reason, describe(v));
}

function numeric(v: unknown, what: 'an integer' | 'a number'): number | ConversionFailure {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return failure(v, `the value is not ${what}`);
  const s = v.trim();
  if ((what === 'an integer' ? INTEGER : NUMBER).test(s)) return Number(s);
  if (GROUPED.test(s)) return failure(v, `the value is not ${what}: thousands separators are not accepted`);
  return failure(v, `the value is not ${what}`);
}

function toInteger(v: unknown): unknown {
  const n = numeric(v, 'an integer');
  if (n instanceof ConversionFailure) return n;
  if (!Number.isInteger(n)) return failure(v, 'the value is not an integer');
  if (!Number.isSafeInteger(n)) return failure(v, 'the value is out of range for an integer (at most ±9007199254740991)');
  return n;
}

function toNumber(v: unknown): unknown {
  const n = numeric(v, 'a number');
  if (n instanceof ConversionFailure) return n;
  if (!Number.isFinite(n)) return failure(v, 'the value is not a finite number');
  return n;
}

function toBoolean(v: unknown): unknown {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  return failure(v, 'the value is not a boolean (accepted: true/false, yes/no, y/n, on/off)');
}

function toText(v: unknown): unknown {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return failure(v, 'the value is not a string');
}

function dateConverter(read: DateReader, out: (i: Instant) => string): Converter {
  return (v) => {
    const text = typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
    if (typeof text !== 'string') return failure(v, 'the value is not a date');
    const r = read(text);
    return typeof r === 'string' ? failure(v, r) : out(r);
  };
}

/** The converter for a type (and an optional format for dates); throws on a bad format. */
export function converterFor(type: FieldType, format?: string): Converter {
  switch (type) {
    case 'string':
      return toText;
    case 'integer':
      return toInteger;
    case 'number':
      return toNumber;
    case 'boolean':
      return toBoolean;
    case 'date':
      return dateConverter(format ? compileDateFormat(format) : readIsoOrEpoch, localDate);
    case 'date-time':
      return dateConverter(format ? compileDateFormat(format) : readIsoOrEpoch, isoDateTime);
  }
}
