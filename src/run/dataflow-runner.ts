import { setMaxListeners } from 'node:events';
import { type DataflowConfig, formatDuration, type JsonSchema, type LoadedConfig } from '../config';
import { compileGlobs, describeVerdict } from '../connector/glob';
import { normalizeRemotePath } from '../connector/paths';
import { openConnection } from '../connector/connection';
import type { ConnectorTraits, SourceConnector } from '../connector/types';
import type { Decision } from '../detect/detect';
import type { Clock } from '../lib/clock';
import { deadline } from '../lib/deadline';
import { dataflowError, errorFacts, errorMessage, wrapError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { RunNotifier } from '../notify/run-notifier';
import type { PlatformClient } from '../platform';
import { buildPrepPlan, type PrepPlan } from '../prep/prep-plan';
import { renameSchemaTenant } from '../prep/tenant';
import { type FileSample, sampleFile } from '../prep/sample';
import type { Fence, LeaseRecord, RunRecord, RunTrigger, Store } from '../store/types';
import { BUSY_CODE, describeHolder, HeldLease, LeaseKeeper } from './lease';
import type { RunPlan } from './plan';
import { guardEmptyLedger } from './ledger-guard';
import { type RebuildReport, rebuildLedger } from './ledger-rebuild';
import { recoverDataflow } from './recover';
import { closeRun, detectRules, runDataflow } from './run-dataflow';
import { newRunId } from './run-id';
import { scan } from './scan';
import { folderRelative } from './source-paths';

export interface RunnerDeps {
  config: LoadedConfig;
  store: Store;
  /** This process's leases: a run holds its dataflow's lease from before listing to the end. */
  leases: LeaseKeeper;
  platform: PlatformClient;
  logger: Logger;
  clock: Clock;
}

export interface RunCallbacks {
  /** The id the run is to have (the API answers with it before the run exists); default a new one. */
  runId?: string;
  /** Ctrl-C: send nothing new, follow a completed batch to Platform's answer, end `cancelled`. */
  cancel?: AbortSignal;
  /** `dataflowd reprocess`: only these connection-relative paths, sent again whatever the ledger says. */
  only?: ReadonlySet<string>;
  /** `run --accept-empty-ledger`: an empty ledger starts empty even when Platform holds the dataflow's data (ledger-guard.ts). */
  acceptEmptyLedger?: boolean;
  onBytes?: (n: number) => void;
  onTaken?: (files: number, bytes: number) => void;
}

/** Files a dry run prepares to show their first records; the others are only listed. */
const MAX_SAMPLED_FILES = 20;

export interface DryRun {
  decisions: Decision[];
  /** The files it would take (up to MAX_SAMPLED_FILES), prepared as in a run. */
  samples: FileSample[];
  /** What the dry run could not show, and why. */
  notes: string[];
}

interface Prepared {
  plan: RunPlan;
  connector: SourceConnector;
  traits: ConnectorTraits;
  excludedBy: (path: string) => string | undefined;
}

/** What `run` is to do when another process holds the dataflow. */
export interface RunOptions extends RunCallbacks {
  /** Wait for the holder to finish (`run --wait`), instead of recording a skipped run. */
  wait?: boolean;
}

/**
 * Turns a dataflow's config into a run: takes the dataflow's lease (or says who holds it),
 * settles what a dead holder left, opens its connection, resolves its dataset, runs, closes the
 * connection and lets the lease go. A dataflow that cannot even start (unknown dataset,
 * unreachable host) still gets a failed run in history with the reason.
 */
export class DataflowRunner {
  private readonly datasetIds = new Map<string, string>();
  private readonly notifier: RunNotifier;

  constructor(private readonly deps: RunnerDeps) {
    this.notifier = new RunNotifier(deps.config, deps.store);
  }

  /** One run now, or a skipped run naming the live process that holds the dataflow. */
  async run(df: DataflowConfig, trigger: RunTrigger, signal: AbortSignal, opts: RunOptions = {}): Promise<RunRecord> {
    const taken = await this.deps.leases.take(df.name, { wait: opts.wait, signal: opts.cancel ? AbortSignal.any([signal, opts.cancel]) : signal });
    if ('busy' in taken) return this.busyRun(df.name, trigger, taken.busy);
    try {
      return await this.runHeld(df, trigger, taken.held, signal, opts);
    } finally {
      await taken.held.release();
    }
  }

  /**
   * The run's record, `running`, written under the lease as soon as it is held (DESIGN.md §6
   * step 1): from here on the run is in history, whatever happens to it.
   */
  begin(df: DataflowConfig, trigger: RunTrigger, held: HeldLease, runId?: string): Promise<RunRecord> {
    const startedAt = this.deps.clock.now();
    return this.deps.store.createRun({ id: runId ?? newRunId(startedAt), dataflow: df.name, trigger, startedAt, owner: this.deps.leases.owner }, held.fence);
  }

  /**
   * A run under a lease the caller took and releases, in the record `begun` (or a new one). First
   * settles whatever the dataflow's earlier holders left unsettled: with the lease held, nobody
   * else is working on it. Every run has a deadline (ingestion.runTimeout).
   */
  async runHeld(df: DataflowConfig, trigger: RunTrigger, held: HeldLease, signal: AbortSignal, callbacks: RunCallbacks & { begun?: RunRecord } = {}): Promise<RunRecord> {
    const { clock } = this.deps;
    const begun = callbacks.begun ?? (await this.begin(df, trigger, held, callbacks.runId));
    const limit = df.ingestion.runTimeout;
    const timer = deadline(clock, limit, () =>
      dataflowError('ERR_RUN_DEADLINE', 'transient', `the run was still going after ${formatDuration(limit)} (ingestion.runTimeout) and was aborted`),
    );
    const runSignal = AbortSignal.any([signal, held.signal, timer.signal]);
    // Every file in flight (limits.files of them) listens to the run's signal at several steps.
    setMaxListeners(100, runSignal);
    try {
      return await this.runWithin(df, trigger, held, begun, runSignal, callbacks);
    } finally {
      timer.clear();
    }
  }

  private async runWithin(df: DataflowConfig, trigger: RunTrigger, held: HeldLease, begun: RunRecord, runSignal: AbortSignal, callbacks: RunCallbacks): Promise<RunRecord> {
    const { store, platform, logger, clock } = this.deps;
    if (held.tookOverFrom) logger.warn({ dataflow: df.name, from: held.tookOverFrom }, 'took over the lease of a process that did not let go of it');
    try {
      await recoverDataflow({ store, platform, fence: held.fence, logger, clock, signal: runSignal, except: begun.id, closedAt: held.lease.acquiredAt, notifier: this.notifier });
    } catch (err) {
      if (runSignal.aborted) return this.failedRun(begun, held.fence, err);
      logger.error({ dataflow: df.name, err: errorMessage(err) }, 'recovery of earlier runs failed; the next run tries again');
    }
    let prepared: Prepared;
    try {
      prepared = await this.prepare(df, runSignal, { resolveDataset: true, fence: held.fence });
    } catch (err) {
      return this.failedRun(begun, held.fence, err);
    }
    try {
      // `reprocess` names the files to send whatever the ledger says: no guard to pass.
      if (trigger !== 'reprocess') {
        await guardEmptyLedger({ store, platform, clock, logger, fence: held.fence, datasetId: prepared.plan.datasetId, signal: runSignal, acceptEmpty: callbacks.acceptEmptyLedger });
      }
    } catch (err) {
      await prepared.connector.close().catch(() => undefined);
      return this.failedRun(begun, held.fence, err);
    }
    try {
      return await runDataflow({ ...this.deps, ...prepared, fence: held.fence, owner: this.deps.leases.owner, signal: runSignal, ...callbacks, runId: begun.id, notifier: this.notifier }, trigger);
    } finally {
      await prepared.connector.close().catch((err) => logger.warn({ dataflow: df.name, err: errorMessage(err) }, 'closing the connection failed'));
    }
  }

  /**
   * `dataflowd ledger rebuild NAME`: under the dataflow's lease, in a run record of its own
   * (trigger `rebuild`), after settling what a dead holder left, the ledger is written from
   * Catalog and Data Access (ledger-rebuild.ts). Throws with the holder named when busy.
   */
  async rebuildLedger(df: DataflowConfig, signal: AbortSignal, opts: { byTime?: boolean } = {}): Promise<{ run: RunRecord; report?: RebuildReport }> {
    const { store, platform, logger, clock } = this.deps;
    const taken = await this.deps.leases.take(df.name, { signal });
    if ('busy' in taken) throw dataflowError(BUSY_CODE, 'transient', `not rebuilt: ${df.name} is ${describeHolder(taken.busy)}`);
    const held = taken.held;
    try {
      const begun = await this.begin(df, 'rebuild', held);
      const runSignal = AbortSignal.any([signal, held.signal]);
      let prepared: Prepared | undefined;
      try {
        await recoverDataflow({ store, platform, fence: held.fence, logger, clock, signal: runSignal, except: begun.id, closedAt: held.lease.acquiredAt, notifier: this.notifier });
        prepared = await this.prepare(df, runSignal, { resolveDataset: true, fence: held.fence });
        const report = await rebuildLedger({ ...this.deps, ...prepared, fence: held.fence, runId: begun.id, signal: runSignal, byTime: opts.byTime });
        const batchIds = (await store.batchesOfRun(begun.id)).map((b) => b.id);
        const run = await closeRun(store, begun, { status: 'succeeded', finishedAt: clock.now(), filesIngested: report.byName + report.byTime, batchIds }, held.fence, logger);
        return { run, report };
      } catch (err) {
        return { run: await this.failedRun(begun, held.fence, err) };
      } finally {
        await prepared?.connector.close().catch(() => undefined);
      }
    } finally {
      await held.release();
    }
  }

  /** The run a tick or a `run` gets when a live process holds the dataflow: skipped, naming the holder. */
  async busyRun(dataflow: string, trigger: RunTrigger, holder: LeaseRecord): Promise<RunRecord> {
    const { store, clock, logger } = this.deps;
    const now = clock.now();
    const id = newRunId(now);
    const error = describeHolder(holder);
    logger.info({ dataflow, holder: { processId: holder.processId, host: holder.host, pid: holder.pid } }, `not run: ${error}`);
    // Written already over: between a `running` record and its end, the holder's recovery would
    // take it for an interrupted run and close it as failed (seen in test/e2e/replicas.test.ts).
    const finished = { status: 'skipped' as const, finishedAt: now, error, errorKind: 'transient' as const, errorCode: BUSY_CODE };
    return store.createRun({ id, dataflow, trigger, startedAt: now, owner: this.deps.leases.owner, finished });
  }

  /**
   * What a run would take and why, touching neither the ledger nor Platform's data: each file
   * it would take is also prepared as in a run, and its first records and row errors shown.
   */
  async dryRun(df: DataflowConfig, signal: AbortSignal, opts: { only?: ReadonlySet<string> } = {}): Promise<DryRun> {
    const notes: string[] = [];
    const { plan, connector, traits, excludedBy } = await this.prepare(df, signal, { resolveDataset: false, notes });
    const decisions: Decision[] = [];
    const samples: FileSample[] = [];
    try {
      await scan({
        connector,
        store: this.deps.store,
        dataflow: df.name,
        folder: plan.folder,
        recursive: plan.recursive,
        now: this.deps.clock.now(),
        signal,
        rules: detectRules({ plan, traits, excludedBy, only: opts.only }),
        onDecision: (d) => decisions.push(d),
      });
      for (const d of decisions.filter((x) => x.action === 'take').slice(0, MAX_SAMPLED_FILES)) {
        signal.throwIfAborted();
        try {
          samples.push(await sampleFile(await connector.open(d.file.path, { signal }), d.file, plan));
        } catch (err) {
          samples.push({ path: d.file.path, records: [], rowErrors: [], rowsRead: 0, rejected: 0, complete: false, error: errorMessage(err) });
        }
      }
    } finally {
      await connector.close();
    }
    return { decisions, samples, notes };
  }

  private async prepare(df: DataflowConfig, signal: AbortSignal, opts: { resolveDataset: boolean; fence?: Fence; notes?: string[] }): Promise<Prepared> {
    const { config } = this.deps;
    const folder = normalizeRemotePath(df.source.path);
    const datasetId = opts.resolveDataset ? await this.datasetId(df.target.dataset, signal) : df.target.dataset;
    const prep = await this.prepPlan(df, signal, opts.notes);
    const notBefore = await this.notBefore(df, opts.fence);
    const { connection, connector } = await openConnection(config.connections, df.source.connection, { logger: this.deps.logger.child({ connection: df.source.connection }), baseDir: config.dir });
    const traits = connection.traits;
    const globs = compileGlobs({ include: df.source.include, exclude: df.source.exclude });
    const plan: RunPlan = {
      dataflow: df.name,
      folder,
      recursive: df.source.recursive,
      minFileAgeMs: df.source.minFileAge,
      notBefore,
      changedFiles: df.source.changedFiles,
      afterIngest: df.source.afterIngest,
      moveTo: df.source.moveTo === undefined ? undefined : normalizeRemotePath(df.source.moveTo),
      datasetId,
      format: df.format.type,
      prep,
      errorDiagnostics: df.ingestion.errorDiagnostics,
      maxErrorPercent: df.ingestion.partialIngestion?.maxErrorPercent,
      maxFilesPerBatch: df.ingestion.maxFilesPerBatch,
      maxBatchBytes: df.ingestion.maxBatchSize,
      fileConcurrency: config.daemon.limits.files,
    };
    const excludedBy = (path: string) => {
      const verdict = globs.explain(folderRelative(folder, path));
      return verdict.selected ? undefined : describeVerdict(verdict);
    };
    // Server-dependent traits (FTP's LIST vs MLSD) are known once the connector has listed.
    const liveTraits: ConnectorTraits = {
      get etagTracksContent() {
        return (connector.traits?.() ?? traits).etagTracksContent;
      },
      get mtimePrecisionMs() {
        return (connector.traits?.() ?? traits).mtimePrecisionMs;
      },
    };
    return { plan, connector, traits: liveTraits, excludedBy };
  }

  /**
   * How files are prepared. Records are checked before upload against the dataset's schema: in
   * embedded mode platform.datasets[].schema (what the emulator itself checks); in aep mode
   * mapping.schema when given (an override), else the dataset's XDM schema from Platform's Schema
   * Registry, fetched once per run. Without `notes` (a real run), not learning the tenant id or
   * the schema fails the run; a dry run says so and goes on.
   */
  private async prepPlan(df: DataflowConfig, signal: AbortSignal, notes?: string[]): Promise<PrepPlan> {
    const { config, platform } = this.deps;
    let mappingSchema = df.mapping?.schema === undefined ? undefined : config.schemas[df.mapping.schema];
    let datasetSchema = mappingSchema;
    if (config.daemon.platform.mode === 'embedded') {
      const dataset = config.daemon.platform.datasets.find((d) => d.id === df.target.dataset || d.name === df.target.dataset);
      datasetSchema = dataset ? config.schemas[dataset.schema] : undefined;
    }
    let tenantTo: string | undefined;
    if (df.target.tenant && df.target.tenant.to === undefined) {
      try {
        tenantTo = `_${await platform.tenantId(signal)}`;
      } catch (err) {
        if (!notes) throw wrapError(err, 'asking Platform for the tenant id (target.tenant)');
        notes.push(`tenant rename not shown: could not ask Platform for the tenant id: ${errorMessage(err)}`);
      }
    }
    if (config.daemon.platform.mode === 'aep' && mappingSchema === undefined) {
      try {
        const dataset = await platform.getDataset(await this.datasetId(df.target.dataset, signal), signal);
        if (!dataset) throw dataflowError('ERR_DATASET_NOT_FOUND', 'config', `dataset ${df.target.dataset} not found in Platform`);
        const fetched = (await platform.datasetSchema(dataset, signal)) as JsonSchema | undefined;
        datasetSchema = fetched;
        // The registry's schema names the org's tenant; the mapping is written for records before the rename.
        const from = df.target.tenant?.from;
        const to = df.target.tenant?.to ?? tenantTo;
        if (fetched) mappingSchema = from !== undefined && to !== undefined && from !== to ? renameSchemaTenant(fetched, { from: to, to: from }) : { ...fetched };
      } catch (err) {
        if (!notes) throw wrapError(err, `fetching the schema of dataset ${df.target.dataset} from the Schema Registry`);
        notes.push(`records not checked against the dataset's schema: could not fetch it from the Schema Registry: ${errorMessage(err)}`);
      }
    }
    return buildPrepPlan(df, { datasetSchema, mappingSchema, tenantTo });
  }

  /**
   * `backfill: false` takes only files modified after startTime or, without one, after the
   * dataflow's first run, remembered in the store so that it holds across restarts (a dry run,
   * which holds no lease, reads it but does not set it).
   */
  private async notBefore(df: DataflowConfig, fence: Fence | undefined): Promise<Date | undefined> {
    if (df.schedule.backfill) return undefined;
    if (df.schedule.startTime !== undefined) return new Date(df.schedule.startTime);
    const known = await this.deps.store.backfillFrom(df.name);
    if (known !== undefined) return known;
    const now = this.deps.clock.now();
    return fence ? this.deps.store.markBackfillFrom(fence, now) : now;
  }

  /** target.dataset is an id, or a name looked up with Catalog's `name` filter. */
  private async datasetId(ref: string, signal: AbortSignal): Promise<string> {
    const known = this.datasetIds.get(ref);
    if (known) return known;
    const found = await this.deps.platform.findDataset(ref, signal);
    if (!found) throw dataflowError('ERR_DATASET_NOT_FOUND', 'config', `dataset ${ref} not found in Platform (neither as id nor as name)`);
    this.datasetIds.set(ref, found.id);
    return found.id;
  }

  private async failedRun(begun: RunRecord, fence: Fence, err: unknown): Promise<RunRecord> {
    const { store, clock, logger } = this.deps;
    const facts = errorFacts(err);
    logger.error({ dataflow: begun.dataflow, runId: begun.id, err: facts.error, kind: facts.errorKind, code: facts.errorCode }, 'run could not start');
    return closeRun(store, begun, { status: 'failed', finishedAt: clock.now(), ...facts }, fence, logger, this.notifier);
  }

}
