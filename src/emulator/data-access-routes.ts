import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BatchRecord, StoredFile } from './batch-model';
import type { BatchStore } from './batch-store';
import { parseRangeRequest } from './byte-ranges';
import { datasetViewId } from './catalog-routes';
import { problem, PROBLEM_CODES } from './platform-errors';

/*
 * Data Access (aep-api.md §5.2, DESIGN.md §7): what landed in a batch, and its diagnostics.
 * Each uploaded file of a successful batch is one dataset file, id `{batchId}-{n}` as on
 * Platform; it holds one physical file of the same name: the upload, or the copy without the
 * rows processing dropped. Timestamps and lengths are strings here, as Data Access shows them.
 */

const BASE = '/data/foundation/export';
const PAGE_LIMIT = 100;

export function registerDataAccessRoutes(app: FastifyInstance, deps: { store: BatchStore }): void {
  const { store } = deps;
  const findBatch = (id: string): BatchRecord => {
    const batch = store.get(id);
    if (!batch) throw problem(404, PROBLEM_CODES.exportNotFound, 'Batch not found', `no batch with id ${id}`);
    return batch;
  };

  app.get<{ Params: { batchId: string }; Querystring: { start?: string; limit?: string } }>(`${BASE}/batches/:batchId/files`, async (request) => {
    const batch = findBatch(request.params.batchId);
    const start = Math.max(0, Number(request.query.start ?? 0) || 0);
    const limit = Math.min(PAGE_LIMIT, Math.max(1, Number(request.query.limit ?? PAGE_LIMIT) || PAGE_LIMIT));
    // Only a successful batch has data in the dataset.
    const files = batch.status === 'success' ? batch.files : [];
    const data = files.slice(start, start + limit).map((file, i) => {
      const id = `${batch.id}-${start + i + 1}`;
      return {
        dataSetFileId: id,
        dataSetViewId: datasetViewId(batch.datasetId),
        version: '1.0.0',
        created: String(file.created),
        updated: String(file.updated),
        isValid: true,
        _links: { self: { href: `${origin(request)}${BASE}/files/${id}` } },
      };
    });
    return { data, _page: { limit, count: data.length } };
  });

  app.get<{ Params: { fileId: string }; Querystring: { path?: string } }>(`${BASE}/files/:fileId`, async (request, reply) => {
    const { batch, file } = findDatasetFile(store, request.params.fileId);
    const diskPath = servedPath(store, batch, file);
    if (request.query.path === undefined) {
      const { size } = await stat(diskPath);
      const href = `${origin(request)}${BASE}/files/${request.params.fileId}?path=${encodeURIComponent(file.path)}`;
      return { data: [{ name: file.path, length: String(size), _links: { self: { href } } }], _page: { limit: PAGE_LIMIT, count: 1 } };
    }
    if (request.query.path !== file.path) {
      throw problem(404, PROBLEM_CODES.exportNotFound, 'File not found', `dataset file ${request.params.fileId} has no ${request.query.path}`);
    }
    return sendFile(request, reply, diskPath, 'application/octet-stream');
  });

  app.get<{ Params: { batchId: string }; Querystring: { path?: string } }>(`${BASE}/batches/:batchId/meta`, async (request, reply) => {
    const batch = findBatch(request.params.batchId);
    const rowErrorsDir = path.join(store.metaDir(batch.id), 'row_errors');
    const wanted = request.query.path ?? '';
    if (wanted === 'row_errors') {
      const names = (await readdir(rowErrorsDir).catch(() => [] as string[])).sort();
      const data = await Promise.all(
        names.map(async (name) => ({
          name,
          length: String((await stat(path.join(rowErrorsDir, name))).size),
          _links: { self: { href: `${origin(request)}${BASE}/batches/${batch.id}/meta?path=${encodeURIComponent(`row_errors/${name}`)}` } },
        })),
      );
      return { data, _page: { limit: PAGE_LIMIT, count: data.length } };
    }
    const match = /^row_errors\/([A-Za-z0-9_.-]+\.json)$/.exec(wanted);
    const file = match ? path.join(rowErrorsDir, match[1]) : undefined;
    if (!file || !(await stat(file).catch(() => undefined))) {
      throw problem(404, PROBLEM_CODES.exportNotFound, 'Not found', `batch ${batch.id} has no meta path ${JSON.stringify(wanted)}`);
    }
    return sendFile(request, reply, file, 'application/json');
  });
}

function findDatasetFile(store: BatchStore, fileId: string): { batch: BatchRecord; file: StoredFile } {
  const dash = fileId.lastIndexOf('-');
  const batch = dash > 0 ? store.get(fileId.slice(0, dash)) : undefined;
  const index = Number(fileId.slice(dash + 1));
  const file = batch?.status === 'success' && Number.isInteger(index) && index >= 1 ? batch.files[index - 1] : undefined;
  if (!batch || !file) throw problem(404, PROBLEM_CODES.exportNotFound, 'Dataset file not found', `no dataset file with id ${fileId}`);
  return { batch, file };
}

function servedPath(store: BatchStore, batch: BatchRecord, file: StoredFile): string {
  return file.landed?.filtered ? store.landedFile(batch.id, file.path) : store.uploadedFile(batch.id, file.path);
}

/** Streams a file, honouring one `Range: bytes=…` with 206 (or 416 when out of bounds). */
async function sendFile(request: FastifyRequest, reply: FastifyReply, file: string, contentType: string): Promise<FastifyReply> {
  const { size } = await stat(file);
  const range = parseRangeRequest(request.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    const err = problem(416, PROBLEM_CODES.rangeNotSatisfiable, 'Range Not Satisfiable', `the file has ${size} bytes`);
    err.headers['content-range'] = `bytes */${size}`;
    throw err;
  }
  reply.header('accept-ranges', 'bytes').type(contentType);
  if (range.kind === 'whole') {
    reply.header('content-length', size);
    return reply.code(200).send(createReadStream(file));
  }
  reply.header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
  return reply.code(206).send(createReadStream(file, { start: range.start, end: range.end }));
}

/** Links point back at the host the client used, as Platform's point at platform.adobe.io. */
function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}`;
}
