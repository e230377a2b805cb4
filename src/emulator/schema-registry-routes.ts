import type { FastifyInstance } from 'fastify';
import type { ResolvedOptions } from './options';

/**
 * GET /data/foundation/schemaregistry/stats: where clients learn the org's tenant id, the
 * namespace key (`_{tenantId}`) of its custom XDM fields (aep-api.md §0, §10).
 */
export function registerSchemaRegistryRoutes(app: FastifyInstance, options: ResolvedOptions): void {
  app.get('/data/foundation/schemaregistry/stats', async () => {
    const schemas = [...options.datasets.values()].filter((d) => d.schema !== undefined).length;
    return {
      imsOrg: options.orgId,
      tenantId: options.tenantId,
      counts: { schemas, mixins: 0, datatypes: 0, classes: 0, unions: 0 },
      recentlyCreatedResources: [],
      recentlyUpdatedResources: [],
      classUsage: {},
    };
  });
}
