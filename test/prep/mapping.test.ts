import { autoMap, normaliseName } from '../../src/prep/auto-map';
import { deletePath, formatPath, getPath, parsePath, pointerToPath, setPath } from '../../src/prep/field-path';
import { compileRecordBuilder, compileRecordWriter } from '../../src/prep/record-writer';
import { schemaFields } from '../../src/prep/schema-fields';
import { renameTenant, renameTenantInText } from '../../src/prep/tenant';

const XDM = {
  definitions: { name: { type: 'object', properties: { firstName: { type: 'string' }, lastName: { type: 'string' } } } },
  type: 'object',
  properties: {
    _id: { type: 'string' },
    person: { type: 'object', properties: { name: { $ref: '#/definitions/name' }, birthDate: { type: 'string', format: 'date' } } },
    productListItems: { type: 'array', items: { type: 'object', properties: { SKU: { type: 'string' }, quantity: { type: 'integer' } } } },
    _tenant: { allOf: [{ type: 'object', properties: { loyalty: { type: 'object', properties: { points: { type: ['integer', 'null'] } } } } }] },
    tags: { type: 'object' },
  },
};

describe('field paths', () => {
  it('parses, formats and converts JSON Pointers', () => {
    expect(parsePath('a.b[0][2].c')).toEqual(['a', 'b', 0, 2, 'c']);
    expect(formatPath(['a', 'b', 0, 2, 'c'])).toBe('a.b[0][2].c');
    expect(pointerToPath('/a/b~1c/0/d')).toBe('a.b/c[0].d');
    expect(() => parsePath('a..b')).toThrow();
  });

  it('sets deep paths, creating objects and arrays, and gets and deletes them', () => {
    const r: Record<string, unknown> = {};
    setPath(r, parsePath('a.b[1].c.d[0]'), 5);
    setPath(r, parsePath('a.x'), 'y');
    expect(r).toEqual({ a: { b: [undefined, { c: { d: [5] } }], x: 'y' } });
    expect(getPath(r, parsePath('a.b[1].c.d[0]'))).toBe(5);
    expect(getPath(r, parsePath('a.x.nope'))).toBeUndefined();
    deletePath(r, parsePath('a.x'));
    deletePath(r, parsePath('a.b'));
    expect(r).toEqual({});
  });
});

describe('schema fields and auto-mapping', () => {
  const fields = schemaFields(XDM);

  it('lists leaves through $ref, allOf and arrays, with their types', () => {
    expect(fields.leaves.map((l) => [l.path, l.type])).toEqual([
      ['_id', 'string'],
      ['person.name.firstName', 'string'],
      ['person.name.lastName', 'string'],
      ['person.birthDate', 'date'],
      ['productListItems[0].SKU', 'string'],
      ['productListItems[0].quantity', 'integer'],
      ['_tenant.loyalty.points', 'integer'],
      ['tags', undefined],
    ]);
    expect(fields.paths.has('person.name')).toBe(true);
  });

  it('matches columns by full path or leaf name, ignoring case, _, -, . and spaces', () => {
    expect(normaliseName('First_Name - x.y')).toBe('firstnamexy');
    const result = autoMap(['FIRST NAME', 'person.name.lastName', 'sku', 'Quantity', 'points', 'birth-date', 'tags', 'unknown'], fields.leaves, new Set(), new Set());
    expect(result.mapped.map((m) => [m.column, m.field.path])).toEqual([
      ['FIRST NAME', 'person.name.firstName'],
      ['person.name.lastName', 'person.name.lastName'],
      ['sku', 'productListItems[0].SKU'],
      ['Quantity', 'productListItems[0].quantity'],
      ['points', '_tenant.loyalty.points'],
      ['birth-date', 'person.birthDate'],
    ]);
    expect(result.unmapped).toEqual(['tags', 'unknown']);
  });

  it('never guesses: several fields for a column, or several columns for a field, are ambiguous', () => {
    const two = schemaFields({ type: 'object', properties: { home: { type: 'object', properties: { city: { type: 'string' } } }, work: { type: 'object', properties: { city: { type: 'string' } } } } });
    expect(autoMap(['city'], two.leaves, new Set(), new Set()).ambiguous).toEqual([{ column: 'city', candidates: ['home.city', 'work.city'] }]);
    const clash = autoMap(['SKU', 'sku'], fields.leaves, new Set(), new Set());
    expect(clash.mapped).toEqual([]);
    expect(clash.ambiguous.map((a) => a.column)).toEqual(['SKU', 'sku']);
    // A field set explicitly, or a column used explicitly, is left out.
    expect(autoMap(['sku', '_id'], fields.leaves, new Set([1]), new Set(['productListItems[0].SKU'])).mapped).toEqual([]);
  });
});

describe('tenant rename', () => {
  const t = { from: '_tmd', to: '_acme' };

  it('renames the top-level key in place, keeping key order', () => {
    const r: Record<string, unknown> = { a: 1, _tmd: { x: 1 }, z: 2 };
    expect(renameTenant(r, t)).toBeUndefined();
    expect(Object.keys(r)).toEqual(['a', '_acme', 'z']);
    expect(renameTenant({ _tmd: 1, _acme: 2 }, t)).toMatch(/both/);
  });

  it('renames in the text only at the top level', () => {
    expect(renameTenantInText('{"s":"\\"_tmd\\":","n":{"_tmd":1}, "_tmd" : {"_tmd":2}}', t)).toBe('{"s":"\\"_tmd\\":","n":{"_tmd":1}, "_acme" : {"_tmd":2}}');
    expect(renameTenantInText('{"n":{"_tmd":1}}', t)).toBeUndefined();
    expect(renameTenantInText('{"\\u005ftmd":1}', t)).toBeUndefined();
  });
});

describe('record writer', () => {
  it('writes what JSON.stringify writes of the object setPath builds from the same fields', () => {
    const targets = ['a.b', 'a.c[1].d', 'x', 'a.c[0]', 'deep.e[2][0].f', 'a.g', 'q.r.s'].map(parsePath);
    const write = compileRecordWriter(targets);
    const rows: unknown[][] = [
      ['s', 1.5, true, null, 'é "quoted" \\ \n', -0, 'lone \ud800'],
      [undefined, undefined, 'only x', undefined, undefined, undefined, undefined],
      [undefined, undefined, undefined, undefined, undefined, undefined, undefined],
      [undefined, 7, undefined, undefined, 0, { nested: [1] }, undefined],
    ];
    for (const values of rows) {
      const record: Record<string, unknown> = {};
      targets.forEach((t, i) => values[i] !== undefined && setPath(record, t, values[i]));
      expect(write(values)).toBe(JSON.stringify(record));
    }
  });

  it('writes the same text when it knows the fields are converted values', () => {
    const targets = ['n', 'i', 'b', 'd', 'dt', 's'].map(parsePath);
    const untyped = compileRecordWriter(targets);
    const typed = compileRecordWriter(targets, ['number', 'integer', 'boolean', 'date', 'date-time', 'string']);
    const rows: unknown[][] = [
      [-0, 9007199254740991, false, '2024-02-29', '2024-02-29T23:59:59.999Z', 'a "q" \n'],
      [1e21, -3, true, undefined, undefined, undefined],
      [undefined, undefined, undefined, undefined, undefined, undefined],
    ];
    for (const values of rows) expect(typed(values)).toBe(untyped(values));
  });

  it('builds the object its text parses back to, for the schema check', () => {
    const targets = ['a.b', 'a.c[1].d', 'x', 'a.c[0]', 'deep.e[2][0].f', 'a.g', 'q.r.s'].map(parsePath);
    const write = compileRecordWriter(targets);
    const build = compileRecordBuilder(targets);
    const rows: unknown[][] = [
      ['s', 1.5, true, null, 'é', 0, 'z'],
      [undefined, undefined, 'only x', undefined, undefined, undefined, undefined],
      [undefined, undefined, undefined, undefined, undefined, undefined, undefined],
      [undefined, 7, undefined, undefined, 0, { nested: [1] }, undefined],
    ];
    for (const values of rows) expect(build(values)).toStrictEqual(JSON.parse(write(values)));
    expect(build([undefined, 7, undefined, undefined, undefined, undefined, undefined])).toStrictEqual({ a: { c: [null, { d: 7 }] } });
  });
});
