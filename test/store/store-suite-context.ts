import { randomUUID } from 'node:crypto';
import type { Clock } from '../../src/lib/clock';
import type { Redact } from '../../src/lib/redact';
import type { Fence, FileVersion, LeaseOwner, LedgerEntry, RunRecord, RunTrigger, Store } from '../../src/store/types';

export type MakeStore = (opts?: { clock?: Clock; redact?: Redact }) => Promise<Store>;

/**
 * What the parts of the store suite share: the store under test, a way to open more stores on
 * the same database, and builders for unique rows. The database may hold rows from earlier tests
 * or runs, so every test makes its own dataflow names and ids.
 */
export interface SuiteContext {
  /** The store opened before the tests (valid inside tests and hooks only). */
  readonly store: Store;
  /** Another store on the same database, migrated, closed after the suite. */
  open(opts?: { clock?: Clock; redact?: Redact }): Promise<Store>;
  uid(prefix: string): string;
  /** A process of its own, as leases tell processes apart. */
  owner(): LeaseOwner;
  /** The suite's lease on a dataflow (taken once, on `store`), for its fenced writes. */
  fence(dataflow: string): Promise<Fence>;
  /** A running run of the dataflow (a new one by default), written under its lease. */
  newRun(dataflow?: string, startedAt?: Date, trigger?: RunTrigger): Promise<RunRecord>;
  /** Version n of a path: a different fingerprint, size and modified time per n. */
  version(path: string, n?: number): FileVersion;
  /** Takes versions for the run as a run would: each succeeding its path's newest entry. */
  take(run: RunRecord, versions: readonly FileVersion[]): Promise<LedgerEntry[]>;
  ids(entries: readonly LedgerEntry[]): number[];
}

/** Registers the hooks that open and close stores in the calling describe block. */
export function suiteContext(makeStore: MakeStore): SuiteContext {
  const opened: Store[] = [];
  const fences = new Map<string, Fence>();
  const me: LeaseOwner = { processId: `suite-${randomUUID()}`, host: 'suite-host', pid: 1 };
  let main: Store | undefined;

  const ctx: SuiteContext = {
    get store(): Store {
      if (!main) throw new Error('the store suite’s store is used outside a test');
      return main;
    },
    async open(opts) {
      const s = await makeStore(opts);
      opened.push(s);
      await s.migrate();
      return s;
    },
    uid: (prefix) => `${prefix}-${randomUUID()}`,
    owner: () => ({ processId: ctx.uid('process'), host: 'suite-host', pid: 2 }),
    async fence(dataflow) {
      let fence = fences.get(dataflow);
      if (!fence) {
        const answer = await ctx.store.acquireLease(dataflow, me, { ttlMs: 3_600_000 });
        if (!answer.granted) throw new Error(`the suite could not take the lease of ${dataflow}`);
        fence = { dataflow, token: answer.lease.token };
        fences.set(dataflow, fence);
      }
      return fence;
    },
    newRun: async (dataflow, startedAt = new Date(), trigger = 'schedule') => {
      const name = dataflow ?? ctx.uid('df');
      return ctx.store.createRun({ id: ctx.uid('run'), dataflow: name, trigger, startedAt, owner: me }, await ctx.fence(name));
    },
    version: (path, n = 1) => ({
      path,
      fingerprint: `${100 * n}:${1_700_000_000_000 + n}`,
      size: 100 * n,
      modifiedAt: new Date(1_700_000_000_000 + n * 1000 + 123),
    }),
    async take(run, versions) {
      const latest = await ctx.store.latestVersions(run.dataflow, versions.map((v) => v.path));
      return ctx.store.addPending(await ctx.fence(run.dataflow), run.id, versions.map((v) => ({ ...v, supersedes: latest.get(v.path)?.id ?? null })));
    },
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
