import { gzip, PEOPLE_SCHEMA, plan, prep } from './prep-harness';

const lines = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('JSON → JSON Lines', () => {
  it('passes JSON Lines that need nothing through byte for byte, with their size and count', async () => {
    const text = '{"id":"a","n":1.50}\r\n\n   \n{"id":"b","big":12345678901234567890}\n{"broken": \n';
    const out = await prep(text, plan({ format: { type: 'json' } }), 'people.json');
    expect(out.text).toBe(text);
    expect(out.size).toBe(Buffer.byteLength(text));
    expect(out.stats).toMatchObject({ records: 3, failed: 0, bytesRead: Buffer.byteLength(text) });
  });

  it('splits a top-level array into JSON Lines, and pretty-printed objects too', async () => {
    const array = '[\n  {"id": "a",\n   "tags": ["x", "]"]},\n  {"id": "b"}\n]\n';
    const out = await prep(array, plan({ format: { type: 'json' } }), 'a.json', 5);
    expect(out.text).toBe('{"id": "a",    "tags": ["x", "]"]}\n{"id": "b"}\n');
    expect(out.size).toBeUndefined();
    const pretty = await prep('{\n  "id": "a"\n}\n{\n  "id": "b"\n}\n', plan({ format: { type: 'json' } }), 'p.json');
    expect(pretty.records).toEqual([{ id: 'a' }, { id: 'b' }]);
    const one = await prep('\uFEFF{\n  "id": "only"\n}', plan({ format: { type: 'json' } }), 'o.json');
    expect(one.records).toEqual([{ id: 'only' }]);
  });

  it('fails a file whose array is never closed', async () => {
    await expect(prep('[{"id":"a"},\n{"id":"b"}\n', plan({ format: { type: 'json' } }), 'cut.json')).rejects.toMatchObject({ code: 'ERR_PREP_JSON_OUTLINE', kind: 'data' });
  });

  it('sends nothing for an empty file or an empty array', async () => {
    expect(await prep('', plan({ format: { type: 'json' } }))).toMatchObject({ empty: true, stats: { records: 0 } });
    expect(await prep('[ ]', plan({ format: { type: 'json' } }))).toMatchObject({ empty: true, stats: { records: 0 } });
  });

  it('renames the tenant key keeping the record text, and validates after the rename', async () => {
    const p = plan({ format: { type: 'json' }, target: { dataset: 'ds', tenant: { from: '_tmd' } } }, { tenantTo: '_acme', datasetSchema: PEOPLE_SCHEMA });
    const text = '{"id":"a","points":1.0,"_tmd":{"tier":"gold","nested":{"_tmd":1}}}\n{"id":"b","_tmd":{"tier":"x"},"_acme":{"tier":"y"}}\n{"id":"c","points":"7","_tmd":{"tier":"s"}}\n';
    const out = await prep(text, p, 'p.json');
    expect(out.text.split('\n')[0]).toBe('{"id":"a","points":1.0,"_acme":{"tier":"gold","nested":{"_tmd":1}}}');
    expect(out.stats.rowErrors.map((e) => [e.rowNumber, e.code, e.message])).toEqual([
      [2, 'XDM', 'the record has both _tmd and _acme'],
      [3, 'XDM', 'points must be integer'],
    ]);
    expect(out.rejected).toHaveLength(2);
    expect(out.stats).toMatchObject({ records: 3, failed: 2 });
  });

  it('rejects a line that is not JSON when records are parsed, and reads on', async () => {
    const p = plan({ format: { type: 'json' } }, { datasetSchema: PEOPLE_SCHEMA });
    const out = await prep('{"id":"a","_acme":{"tier":"g"}}\n{"id": oops}\n{"id":"c","_acme":{"tier":"g"}}\n', p);
    expect(out.records.map((r) => r.id)).toEqual(['a', 'c']);
    expect(out.stats.rowErrors).toEqual([expect.objectContaining({ rowNumber: 2, lineNumber: 2, code: '1401', message: 'the record is not valid JSON (unexpected "o")' })]);
  });

  it('maps JSON paths onto XDM paths, converting types; auto keeps the rest of the record', async () => {
    const p = plan({
      format: { type: 'json' },
      mapping: {
        fields: [
          { source: 'member.id', target: 'id' },
          { source: 'member.since', target: 'joined', type: 'date-time' },
          { source: 'stats.points', target: 'points', type: 'integer' },
          { value: 'gold', target: '_acme.tier' },
        ],
      },
    });
    const out = await prep(lines({ member: { id: 'm1', since: 1714557600000 }, stats: { points: '42' }, other: true }), p);
    expect(out.records).toEqual([{ other: true, id: 'm1', joined: '2024-05-01T10:00:00.000Z', points: 42, _acme: { tier: 'gold' } }]);
    const only = await prep(lines({ member: { id: 'm1', since: 1714557600000 }, stats: { points: '4,2' } }), plan({ format: { type: 'json' }, mapping: { auto: false, fields: [{ source: 'stats.points', target: 'points', type: 'integer' }] } }));
    expect(only.stats.rowErrors[0]).toMatchObject({ column: 'stats.points', code: 'MAPPER-3700' });
  });

  it('reads gzip JSON Lines, counting records through decompression', async () => {
    const text = lines(...Array.from({ length: 500 }, (_, i) => ({ id: `r${i}` })));
    const out = await prep(gzip(text), plan({ format: { type: 'json' } }), 'r.json.gz');
    expect(out.text).toBe(text);
    expect(out.size).toBeUndefined();
    expect(out.stats.records).toBe(500);
    await expect(prep(gzip(text).subarray(0, 100), plan({ format: { type: 'json' } }), 'r.json.gz')).rejects.toMatchObject({ code: 'ERR_PREP_GZIP_TRUNCATED' });
  });

  it('handles a 1 MB single line, passed through or parsed', async () => {
    const big = JSON.stringify({ id: 'big', _acme: { tier: 'x'.repeat(1024 * 1024) } });
    const through = await prep(`${big}\n{"id":"small"}\n`, plan({ format: { type: 'json' } }), 'b.json', 4096);
    expect(through.stats.records).toBe(2);
    const parsed = await prep(`${big}\n`, plan({ format: { type: 'json' } }, { datasetSchema: PEOPLE_SCHEMA }), 'b.json', 4096);
    expect(parsed.records[0]).toMatchObject({ id: 'big' });
  });

  it('rejects a record with invalid UTF-8 when records are parsed', async () => {
    const bytes = Buffer.concat([Buffer.from('{"id":"a","_acme":{"tier":"'), Buffer.from([0xff]), Buffer.from('"}}\n{"id":"b","_acme":{"tier":"ok"}}\n')]);
    const out = await prep(bytes, plan({ format: { type: 'json' } }, { datasetSchema: PEOPLE_SCHEMA }));
    expect(out.records.map((r) => r.id)).toEqual(['b']);
    expect(out.stats.rowErrors[0]).toMatchObject({ rowNumber: 1, code: '1401', message: 'the record holds bytes that are not valid UTF-8' });
  });
});
