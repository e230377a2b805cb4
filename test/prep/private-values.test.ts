import { describeRowError, rejectedRowLine, rowErrorRecord } from '../../src/prep/row-errors';
import { storedRowError } from '../../src/run/stored-row-error';
import { plan, prep, PRODUCT_SCHEMA } from './prep-harness';

/*
 * A rejected row's value never leaves: the line sent to Platform in its place, the row error's
 * message (logs, run --json, --dry-run, the run's error) say why and where, never what. Only
 * the local row-error store gets the value (storedRowError, written with errorDiagnostics).
 */

const SECRET = 'PRIVATE-4111-1111';

const products = () => plan({ format: { type: 'csv' }, mapping: { schema: 'p.json', auto: true } }, { mappingSchema: PRODUCT_SCHEMA, datasetSchema: PRODUCT_SCHEMA });
const PEOPLE = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^P[0-9]+$' }, joined: { type: 'string', format: 'date-time' }, points: { type: 'integer' } },
};
const people = (mapping?: Record<string, unknown>) => plan({ format: { type: 'json' }, ...(mapping ? { mapping } : {}) }, { datasetSchema: PEOPLE });

const CASES: Array<[string, () => Promise<Awaited<ReturnType<typeof prep>>>]> = [
  ['a CSV value that is not a number', () => prep(`sku,price\nMJ01-A,${SECRET}\n`, products())],
  ['a CSV value that breaks the schema pattern', () => prep(`sku,price\n${SECRET},1\n`, products())],
  ['a CSV date that does not parse', () => prep(`sku,price,updated\nMJ01-A,1,${SECRET}\n`, products())],
  ['a JSON line that is not JSON', () => prep(`{"id":"P1","card": ${SECRET}}\n`, people())],
  ['a JSON line cut short', () => prep(`{"id":"P1","card":"${SECRET}\n`, people())],
  ['a JSON value that breaks the schema', () => prep(`{"id":"${SECRET}"}\n`, people())],
  ['a JSON value of the wrong type', () => prep(`{"id":"P1","points":"${SECRET}"}\n`, people())],
  ['a mapped JSON value that does not convert', () => prep(`{"id":"P1","member":{"since":"${SECRET}"}}\n`, people({ fields: [{ source: 'member.since', target: 'joined', type: 'date-time' }] }))],
];

describe('rejected rows keep their values behind', () => {
  it.each(CASES)('%s', async (_name, run) => {
    const out = await run();
    expect(out.stats.failed).toBe(1);
    const [e] = out.stats.rowErrors;
    // Sent to Platform:
    expect(out.rejected).toHaveLength(1);
    expect(out.text).not.toContain('PRIVATE');
    expect(out.text).not.toContain('4111');
    expect(rejectedRowLine(e)).not.toContain('4111');
    // Logged, shown by run --json, --dry-run and history:
    expect(e.message).not.toContain('4111');
    expect(describeRowError(e)).not.toContain('4111');
    expect(JSON.stringify(rowErrorRecord(e))).not.toContain('4111');
    // Kept for the local store only:
    expect(e.value).toContain(SECRET);
    expect(storedRowError(e, { runId: 'r', batchId: null, fileId: null }).message).toContain(SECRET);
  });

  it('says why and where: the field, the row and the line', async () => {
    const out = await prep(`sku,price\nMJ01-A,1\nMJ01-B,${SECRET}\n`, products());
    const line = out.rejected[0];
    expect(JSON.parse(line.slice(line.indexOf('{')))).toEqual({
      file: 'file.csv',
      row: 2,
      line: 3,
      column: 'price',
      path: '_acme.product.price',
      code: 'MAPPER-3700',
      message: 'column price: the value is not a number',
    });
  });
});
