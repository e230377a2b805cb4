import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { toCatalogBatch, type BatchRecord } from './batch-model';
import type { BatchStore } from './batch-store';
import type { StatusScripts } from './status-script';
import { schemaIdOf, type EmulatorDataset, type ResolvedOptions } from './options';
import { problem, PROBLEM_CODES } from './platform-errors';

/*
 * Catalog (aep-api.md §3): batches and datasets, each answer an object keyed by id. Lists page
 * with `limit` (default 20, at most 100) and `start` (an offset), like Catalog.
 */

const BASE = '/data/foundation/catalog';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

type Query = Record<string, string | undefined>;

export function registerCatalogRoutes(app: FastifyInstance, deps: { options: ResolvedOptions; store: BatchStore; scripts: StatusScripts; startedAt: number }): void {
  const { options, store, scripts } = deps;

  app.get<{ Params: { batchId: string } }>(`${BASE}/batches/:batchId`, async (request) => {
    const batch = store.get(request.params.batchId);
    if (!batch) throw problem(404, PROBLEM_CODES.catalogNotFound, 'Batch not found', `no batch with id ${request.params.batchId}`);
    // A scripted batch shows one step of its script per read (status-script.ts).
    await scripts.beforeRead(batch);
    const view = toCatalogBatch(batch);
    await scripts.afterRead(batch);
    return { [batch.id]: view };
  });

  app.get<{ Querystring: Query }>(`${BASE}/batches`, async (request) => {
    const q = request.query;
    const { limit, start } = paging(q);
    const statuses = q.status?.split(',').map((s) => s.trim().toLowerCase());
    const createdAfter = optionalNumber(q, 'createdAfter');
    const createdBefore = optionalNumber(q, 'createdBefore');
    const matches = store.all().filter(
      (b) =>
        (q.dataSet === undefined || b.datasetId === q.dataSet) &&
        (q.externalId === undefined || b.externalId === q.externalId) &&
        (q.batch === undefined || b.id === q.batch) &&
        (statuses === undefined || statuses.includes(b.status)) &&
        (createdAfter === undefined || b.created > createdAfter) &&
        (createdBefore === undefined || b.created < createdBefore),
    );
    return keyed(sortBatches(matches, q.orderBy).slice(start, start + limit), (b) => b.id, toCatalogBatch);
  });

  const describeDataset = (d: EmulatorDataset) => datasetObject(d, options, deps.startedAt);

  app.get<{ Querystring: Query }>(`${BASE}/dataSets`, async (request) => {
    const { limit, start } = paging(request.query);
    const name = request.query.name;
    const matches = [...options.datasets.values()].filter((d) => name === undefined || d.name === name);
    return keyed(matches.slice(start, start + limit), (d) => d.id, describeDataset);
  });

  app.get<{ Params: { datasetId: string } }>(`${BASE}/dataSets/:datasetId`, async (request) => {
    const dataset = options.datasets.get(request.params.datasetId);
    if (!dataset) throw problem(404, PROBLEM_CODES.catalogNotFound, 'Dataset not found', `no dataset with id ${request.params.datasetId}`);
    return { [dataset.id]: describeDataset(dataset) };
  });
}

/** The id Data Access reports as dataSetViewId: stable for a dataset, in Catalog's 24-hex look. */
export function datasetViewId(datasetId: string): string {
  return createHash('sha1').update(datasetId).digest('hex').slice(0, 24);
}

function datasetObject(dataset: EmulatorDataset, options: ResolvedOptions, startedAt: number): Record<string, unknown> {
  return {
    name: dataset.name,
    imsOrg: options.orgId,
    created: startedAt,
    updated: startedAt,
    version: '1.0.0',
    viewId: datasetViewId(dataset.id),
    tags: {},
    // A dataset configured without a schema (free-form, the emulator's own) names none.
    ...(dataset.schema === undefined ? {} : { schemaRef: { id: schemaIdOf(dataset, options), contentType: 'application/vnd.adobe.xed+json;version=1' } }),
  };
}

function paging(q: Query): { limit: number; start: number } {
  const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw problem(400, PROBLEM_CODES.catalogBadQuery, 'Invalid limit', `limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const start = q.start === undefined ? 0 : Number(q.start);
  if (!Number.isInteger(start) || start < 0) throw problem(400, PROBLEM_CODES.catalogBadQuery, 'Invalid start', 'start must be a non-negative integer');
  return { limit, start };
}

function optionalNumber(q: Query, name: string): number | undefined {
  if (q[name] === undefined) return undefined;
  const value = Number(q[name]);
  if (!Number.isFinite(value)) throw problem(400, PROBLEM_CODES.catalogBadQuery, `Invalid ${name}`, `${name} must be Unix milliseconds`);
  return value;
}

const SORTABLE = new Set(['created', 'updated', 'completed']);

/** orderBy is `field`, `asc:field` or `desc:field`; the default is oldest first. */
function sortBatches(batches: BatchRecord[], orderBy: string | undefined): BatchRecord[] {
  if (orderBy === undefined) return batches;
  const [direction, field] = orderBy.includes(':') ? orderBy.split(':', 2) : ['asc', orderBy];
  if (!SORTABLE.has(field) || (direction !== 'asc' && direction !== 'desc')) {
    throw problem(400, PROBLEM_CODES.catalogBadQuery, 'Invalid orderBy', `orderBy must be [asc:|desc:]${[...SORTABLE].join('|')}`);
  }
  const sign = direction === 'asc' ? 1 : -1;
  const key = field as 'created' | 'updated' | 'completed';
  return [...batches].sort((a, b) => sign * ((a[key] ?? 0) - (b[key] ?? 0)) || sign * a.id.localeCompare(b.id));
}

function keyed<T>(items: T[], id: (item: T) => string, view: (item: T) => unknown): Record<string, unknown> {
  return Object.fromEntries(items.map((item) => [id(item), view(item)]));
}
