import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Store } from '../store/types';
import type { Access } from './access';
import { shellPage } from './pages';

/*
 * The dashboard: three pages (overview, a dataflow, a run) that share one HTML shell and the
 * scripts and styles of assets/, served as files (no inline script, so the CSP can forbid it).
 * The scripts read the JSON API and write every text from it as text, never as HTML.
 */

/** src/http/assets in the sources; the build copies it next to the compiled server. */
export const ASSETS_DIR = path.join(__dirname, 'assets');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function registerDashboard(app: FastifyInstance, opts: { store: Store; dataflowExists(name: string): boolean; access: Access }): void {
  // The files there when the server starts, and no others: a request never names a path.
  const assets = new Map(
    readdirSync(ASSETS_DIR)
      .filter((f) => /^[a-z0-9-]+\.(js|css|svg)$/.test(f))
      .map((f) => [f, TYPES[path.extname(f)]]),
  );

  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const type = assets.get(req.params.file);
    if (!type) return reply.code(404).send({ error: 'no such asset' });
    return reply.type(type).header('cache-control', 'no-cache').send(createReadStream(path.join(ASSETS_DIR, req.params.file)));
  });

  const page = (reply: FastifyReply, loggedIn: boolean, found = true) =>
    reply
      .code(found ? 200 : 404)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(shellPage({ loggedIn }));

  app.get('/', async (req, reply) => page(reply, opts.access.hasSession(req)));
  app.get<{ Params: { name: string } }>('/dataflows/:name', async (req, reply) => page(reply, opts.access.hasSession(req), opts.dataflowExists(req.params.name)));
  app.get<{ Params: { id: string } }>('/runs/:id', async (req, reply) => page(reply, opts.access.hasSession(req), (await opts.store.getRun(req.params.id)) !== undefined));
}
