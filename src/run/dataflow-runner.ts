import type { DataflowConfig, LoadedConfig } from '../config';
import { compileGlobs, describeVerdict } from '../connector/glob';
import { normalizeRemotePath, relativeToFolder } from '../connector/paths';
import type { ConnectorDefinition, ConnectorTraits, SourceConnector } from '../connector/types';
import type { Decision } from '../detect/detect';
import { fingerprint } from '../detect/fingerprint';
import type { Clock } from '../lib/clock';
import { dataflowError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { PlatformClient } from '../platform';
import type { RunRecord, RunTrigger, Store } from '../store/types';
import type { RunPlan } from './plan';
import { runDataflow } from './run-dataflow';
import { newRunId } from './run-id';
import { scan } from './scan';

export interface RunnerDeps {
  config: LoadedConfig;
  connectors: readonly ConnectorDefinition[];
  store: Store;
  platform: PlatformClient;
  logger: Logger;
  clock: Clock;
}

export interface RunCallbacks {
  onBytes?: (n: number) => void;
  onTaken?: (files: number, bytes: number) => void;
}

interface Prepared {
  plan: RunPlan;
  connector: SourceConnector;
  traits: ConnectorTraits;
  excludedBy: (path: string) => string | undefined;
}

/**
 * Turns a dataflow's config into a run: opens its connection, resolves its dataset, runs, and
 * closes the connection. A dataflow that cannot even start (unknown dataset, unreachable host)
 * still gets a failed run in history with the reason.
 */
export class DataflowRunner {
  private readonly datasetIds = new Map<string, string>();

  constructor(private readonly deps: RunnerDeps) {}

  async run(df: DataflowConfig, trigger: RunTrigger, signal: AbortSignal, callbacks: RunCallbacks = {}): Promise<RunRecord> {
    let prepared: Prepared;
    try {
      prepared = await this.prepare(df, signal);
    } catch (err) {
      return this.failedRun(df.name, trigger, err);
    }
    try {
      return await runDataflow({ ...this.deps, ...prepared, signal, ...callbacks }, trigger);
    } finally {
      await prepared.connector.close().catch((err) => this.deps.logger.warn({ dataflow: df.name, err: errorMessage(err) }, 'closing the connection failed'));
    }
  }

  /** What a run would take and why, touching neither the ledger nor Platform. */
  async dryRun(df: DataflowConfig, signal: AbortSignal): Promise<Decision[]> {
    const { plan, connector, traits, excludedBy } = await this.prepare(df, signal, { resolveDataset: false });
    const decisions: Decision[] = [];
    try {
      await scan({
        connector,
        store: this.deps.store,
        dataflow: df.name,
        folder: plan.folder,
        recursive: plan.recursive,
        now: this.deps.clock.now(),
        signal,
        rules: { excludedBy, minFileAgeMs: plan.minFileAgeMs, changedFiles: plan.changedFiles, fingerprint: (f) => fingerprint(f, traits) },
        onDecision: (d) => decisions.push(d),
      });
    } finally {
      await connector.close();
    }
    return decisions;
  }

  private async prepare(df: DataflowConfig, signal: AbortSignal, opts = { resolveDataset: true }): Promise<Prepared> {
    const { config } = this.deps;
    const connection = config.daemon.connections[df.source.connection] as { type: string } | undefined;
    const definition = this.deps.connectors.find((c) => c.type === connection?.type);
    if (!connection || !definition) {
      throw dataflowError('ERR_CONFIG_CONNECTION', 'config', `connection ${df.source.connection} is not defined`);
    }
    const parsed = definition.configSchema.parse(connection);
    const traits = definition.traits(parsed);
    const folder = normalizeRemotePath(df.source.path);
    const datasetId = opts.resolveDataset ? await this.datasetId(df.target.dataset, signal) : df.target.dataset;
    const connector = definition.create(parsed, { logger: this.deps.logger.child({ connection: df.source.connection }), baseDir: config.dir });
    const globs = compileGlobs({ include: df.source.include, exclude: df.source.exclude });
    const plan: RunPlan = {
      dataflow: df.name,
      folder,
      recursive: df.source.recursive,
      minFileAgeMs: df.source.minFileAge,
      changedFiles: df.source.changedFiles,
      afterIngest: df.source.afterIngest,
      moveTo: df.source.moveTo === undefined ? undefined : normalizeRemotePath(df.source.moveTo),
      datasetId,
      format: df.format.type,
      errorDiagnostics: df.ingestion.errorDiagnostics,
      maxErrorPercent: df.ingestion.partialIngestion?.maxErrorPercent,
      maxFilesPerBatch: df.ingestion.maxFilesPerBatch,
      maxBatchBytes: df.ingestion.maxBatchSize,
      fileConcurrency: config.daemon.limits.files,
    };
    const excludedBy = (path: string) => {
      const verdict = globs.explain(relativeToFolder(folder, path));
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

  /** target.dataset is an id, or a name looked up through Catalog. */
  private async datasetId(ref: string, signal: AbortSignal): Promise<string> {
    const known = this.datasetIds.get(ref);
    if (known) return known;
    const byId = await this.deps.platform.getDataset(ref, signal);
    const found = byId ?? (await this.deps.platform.findDatasetByName(ref, signal));
    if (!found) throw dataflowError('ERR_DATASET_NOT_FOUND', 'config', `dataset ${ref} not found in Platform (neither as id nor as name)`);
    this.datasetIds.set(ref, found.id);
    return found.id;
  }

  private async failedRun(dataflow: string, trigger: RunTrigger, err: unknown): Promise<RunRecord> {
    const { store, clock, logger } = this.deps;
    const id = newRunId(clock.now());
    const error = errorMessage(err);
    logger.error({ dataflow, runId: id, err: error }, 'run could not start');
    await store.createRun({ id, dataflow, trigger, startedAt: clock.now() });
    return store.finishRun(id, { status: 'failed', finishedAt: clock.now(), error });
  }
}
