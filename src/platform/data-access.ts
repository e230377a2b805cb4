import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { PlatformHttp } from './platform-http';
import type { BatchFile, DataSetFileEntry, RowErrorsOptions } from './types';

/*
 * Data Access API (reference/aep-api.md §5.2, DESIGN.md §7): what landed in a batch, and its
 * row-level error files. Lists answer `{ data: [...], _page }`, at most 100 entries a page.
 */

const EXPORT = '/data/foundation/export';
const MAX_PAGE = 100;
const DEFAULT_ROW_ERROR_LIMIT = 1000;

type Entry = Record<string, unknown>;

function dataOf(body: unknown): Entry[] {
  const data = (body as { data?: unknown } | undefined)?.data;
  return Array.isArray(data) ? data.filter((e): e is Entry => typeof e === 'object' && e !== null) : [];
}

function hrefOf(e: Entry): string | undefined {
  const href = (e._links as { self?: { href?: unknown } } | undefined)?.self?.href;
  return typeof href === 'string' ? href : undefined;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
/** Data Access gives created, updated and length as strings of digits (its API description's types); numbers are taken too. */
const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/**
 * An href from an answer as a path below our endpoint. It is followed on our endpoint's host
 * only, so the access token never goes to a host that was not configured.
 */
export function hrefTarget(href: string, endpoint: string): string {
  const base = new URL(endpoint);
  const url = new URL(href, base);
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = prefix && url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : url.pathname;
  return `${path}${url.search}`;
}

export async function batchFiles(http: PlatformHttp, batchId: string, signal?: AbortSignal): Promise<BatchFile[]> {
  const out: BatchFile[] = [];
  const seen = new Set<string>();
  for (let start = 0; ; start += MAX_PAGE) {
    const { body } = await http.json({
      method: 'GET',
      path: `${EXPORT}/batches/${encodeURIComponent(batchId)}/files`,
      query: { start, limit: MAX_PAGE },
      signal,
    });
    const page = dataOf(body);
    let fresh = 0;
    for (const e of page) {
      const id = str(e.dataSetFileId);
      if (id === undefined || seen.has(id)) continue;
      seen.add(id);
      fresh++;
      out.push({
        dataSetFileId: id,
        dataSetViewId: str(e.dataSetViewId),
        version: str(e.version),
        created: num(e.created),
        updated: num(e.updated),
        isValid: typeof e.isValid === 'boolean' ? e.isValid : undefined,
        href: hrefOf(e),
      });
    }
    // A short page, or one with nothing new (a server that ignores `start`), is the last.
    if (page.length < MAX_PAGE || fresh === 0) return out;
  }
}

export async function dataSetFileEntries(http: PlatformHttp, dataSetFileId: string, signal?: AbortSignal): Promise<DataSetFileEntry[]> {
  const { body } = await http.json({ method: 'GET', path: `${EXPORT}/files/${encodeURIComponent(dataSetFileId)}`, signal });
  return dataOf(body)
    .filter((e) => typeof e.name === 'string')
    .map((e) => ({ name: e.name as string, length: num(e.length), href: hrefOf(e) }));
}

export function downloadFile(http: PlatformHttp, dataSetFileId: string, name: string, signal?: AbortSignal): Promise<Readable> {
  return http.stream({ path: `${EXPORT}/files/${encodeURIComponent(dataSetFileId)}`, query: { path: name }, signal });
}

/**
 * Row-level errors of a batch (error diagnostics, §5.2): every record of every file under
 * `row_errors`, read line by line, up to `limit` records. A batch without diagnostics has none.
 */
export async function rowErrors(http: PlatformHttp, endpoint: string, batchId: string, opts: RowErrorsOptions = {}): Promise<unknown[]> {
  const limit = opts.limit ?? DEFAULT_ROW_ERROR_LIMIT;
  const metaPath = `${EXPORT}/batches/${encodeURIComponent(batchId)}/meta`;
  const listing = await http.json({ method: 'GET', path: metaPath, query: { path: 'row_errors' }, signal: opts.signal, allow: [404] });
  if (listing.status === 404) return [];
  const out: unknown[] = [];
  for (const file of dataOf(listing.body)) {
    if (out.length >= limit) break;
    const name = str(file.name);
    const href = hrefOf(file);
    if (href === undefined && name === undefined) continue;
    const stream =
      href !== undefined
        ? await http.stream({ path: hrefTarget(href, endpoint), signal: opts.signal })
        : await http.stream({ path: metaPath, query: { path: name?.startsWith('row_errors/') ? name : `row_errors/${name}` }, signal: opts.signal });
    await readJsonLines(stream, limit - out.length, out);
  }
  return out;
}

/** Appends up to `max` records of a JSON Lines stream to `out`; a line that is not JSON is kept as `{ _raw }`. */
export async function readJsonLines(stream: Readable, max: number, out: unknown[]): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let taken = 0;
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = { _raw: line.slice(0, 2000) };
      }
      for (const record of Array.isArray(parsed) ? parsed : [parsed]) {
        if (taken >= max) return;
        out.push(record);
        taken++;
      }
    }
  } finally {
    lines.close();
    if (!stream.readableEnded) stream.destroy();
  }
}
