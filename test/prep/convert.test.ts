import { ConversionFailure, converterFor } from '../../src/prep/convert';
import { fullFormats } from 'ajv-formats/dist/formats';
import { isCanonicalDateTime, readIsoOrEpoch } from '../../src/prep/date-format';
import type { FieldType } from '../../src/prep/schema-fields';

const ok = (type: FieldType, input: unknown, format?: string) => converterFor(type, format)(input);
const reason = (type: FieldType, input: unknown, format?: string) => {
  const r = converterFor(type, format)(input);
  return r instanceof ConversionFailure ? r.reason : `converted to ${JSON.stringify(r)}`;
};

describe('type conversion', () => {
  it.each<[FieldType, unknown, unknown]>([
    ['integer', '42', 42],
    ['integer', ' -7 ', -7],
    ['integer', 12, 12],
    ['number', '3.25', 3.25],
    ['number', '-1e3', -1000],
    ['number', '.5', 0.5],
    ['string', 42, '42'],
    ['string', ' kept as is ', ' kept as is '],
    ['boolean', 'yes', true],
    ['boolean', 'ON', true],
    ['boolean', 'Y', true],
    ['boolean', 'TRUE', true],
    ['boolean', 'n', false],
    ['boolean', 'Off', false],
    ['boolean', false, false],
    ['date', '2024-05-01', '2024-05-01'],
    ['date', '2024-05-01T23:30:00-05:00', '2024-05-01'],
    ['date', '1714557600000', '2024-05-01'],
    ['date-time', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000Z'],
    ['date-time', '2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00.000Z'],
    ['date-time', '2024-05-01T12:00:00.123456789+0200', '2024-05-01T10:00:00.123Z'],
    ['date-time', '2024-05-01 10:00:00', '2024-05-01T10:00:00.000Z'],
    ['date-time', '2024-05-01', '2024-05-01T00:00:00.000Z'],
    ['date-time', 1714557600000, '2024-05-01T10:00:00.000Z'],
    ['date-time', '2024-05-01T10:00:00.120Z', '2024-05-01T10:00:00.120Z'],
    ['date-time', '2024-05-01T10:00:00.120z', '2024-05-01T10:00:00.120Z'],
    ['date', '2024-05-01T23:30:00.000Z', '2024-05-01'],
  ])('%s %j → %j', (type, input, expected) => {
    expect(ok(type, input)).toEqual(expected);
  });

  it.each<[FieldType, unknown, string]>([
    ['integer', '1,000', 'the value is not an integer: thousands separators are not accepted'],
    ['integer', "1'000'000", 'the value is not an integer: thousands separators are not accepted'],
    ['number', '1.000.000,5', 'the value is not a number: thousands separators are not accepted'],
    ['integer', '2.5', 'the value is not an integer'],
    ['integer', '9007199254740993', 'the value is out of range for an integer (at most ±9007199254740991)'],
    ['number', 'abc', 'the value is not a number'],
    ['number', 'NaN', 'the value is not a number'],
    ['boolean', 'maybe', 'the value is not a boolean (accepted: true/false, yes/no, y/n, on/off)'],
    ['boolean', '1', 'the value is not a boolean (accepted: true/false, yes/no, y/n, on/off)'],
    ['date-time', '1714557600', 'the value looks like epoch seconds, not milliseconds (give format: epoch-seconds, or send milliseconds)'],
    ['date-time', '2018-00-10T22:07:56Z', 'the month is out of range'],
    ['date-time', '2024-05-01T25:00:00Z', 'the time of day is out of range'],
    ['date-time', '2024-05-01T10:00:00+19:00', 'the UTC offset is out of range'],
    ['date-time', '01/05/2024', 'the value is not an ISO 8601 date or date-time, nor epoch milliseconds'],
    ['date', '2023-02-29', 'the day does not exist in its month'],
    ['date-time', '2023-02-29T10:00:00.000Z', 'the day does not exist in its month'],
    ['date-time', '2023-01-01T24:00:00.000Z', 'the time of day is out of range'],
    ['string', { a: 1 }, 'the value is not a string'],
  ])('%s %j is refused: %s, the value kept apart', (type, input, expected) => {
    expect(reason(type, input)).toBe(expected);
    // The reason goes to Platform and the logs; the value only to the local row-error store.
    const failure = converterFor(type)(input) as ConversionFailure;
    expect(failure.value).toBe(JSON.stringify(input));
    const digits = JSON.stringify(input).replace(/\D/g, '');
    if (digits.length > 1) expect(expected.replace(/\D/g, '')).not.toContain(digits);
  });

  it.each<[string, string, string]>([
    ['dd/MM/yyyy', '31/12/2024', '2024-12-31T00:00:00.000Z'],
    ['M/d/yyyy hh:mm a', '7/4/2024 09:05 PM', '2024-07-04T21:05:00.000Z'],
    ['M/d/yyyy hh:mm a', '7/4/2024 12:05 AM', '2024-07-04T00:05:00.000Z'],
    ['dd-MMM-yyyy HH:mm:ss XXX', '05-Mar-2024 08:00:00 +01:00', '2024-03-05T07:00:00.000Z'],
    ["yyyyMMdd'T'HHmmss", '20240501T101500', '2024-05-01T10:15:00.000Z'],
    ['epoch-seconds', '1714557600', '2024-05-01T10:00:00.000Z'],
    ['epoch-millis', '86400000', '1970-01-02T00:00:00.000Z'],
  ])('format %s reads %s', (format, input, expected) => {
    expect(ok('date-time', input, format)).toBe(expected);
  });

  it('says when a value does not match its format, and refuses unknown letters', () => {
    expect(reason('date', '2024-12-31', 'dd/MM/yyyy')).toBe('the value does not match the format dd/MM/yyyy');
    expect(() => converterFor('date', 'dd/QQ/yyyy')).toThrow(/unknown letter Q/);
  });
});

describe('canonical date-times (the fast path of reading and of the schema check)', () => {
  const full = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;
  const cases: [string, boolean][] = [
    ['2024-02-29T23:59:59.999Z', true],
    ['2000-02-29T00:00:00.000Z', true],
    ['1900-02-29T00:00:00.000Z', false],
    ['2023-02-29T00:00:00.000Z', false],
    ['2024-13-01T00:00:00.000Z', false],
    ['2024-00-01T00:00:00.000Z', false],
    ['2024-04-31T00:00:00.000Z', false],
    ['2024-01-01T24:00:00.000Z', false],
    ['2024-01-01T23:60:00.000Z', false],
    ['2024-01-01T23:59:60.000Z', false],
    ['2024-01-01T00:00:00.00xZ', false],
    ['2024-01-01 00:00:00.000Z', false],
    ['+024-01-01T00:00:00.000Z', false],
    ['2024-01-01T00:00:00.000z', false],
  ];

  it.each(cases)('%s canonical and valid: %s', (s, valid) => {
    expect(isCanonicalDateTime(s)).toBe(valid);
    // Never more lenient than the full RFC 3339 rule it stands in front of.
    if (valid) expect(full(s)).toBe(true);
  });

  it('reads a canonical date-time to the same instant as Date, keeping its text', () => {
    const r = readIsoOrEpoch('2024-02-29T23:59:59.999Z');
    expect(r).toEqual({ ms: Date.parse('2024-02-29T23:59:59.999Z'), year: 2024, month: 2, day: 29, iso: '2024-02-29T23:59:59.999Z' });
    expect(readIsoOrEpoch('2023-02-29T00:00:00.000Z')).toBe('the day does not exist in its month');
    const padded = readIsoOrEpoch(' 2024-01-01T00:00:00.000Z ');
    expect(padded).toMatchObject({ ms: Date.UTC(2024, 0, 1) });
    expect(padded).not.toHaveProperty('iso');
  });
});
