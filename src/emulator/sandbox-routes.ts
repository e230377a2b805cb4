import type { FastifyInstance } from 'fastify';
import type { ResolvedOptions } from './options';

/**
 * GET /data/foundation/sandbox-management/: the sandboxes the caller may use. Platform answers
 * it to any credential, without Sandbox Administration permissions, so a client can confirm its
 * `x-sandbox-name` before working in it. The first sandbox is the org's production one.
 */
export function registerSandboxRoutes(app: FastifyInstance, options: ResolvedOptions): void {
  app.get('/data/foundation/sandbox-management/', async () => {
    const sandboxes = options.sandboxes.map((name, i) => ({
      name,
      title: name === 'prod' ? 'Production' : name,
      state: 'active',
      type: i === 0 ? 'production' : 'development',
      region: 'VA7',
      isDefault: i === 0,
    }));
    return { sandboxes, _page: { limit: 200, count: sandboxes.length }, _links: {} };
  });
}
