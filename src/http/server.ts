import { timingSafeEqual } from 'node:crypto';
import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import { runJson } from '../store/run-json';
import type { LoadedConfig } from '../config';
import type { Logger } from '../lib/logger';
import type { Store } from '../store/types';
import { DASHBOARD_HTML } from './dashboard';
import type { DaemonMetrics } from './metrics';

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

export interface HttpDeps {
  store: Store;
  /** The config in force (it changes on reload). */
  config(): LoadedConfig;
  logger: Logger;
  /** Starts a run now, or says why not; undefined when no such dataflow. */
  trigger(name: string): Promise<{ started: true } | { started: false; reason: string } | undefined>;
  nextRun(name: string): Date | undefined;
  metrics: DaemonMetrics;
}

/** DESIGN.md §8: health, readiness, metrics, the status API and the dashboard. */
export async function startHttp(deps: HttpDeps): Promise<HttpServer> {
  const { store } = deps;
  const { host, port, token } = deps.config().daemon.http;
  const app = Fastify({ logger: false });

  // Beyond loopback the config requires a token (validated); with one set, everything but the
  // health probes needs it.
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!token || req.url === '/healthz' || req.url === '/readyz') return;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a valid bearer token is required' });
    }
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await store.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'store unreachable' });
    }
  });
  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await deps.metrics.render();
    return reply.type(contentType).send(body);
  });
  app.get('/api/dataflows', async () => {
    const out = [];
    const now = Date.now();
    const held = new Map((await store.listLeases()).filter((l) => l.releasedAt === null && l.expiresAt.getTime() > now).map((l) => [l.dataflow, l]));
    for (const df of deps.config().dataflows) {
      const [last] = await store.listRuns({ dataflow: df.name, limit: 1 });
      const lease = held.get(df.name);
      out.push({
        name: df.name,
        description: df.description ?? null,
        enabled: df.enabled,
        connection: df.source.connection,
        dataset: df.target.dataset,
        schedule: df.schedule,
        nextRun: deps.nextRun(df.name)?.toISOString() ?? null,
        lastRun: last ? runJson(last) : null,
        holder: lease ? { host: lease.host, pid: lease.pid, processId: lease.processId, since: lease.acquiredAt.toISOString() } : null,
      });
    }
    return out;
  });
  app.get<{ Params: { name: string }; Querystring: { limit?: string } }>('/api/dataflows/:name/runs', async (req, reply) => {
    if (!deps.config().dataflows.some((d) => d.name === req.params.name)) return reply.code(404).send({ error: 'no such dataflow' });
    const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 20) || 20));
    return (await store.listRuns({ dataflow: req.params.name, limit })).map(runJson);
  });
  app.post<{ Params: { name: string } }>('/api/dataflows/:name/runs', async (req, reply) => {
    const answer = await deps.trigger(req.params.name);
    if (!answer) return reply.code(404).send({ error: 'no such dataflow' });
    return answer.started ? reply.code(202).send({ accepted: true }) : reply.code(409).send({ accepted: false, reason: answer.reason });
  });
  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req, reply) => {
    const run = await store.getRun(req.params.id);
    if (!run) return reply.code(404).send({ error: 'no such run' });
    const [files, batches] = await Promise.all([store.filesOfRun(run.id), store.batchesOfRun(run.id)]);
    return { ...runJson(run), files, batches };
  });
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(DASHBOARD_HTML));

  await app.listen({ host, port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  deps.logger.info({ url }, 'http listening');
  return { url, close: () => app.close() };
}
