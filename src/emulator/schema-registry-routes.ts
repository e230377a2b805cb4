import type { FastifyInstance } from 'fastify';
import { schemaIdOf, type EmulatorDataset, type ResolvedOptions } from './options';
import { problem, PROBLEM_CODES } from './platform-errors';

/*
 * The Schema Registry calls dataflowd makes (aep-api.md §10): GET /stats, where clients learn
 * the org's tenant id (the `_{tenantId}` namespace of custom XDM fields), and GET
 * /{container}/schemas/{id}, the schema of a dataset, by the id its Catalog schemaRef names (or
 * its meta:altId). The emulator's schemas are plain JSON Schema, already resolved: every full
 * form (`xed-full…`) and the basic one are the same document, with XDM's meta fields.
 */

const BASE = '/data/foundation/schemaregistry';

/** What the Accept header may ask for on a lookup (the API description's `accept` parameter). */
const XED_LOOKUP = /^application\/vnd\.adobe\.xed(-full)?(-notext|-desc)?\+json(\s*;\s*version=\d+(\.\d+)?)?$/i;

export function registerSchemaRegistryRoutes(app: FastifyInstance, options: ResolvedOptions): void {
  app.get(`${BASE}/stats`, async () => {
    const schemas = [...options.datasets.values()].filter((d) => d.schema !== undefined).length;
    return {
      imsOrg: options.orgId,
      tenantId: options.tenantId,
      counts: { schemas, mixins: 0, datatypes: 0, classes: 0, unions: 0 },
      recentlyCreatedResources: [],
      recentlyUpdatedResources: [],
      classUsage: [],
    };
  });

  app.get<{ Params: { container: string; schemaId: string } }>(`${BASE}/:container/schemas/:schemaId`, async (request, reply) => {
    const accept = String(request.headers.accept ?? '');
    if (!XED_LOOKUP.test(accept.trim())) {
      throw problem(406, PROBLEM_CODES.notAcceptable, 'Not Acceptable', `a schema lookup takes Accept: application/vnd.adobe.xed-full+json; version=1 (or another xed form), not ${accept || 'nothing'}`);
    }
    const wanted = request.params.schemaId;
    const dataset = [...options.datasets.values()].find((d) => d.schema !== undefined && (schemaIdOf(d, options) === wanted || altIdOf(d, options) === wanted));
    if (request.params.container !== 'tenant' || !dataset) {
      throw problem(404, PROBLEM_CODES.schemaNotFound, 'Schema not found', `no schema ${wanted} in the ${request.params.container} container`);
    }
    return reply.type('application/vnd.adobe.xed-full+json; version=1').send(xdmView(dataset, options));
  });
}

function altIdOf(dataset: EmulatorDataset, options: ResolvedOptions): string {
  return `_${options.tenantId}.schemas.${dataset.id}`;
}

/** The dataset's JSON Schema as the registry answers it: its own keywords, with XDM's meta fields. */
function xdmView(dataset: EmulatorDataset, options: ResolvedOptions): Record<string, unknown> {
  const schema = dataset.schema as Record<string, unknown>;
  return {
    ...schema,
    $id: schemaIdOf(dataset, options),
    'meta:altId': altIdOf(dataset, options),
    'meta:resourceType': 'schemas',
    version: '1.0',
    title: typeof schema.title === 'string' ? schema.title : dataset.name,
    type: schema.type ?? 'object',
    'meta:tenantNamespace': `_${options.tenantId}`,
  };
}
