import { dataflowError } from '../lib/errors';
import { badResponse, type PlatformHttp } from './platform-http';
import type { Dataset } from './types';

/*
 * Schema Registry (aep-api.md §10): the XDM schema of a dataset, in its full, resolved form
 * (`application/vnd.adobe.xed-full+json`: every field inherited from classes and field groups
 * inline), which is a JSON Schema that the prep step validates, maps and converts with.
 */

const REGISTRY = '/data/foundation/schemaregistry';
const FULL = 'application/vnd.adobe.xed-full+json; version=1';

/** The id of the dataset's schema, from its Catalog `schemaRef`. */
export function schemaIdOf(dataset: Dataset): string | undefined {
  const ref = dataset.schemaRef as { id?: unknown } | undefined;
  return typeof ref?.id === 'string' && ref.id !== '' ? ref.id : undefined;
}

/**
 * The dataset's schema, resolved; undefined when Catalog names none for it (a dataset always has
 * one on Platform; the emulator's free-form datasets do not), an error when the registry lacks it.
 */
export async function datasetSchema(http: PlatformHttp, dataset: Dataset, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
  const id = schemaIdOf(dataset);
  if (id === undefined) return undefined;
  const path = `${REGISTRY}/tenant/schemas/${encodeURIComponent(id)}`;
  const { status, body } = await http.json({ method: 'GET', path, headers: { accept: FULL }, signal, allow: [404] });
  if (status === 404) {
    throw dataflowError('ERR_PLATFORM_NO_SCHEMA', 'config', `the Schema Registry has no schema ${id} (of dataset ${dataset.id})`, { context: { datasetId: dataset.id, schemaId: id } });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badResponse('GET', path, status, 'no schema in its body');
  return withoutXdmMeta(body as Record<string, unknown>);
}

/**
 * The schema without XDM's `meta:*` annotations, which say nothing of what a record may hold,
 * and without `$id`, so that schemas of several datasets never clash in one validator.
 */
export function withoutXdmMeta(value: Record<string, unknown>): Record<string, unknown> {
  const strip = (v: unknown, top: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => strip(x, false));
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(v)) {
      if (key.startsWith('meta:') || (top && key === '$id')) continue;
      // Property names are data, not keywords: `properties` keeps every key.
      out[key] = key === 'properties' && typeof child === 'object' && child !== null ? Object.fromEntries(Object.entries(child).map(([k, c]) => [k, strip(c, false)])) : strip(child, false);
    }
    return out;
  };
  return strip(value, true) as Record<string, unknown>;
}
