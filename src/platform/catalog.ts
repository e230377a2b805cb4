import { toBatch, toBatchList, unwrapBatchObject } from './batch-status';
import { badResponse, Call, JsonAnswer, PlatformHttp } from './platform-http';
import type { Batch, Dataset, ListBatchesQuery } from './types';

/*
 * Catalog API (reference/aep-api.md §3): batch status and datasets. Catalog answers objects
 * keyed by id, for one object as for many.
 */

const CATALOG = '/data/foundation/catalog';
const MAX_PAGE = 100; // Catalog's largest page (§3.5)

export async function getBatch(http: PlatformHttp, batchId: string, signal?: AbortSignal): Promise<Batch> {
  const path = `${CATALOG}/batches/${encodeURIComponent(batchId)}`;
  const { status, body } = await http.json({ method: 'GET', path, signal });
  const obj = unwrapBatchObject(body, batchId);
  if (!obj) throw badResponse('GET', path, status, `no batch ${batchId} in its body`);
  return toBatch(obj, batchId);
}

/** One page of batches; `retried: false` for callers already inside a retry step. */
export async function listBatches(http: PlatformHttp, q: ListBatchesQuery, signal?: AbortSignal, retried = true): Promise<Batch[]> {
  const call: Call = {
    method: 'GET',
    path: `${CATALOG}/batches`,
    query: { dataSet: q.dataSet, externalId: q.externalId, status: q.status, createdAfter: q.createdAfter, orderBy: q.orderBy, limit: q.limit, start: q.start },
    signal,
  };
  const { body } = retried ? await http.json(call) : await http.jsonOnce(call);
  return toBatchList(body);
}

/** Batches of the dataset looked at for a successor before giving up. */
const MAX_SUCCESSOR_SCAN = 1000;

/**
 * The batch that replaced an inactive one, if any: Catalog's own fields say it, a later batch of
 * the same dataset whose `replay.predecessors` name it (aep-api.md §2.5); aepp also follows a
 * `tags.acp_successor` when Platform sets one (§3.1), so that is taken first when present.
 */
export async function findSuccessor(http: PlatformHttp, batch: Batch, signal?: AbortSignal): Promise<Batch | undefined> {
  const raw = (batch.raw ?? {}) as { tags?: { acp_successor?: unknown } };
  const tagged = Array.isArray(raw.tags?.acp_successor) ? raw.tags.acp_successor.find((s): s is string => typeof s === 'string') : undefined;
  if (tagged !== undefined) return getBatch(http, tagged, signal);
  if (batch.datasetId === undefined) return undefined;
  for (let start = 0; start < MAX_SUCCESSOR_SCAN; start += MAX_PAGE) {
    const page = await listBatches(http, { dataSet: batch.datasetId, createdAfter: batch.created, orderBy: 'asc:created', limit: MAX_PAGE, start }, signal);
    const successor = page.find((b) => b.replaces?.includes(batch.id));
    if (successor) return successor;
    if (page.length < MAX_PAGE) return undefined;
  }
  return undefined;
}

export async function getDataset(http: PlatformHttp, id: string, signal?: AbortSignal): Promise<Dataset | undefined> {
  const { status, body } = await http.json({
    method: 'GET',
    path: `${CATALOG}/dataSets/${encodeURIComponent(id)}`,
    query: { properties: 'name,schemaRef' },
    signal,
    // Catalog answers 400 for some strings that cannot be ids (a name, say), 404 for others.
    allow: [400, 404],
  });
  if (status === 400 || status === 404) return undefined;
  return toDatasets(body).find((d) => d.id === id);
}

/**
 * The dataset with exactly this name. Catalog filters on simple properties (`?name=`), but the
 * match is checked here too, and pages are walked in case the filter was not applied.
 */
export async function findDatasetByName(http: PlatformHttp, name: string, signal?: AbortSignal): Promise<Dataset | undefined> {
  const seen = new Set<string>();
  for (let start = 0; ; start += MAX_PAGE) {
    const answer: JsonAnswer = await http.json({
      method: 'GET',
      path: `${CATALOG}/dataSets`,
      query: { name, properties: 'name,schemaRef', limit: MAX_PAGE, start },
      signal,
    });
    const page = toDatasets(answer.body);
    const match = page.find((d) => d.name === name);
    if (match) return match;
    const fresh = page.filter((d) => !seen.has(d.id));
    // A short page, or one with nothing new (a server that ignores `start`), is the last.
    if (page.length < MAX_PAGE || fresh.length === 0) return undefined;
    for (const d of fresh) seen.add(d.id);
  }
}

/** `{ [datasetId]: { name, schemaRef, … } }` as datasets. */
export function toDatasets(body: unknown): Dataset[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const out: Dataset[] = [];
  for (const [id, value] of Object.entries(body as Record<string, unknown>)) {
    if (id.startsWith('_') || typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    const ds: Dataset = { id: typeof v.id === 'string' ? v.id : id, name: typeof v.name === 'string' ? v.name : '' };
    if (v.schemaRef !== undefined) ds.schemaRef = v.schemaRef;
    out.push(ds);
  }
  return out;
}
