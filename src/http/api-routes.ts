import type { FastifyInstance } from 'fastify';
import type { DataflowConfig } from '../config';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import { runJson } from '../store/run-json';
import type { RunRecord } from '../store/types';
import type { HttpDeps } from './http-deps';
import { IngestionIndex, INGESTION_SCAN, ProgressJson, runDetail, runningProgress } from './run-views';

/*
 * The status API (DESIGN.md §8) that the dashboard reads, JSON only. Dates are ISO text. A
 * dataflow's summary says both its last run (maybe a check that found nothing new) and its last
 * ingestion; its config is shown without anything secret (connection details stay out).
 */

const FILE_LIMIT = 1000;
const ROW_ERROR_LIMIT = 200;

const clampLimit = (raw: string | undefined, fallback: number, max: number) => Math.min(max, Math.max(1, Math.floor(Number(raw ?? fallback)) || fallback));

export function registerApi(app: FastifyInstance, deps: HttpDeps, clock: Clock): void {
  const { store } = deps;
  const ingestions = new IngestionIndex(store);
  const dataflow = (name: string) => deps.config().dataflows.find((d) => d.name === name);
  const live = () => deps.progress?.() ?? [];

  async function summary(df: DataflowConfig, running: readonly ProgressJson[]) {
    const [newest] = await store.listRuns({ dataflow: df.name, limit: 1 });
    const mine = running.filter((p) => p.dataflow === df.name);
    const facts = await ingestions.facts(df.name, newest, mine.map((p) => p.runId));
    const holder = deps.holder ? await deps.holder(df.name) : undefined;
    return {
      name: df.name,
      description: df.description ?? null,
      enabled: df.enabled,
      connection: df.source.connection,
      dataset: df.target.dataset,
      schedule: df.schedule,
      nextRun: deps.nextRun(df.name)?.toISOString() ?? null,
      lastRun: newest ? runJson(newest) : null,
      lastIngestion: facts.lastIngestion ? runJson(facts.lastIngestion) : null,
      lastCheck: facts.lastCheck ? { runId: facts.lastCheck.id, at: facts.lastCheck.startedAt.toISOString(), result: facts.lastCheck.error } : null,
      skippedSinceIngestion: facts.skippedSince,
      running: mine,
      /** False when the daemon does not tell who holds its dataflows (holder is then null). */
      holderKnown: deps.holder !== undefined,
      holder: holder ? { ...holder, since: holder.since.toISOString() } : null,
    };
  }

  app.get('/api/dataflows', async () => {
    const running = await runningProgress(store, live(), clock.now());
    const out = [];
    for (const df of deps.config().dataflows) out.push(await summary(df, running));
    return out;
  });

  app.get<{ Params: { name: string } }>('/api/dataflows/:name', async (req, reply) => {
    const df = dataflow(req.params.name);
    if (!df) return reply.code(404).send({ error: 'no such dataflow' });
    const config = deps.config();
    const connection = Object.hasOwn(config.connections, df.source.connection) ? config.connections[df.source.connection] : undefined;
    return {
      ...(await summary(df, await runningProgress(store, live(), clock.now(), df.name))),
      source: {
        connection: df.source.connection,
        connectionType: connection?.type ?? null,
        path: df.source.path,
        include: df.source.include,
        exclude: df.source.exclude,
        recursive: df.source.recursive,
        minFileAgeMs: df.source.minFileAge,
        changedFiles: df.source.changedFiles,
        afterIngest: df.source.afterIngest,
        moveTo: df.source.moveTo ?? null,
      },
      format: df.format.type,
      errorDiagnostics: df.ingestion.errorDiagnostics,
      maxErrorPercent: df.ingestion.partialIngestion?.maxErrorPercent ?? null,
    };
  });

  app.get<{ Params: { name: string }; Querystring: { limit?: string; skipped?: string } }>('/api/dataflows/:name/runs', async (req, reply) => {
    if (!dataflow(req.params.name)) return reply.code(404).send({ error: 'no such dataflow' });
    const limit = clampLimit(req.query.limit, 20, 500);
    if (req.query.skipped !== 'false') return (await store.listRuns({ dataflow: req.params.name, limit })).map(runJson);
    // Checks that found nothing new are left out: the newest `limit` others among the last INGESTION_SCAN runs.
    const runs = await store.listRuns({ dataflow: req.params.name, limit: INGESTION_SCAN });
    return runs
      .filter((r: RunRecord) => r.status !== 'skipped')
      .slice(0, limit)
      .map(runJson);
  });

  app.post<{ Params: { name: string } }>('/api/dataflows/:name/runs', async (req, reply) => {
    const name = req.params.name;
    if (!dataflow(name)) return reply.code(404).send({ started: false, reason: `there is no dataflow named "${name}"` });
    const requestedAt = clock.now().toISOString();
    let result;
    try {
      result = await deps.trigger(name);
    } catch (err) {
      deps.logger.error({ dataflow: name, err: errorMessage(err) }, 'run now failed');
      return reply.code(500).send({ started: false, reason: `the run could not be started: ${errorMessage(err)}`, requestedAt });
    }
    if (result.started) return reply.code(202).send({ started: true, runId: result.runId ?? null, requestedAt });
    // The run in the way, when the daemon did not say: the one the store shows in flight.
    const blocking = result.runId ?? (await store.runningRuns(name))[0]?.id ?? null;
    return reply.code(409).send({ started: false, reason: result.reason, runId: blocking, requestedAt });
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req, reply) => {
    const run = await store.getRun(req.params.id);
    if (!run) return reply.code(404).send({ error: 'no such run' });
    const detail = await runDetail(store, run, { fileLimit: FILE_LIMIT, rowErrorLimit: ROW_ERROR_LIMIT });
    const progress = run.status === 'running' ? (await runningProgress(store, live(), clock.now(), run.dataflow)).find((p) => p.runId === run.id) : undefined;
    return { ...detail, progress: progress ?? null };
  });

  app.get('/api/progress', async () => runningProgress(store, live(), clock.now()));
}
