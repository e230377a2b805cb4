import { randomUUID } from 'node:crypto';
import type { FileVersion, LedgerEntry, RunRecord, RunTrigger, Store } from '../../src/store/types';

/**
 * What the parts of the store suite share: the store under test, a way to open more stores on
 * the same database, and builders for unique rows. The database may hold rows from earlier tests
 * or runs, so every test makes its own dataflow names and ids.
 */
export interface SuiteContext {
  /** The store opened before the tests (valid inside tests and hooks only). */
  readonly store: Store;
  /** Another store on the same database, migrated, closed after the suite. */
  open(): Promise<Store>;
  uid(prefix: string): string;
  newRun(dataflow?: string, startedAt?: Date, trigger?: RunTrigger): Promise<RunRecord>;
  /** Version n of a path: a different fingerprint, size and modified time per n. */
  version(path: string, n?: number): FileVersion;
  ids(entries: readonly LedgerEntry[]): number[];
}

/** Registers the hooks that open and close stores in the calling describe block. */
export function suiteContext(makeStore: () => Promise<Store>): SuiteContext {
  const opened: Store[] = [];
  let main: Store | undefined;

  const ctx: SuiteContext = {
    get store(): Store {
      if (!main) throw new Error('the store suite’s store is used outside a test');
      return main;
    },
    async open() {
      const s = await makeStore();
      opened.push(s);
      await s.migrate();
      return s;
    },
    uid: (prefix) => `${prefix}-${randomUUID()}`,
    newRun: (dataflow, startedAt = new Date(), trigger = 'schedule') =>
      ctx.store.createRun({ id: ctx.uid('run'), dataflow: dataflow ?? ctx.uid('df'), trigger, startedAt }),
    version: (path, n = 1) => ({
      path,
      fingerprint: `${100 * n}:${1_700_000_000_000 + n}`,
      size: 100 * n,
      modifiedAt: new Date(1_700_000_000_000 + n * 1000 + 123),
    }),
    ids: (entries) => entries.map((e) => e.id),
  };

  beforeAll(async () => {
    main = await ctx.open();
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
  });
  return ctx;
}
