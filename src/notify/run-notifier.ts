import { randomUUID } from 'node:crypto';
import type { LoadedConfig } from '../config';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { NewNotification, RunRecord, Store } from '../store/types';
import { failedInARow, runEvents } from './events';
import { runLink } from './links';
import { flowRunPayload, NotificationFacts } from './payload';
import { slackBody } from './slack';
import { webhooksOf } from './webhooks';

/** Earlier runs read to count failures in a row: skipped runs (every tick with nothing new) sit between them. */
const HISTORY_LOOKBACK = 200;

/**
 * Turns a run's end into outbox rows, one per webhook and event it subscribes to. `prepare` reads
 * what the rows need beside the final run record (earlier runs, the run's batches) before the
 * closing transaction, under the dataflow's lease; the builder it answers runs inside it.
 */
export class RunNotifier {
  constructor(
    private readonly config: LoadedConfig,
    private readonly store: Pick<Store, 'listRuns' | 'batchesOfRun'>,
    private readonly newId: () => string = randomUUID,
  ) {}

  /**
   * Never throws: a notification that cannot be built is logged, and must not keep the run from
   * being recorded.
   */
  async prepare(dataflow: string, runId: string, logger: Logger): Promise<((run: RunRecord) => NewNotification[]) | undefined> {
    let build: ((run: RunRecord) => NewNotification[]) | undefined;
    try {
      build = await this.builder(dataflow, runId);
    } catch (err) {
      logger.error({ dataflow, runId, err: errorMessage(err) }, 'the run’s notifications could not be prepared; none is sent');
      return undefined;
    }
    if (!build) return undefined;
    const built = build;
    return (run) => {
      try {
        return built(run);
      } catch (err) {
        logger.error({ dataflow, runId, err: errorMessage(err) }, 'the run’s notifications could not be built; none is sent');
        return [];
      }
    };
  }

  private async builder(dataflow: string, runId: string): Promise<((run: RunRecord) => NewNotification[]) | undefined> {
    const webhooks = webhooksOf(this.config, dataflow);
    if (webhooks.length === 0) return undefined;
    const df = this.config.dataflows.find((d) => d.name === dataflow);
    const afterFailedRuns = df?.ingestion.stoppedIngesting.afterFailedRuns ?? 3;
    const earlier = (await this.store.listRuns({ dataflow, limit: HISTORY_LOOKBACK })).filter((r) => r.id !== runId && r.status !== 'running');
    const failedBefore = failedInARow(earlier);
    const batches = await this.store.batchesOfRun(runId);
    const platform = this.config.daemon.platform;
    const sandbox = platform.mode === 'aep' ? platform.sandbox : 'prod';
    const link = runLink(this.config, runId);
    return (run) =>
      runEvents(run, failedBefore, afterFailedRuns).flatMap((event) =>
        webhooks
          .filter((w) => w.events.includes(event))
          .map((w) => {
            const id = this.newId();
            const facts: NotificationFacts = {
              id,
              event,
              run,
              batches,
              sandbox,
              link,
              failedInARow: event === 'dataflow.stopped_ingesting' ? failedBefore + 1 : undefined,
            };
            const body = w.format === 'slack' ? slackBody(facts) : flowRunPayload(facts);
            return { id, dataflow, runId: run.id, event, webhook: w.key, endpoint: w.endpoint, body: JSON.stringify(body) };
          }),
      );
  }
}
