/*
 * Reading dates and date-times. Without a format: ISO 8601 (date, or date-time with `T` or a
 * space, fraction up to 9 digits, `Z` or an offset; no zone means UTC) and Unix epoch
 * milliseconds, as Platform's ingestion accepts (aep-api.md §6.1). A `format:` describes any other
 * layout with Data Prep's Java-style letters (yyyy MM dd HH mm ss SSS a MMM X Z, 'quoted'
 * literals), or is `epoch-seconds` / `epoch-millis`.
 *
 * A whole number below 10^11 read as milliseconds would be a time in 1970–1973; it is far
 * likelier to be epoch seconds, so it is refused with that reason instead of guessed either way.
 *
 * A reason never holds the value, nor any part of it: reasons reach Platform and the logs
 * (row-errors.ts).
 */

export interface Instant {
  /** Epoch milliseconds (UTC). */
  ms: number;
  /** The calendar date as written (before applying the offset). */
  year: number;
  month: number;
  day: number;
  /** The text itself when it already is what isoDateTime would write (yyyy-MM-ddTHH:mm:ss.SSSZ). */
  iso?: string;
}

/** yyyy-MM-dd of the date as written. */
export function localDate(i: Instant): string {
  return `${pad(i.year, 4)}-${pad(i.month)}-${pad(i.day)}`;
}

export type DateReader = (text: string) => Instant | string;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const EPOCH = /^[+-]?\d+$/;
const SECONDS_LIMIT = 1e11;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS[month - 1];
}

function offsetMinutes(zone: string | undefined): number | string {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!m) return 'the UTC offset is not ±hh:mm';
  const h = Number(m[2]);
  const min = Number(m[3] ?? '0');
  if (h > 18 || min > 59) return 'the UTC offset is out of range';
  return (m[1] === '-' ? -1 : 1) * (h * 60 + min);
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: string;
  zone?: string;
}

function rangeProblem(p: Parts): string | undefined {
  if (p.month < 1 || p.month > 12) return 'the month is out of range';
  if (p.day < 1 || p.day > daysIn(p.year, p.month)) return 'the day does not exist in its month';
  if (p.hour > 23 || p.minute > 59 || p.second > 59) return 'the time of day is out of range';
  return undefined;
}

function instantOf(p: Parts): Instant | string {
  const problem = rangeProblem(p);
  if (problem !== undefined) return problem;
  const offset = offsetMinutes(p.zone);
  if (typeof offset === 'string') return offset;
  const ms = Number((p.fraction + '000').slice(0, 3));
  const utc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, ms) - offset * 60_000;
  if (p.year < 100) return 'the year is out of range (before 100)';
  return { ms: utc, year: p.year, month: p.month, day: p.day };
}

function fromEpochMs(ms: number): Instant | string {
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > 8.64e15) return 'the epoch time is out of range';
  const d = new Date(ms);
  return { ms, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Two or more digits of s as a number, or -1 when one is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The parts of a date-time written as isoDateTime writes it (yyyy-MM-ddTHH:mm:ss.SSSZ), read
 * without a regular expression: most exports write exactly this, and it is read (and checked
 * against the schema) once per value.
 */
function canonicalParts(s: string): Parts | undefined {
  if (s.length !== 24 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':' || s[19] !== '.' || s[23] !== 'Z') return undefined;
  const p = { year: digits(s, 0, 4), month: digits(s, 5, 7), day: digits(s, 8, 10), hour: digits(s, 11, 13), minute: digits(s, 14, 16), second: digits(s, 17, 19), fraction: s.slice(20, 23), zone: 'Z' };
  if (p.year < 0 || p.month < 0 || p.day < 0 || p.hour < 0 || p.minute < 0 || p.second < 0 || digits(s, 20, 23) < 0) return undefined;
  return p;
}

/** True when s is a valid date-time as isoDateTime writes it; false says nothing (it may still be valid RFC 3339). */
export function isCanonicalDateTime(s: string): boolean {
  const p = canonicalParts(s);
  return p !== undefined && rangeProblem(p) === undefined;
}

/** ISO 8601, or epoch milliseconds. */
export function readIsoOrEpoch(text: string): Instant | string {
  const canonical = canonicalParts(text);
  if (canonical) {
    const instant = instantOf(canonical);
    // Kept as it is: spares a Date and its toISOString for every value (a tenth of a CSV's prep time).
    if (typeof instant !== 'string') instant.iso = text;
    return instant;
  }
  const s = text.trim();
  if (EPOCH.test(s)) {
    const n = Number(s);
    if (Math.abs(n) < SECONDS_LIMIT) {
      return 'the value looks like epoch seconds, not milliseconds (give format: epoch-seconds, or send milliseconds)';
    }
    return fromEpochMs(n);
  }
  const m = ISO.exec(s);
  if (!m) return 'the value is not an ISO 8601 date or date-time, nor epoch milliseconds';
  const instant = instantOf({
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    fraction: m[7] ?? '',
    zone: m[8],
  });
  return instant;
}

export function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

interface Token {
  re: string;
  set?: (p: Parts, v: string) => void;
}

const TOKENS: Array<[string, Token]> = [
  ['yyyy', { re: '(\\d{4})', set: (p, v) => (p.year = Number(v)) }],
  ['yy', { re: '(\\d{2})', set: (p, v) => (p.year = 2000 + Number(v)) }],
  ['MMM', { re: '([A-Za-z]{3})', set: (p, v) => (p.month = MONTHS.indexOf(v.toLowerCase()) + 1 || 99) }],
  ['MM', { re: '(\\d{2})', set: (p, v) => (p.month = Number(v)) }],
  ['M', { re: '(\\d{1,2})', set: (p, v) => (p.month = Number(v)) }],
  ['dd', { re: '(\\d{2})', set: (p, v) => (p.day = Number(v)) }],
  ['d', { re: '(\\d{1,2})', set: (p, v) => (p.day = Number(v)) }],
  ['HH', { re: '(\\d{2})', set: (p, v) => (p.hour = Number(v)) }],
  ['H', { re: '(\\d{1,2})', set: (p, v) => (p.hour = Number(v)) }],
  ['hh', { re: '(\\d{2})', set: (p, v) => (p.hour = Number(v)) }],
  ['h', { re: '(\\d{1,2})', set: (p, v) => (p.hour = Number(v)) }],
  ['mm', { re: '(\\d{2})', set: (p, v) => (p.minute = Number(v)) }],
  ['ss', { re: '(\\d{2})', set: (p, v) => (p.second = Number(v)) }],
  ['SSS', { re: '(\\d{1,9})', set: (p, v) => (p.fraction = v) }],
  ['a', { re: '([AaPp][Mm])', set: (p, v) => (p.hour = (p.hour % 12) + (v.toLowerCase() === 'pm' ? 12 : 0)) }],
  ['XXX', { re: '(Z|[+-]\\d{2}:\\d{2})', set: (p, v) => (p.zone = v) }],
  ['XX', { re: '(Z|[+-]\\d{4})', set: (p, v) => (p.zone = v) }],
  ['X', { re: '(Z|[+-]\\d{2}(?::?\\d{2})?)', set: (p, v) => (p.zone = v) }],
  ['Z', { re: '([+-]\\d{4})', set: (p, v) => (p.zone = v) }],
];

/**
 * A reader for a Java-style pattern. AM/PM is applied after the hour whatever their order, so
 * the setters run in token order except `a`, which runs last.
 */
export function compileDateFormat(format: string): DateReader {
  if (format === 'epoch-seconds' || format === 'epoch-millis') {
    const scale = format === 'epoch-seconds' ? 1000 : 1;
    return (text) => {
      const s = text.trim();
      return EPOCH.test(s) ? fromEpochMs(Number(s) * scale) : `the value is not a whole number of ${format.slice(6)}`;
    };
  }
  let re = '';
  const setters: Array<Token['set']> = [];
  let ampm = -1;
  for (let i = 0; i < format.length; ) {
    if (format[i] === "'") {
      const end = format.indexOf("'", i + 1);
      const literal = end === -1 ? format.slice(i + 1) : format.slice(i + 1, end);
      re += literal === '' ? "'" : escapeRe(literal);
      i = end === -1 ? format.length : end + 1;
      continue;
    }
    const hit = TOKENS.find(([t]) => format.startsWith(t, i));
    if (hit) {
      const [t, token] = hit;
      if (t === 'a') ampm = setters.length;
      re += token.re;
      setters.push(token.set);
      i += t.length;
      continue;
    }
    if (/[A-Za-z]/.test(format[i])) throw new Error(`unknown letter ${format[i]} in date format ${JSON.stringify(format)}`);
    re += escapeRe(format[i]);
    i++;
  }
  const pattern = new RegExp(`^${re}$`);
  return (text) => {
    const m = pattern.exec(text.trim());
    if (!m) return `the value does not match the format ${format}`;
    const p: Parts = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, fraction: '' };
    setters.forEach((set, i) => i !== ampm && set?.(p, m[i + 1]));
    if (ampm >= 0) setters[ampm]?.(p, m[ampm + 1]);
    return instantOf(p);
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function isoDateTime(i: Instant): string {
  return i.iso ?? new Date(i.ms).toISOString();
}
