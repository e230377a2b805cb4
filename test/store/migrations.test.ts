import { checkMigrationList, pendingMigrations, type Migration } from '../../src/store/migrations';

const known: Migration[] = [
  { version: 1, name: 'first', sql: 'CREATE TABLE a (x INTEGER)' },
  { version: 2, name: 'second', sql: 'CREATE TABLE b (x INTEGER)' },
  { version: 3, name: 'third', sql: 'CREATE TABLE c (x INTEGER)' },
];
const applied = (...versions: number[]) => versions.map((v) => ({ version: v, name: known[v - 1]?.name ?? 'future' }));

describe('pendingMigrations', () => {
  it.each([
    [[], [1, 2, 3]],
    [[1], [2, 3]],
    [[1, 2], [3]],
    [[1, 2, 3], []],
  ])('with %j applied, runs %j', (done, expected) => {
    expect(pendingMigrations(known, applied(...done)).map((m) => m.version)).toEqual(expected);
  });

  it('refuses a database from a newer build', () => {
    expect(() => pendingMigrations(known, applied(1, 2, 3, 4))).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_SCHEMA_NEWER', kind: 'config', context: { schemaVersion: 4, knownVersion: 3 } }),
    );
  });

  it('refuses a history that disagrees with the list', () => {
    expect(() => pendingMigrations(known, [{ version: 1, name: 'renamed' }])).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_SCHEMA_MISMATCH' }),
    );
    expect(() => pendingMigrations(known, applied(1, 3))).toThrow(expect.objectContaining({ code: 'ERR_STORE_SCHEMA_MISMATCH' }));
  });

  it('refuses a list with gaps or out of order', () => {
    expect(() => checkMigrationList([known[0], known[2]])).toThrow(/out of order/);
    expect(() => checkMigrationList([known[1], known[0]])).toThrow(/out of order/);
    expect(() => checkMigrationList(known)).not.toThrow();
  });
});
