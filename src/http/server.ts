import Fastify from 'fastify';
import { systemClock } from '../lib/clock';
import { guardAccess } from './access';
import { registerApi } from './api-routes';
import { registerDashboard } from './dashboard';
import type { HttpDeps } from './http-deps';
import { SECURITY_HEADERS } from './pages';

export type { HttpDeps, LeaseHolder, RunProgress, TriggerResult } from './http-deps';

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

/** DESIGN.md §8: health, readiness, metrics, the status API and the dashboard. */
export async function startHttp(deps: HttpDeps): Promise<HttpServer> {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const http = deps.config().daemon.http;
  // A browser keeps connections open (and opens some ahead of use): without this, closing would
  // wait for them to time out, and a daemon with its dashboard open would stop a minute late.
  const app = Fastify({ logger: false, forceCloseConnections: true });

  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  const access = guardAccess(app, http, clock);

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
  registerApi(app, deps, clock);
  registerDashboard(app, { store, access, dataflowExists: (name) => deps.config().dataflows.some((d) => d.name === name) });

  await app.listen({ host: http.host, port: http.port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : http.port;
  const url = `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${bound}`;
  deps.logger.info({ url }, 'http listening');
  return { url, close: () => app.close() };
}
