import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BatchRecord, StoredFile } from './batch-model';
import type { BatchStore } from './batch-store';
import { checkCoverage, formatRanges, mergeRanges, parseContentRange, type ByteRange } from './byte-ranges';
import { bodyStream, discardBody, mediaTypeOf } from './http-body';
import type { ResolvedOptions } from './options';
import { problem, PROBLEM_CODES } from './platform-errors';
import { limitErrors } from './platform-limits';
import { checkFilePath } from './safe-path';

/*
 * File uploads into a batch (aep-api.md §2.2, §2.3): the small-file PUT, and the large-file
 * INITIALIZE / PATCH chunks / HEAD / COMPLETE. Bytes are streamed to disk, never buffered: a PUT
 * goes to a temporary file renamed into place when whole, a chunk straight to its offset.
 * The disk writes get a deep buffer: with the default 16 KiB, every socket read waited for the
 * previous write to finish and the emulator took bytes at half the speed the disk allows.
 */
const SINK_BUFFER_BYTES = 4 * 1024 * 1024;

const FILE_ROUTE = '/data/foundation/import/batches/:batchId/datasets/:datasetId/files/*';

type FileRequest = FastifyRequest<{ Params: { batchId: string; datasetId: string; '*': string }; Querystring: { action?: string } }>;

interface Target {
  batch: BatchRecord;
  filePath: string;
  diskPath: string;
  existing?: StoredFile;
}

export function registerFileUploadRoutes(app: FastifyInstance, deps: { options: ResolvedOptions; store: BatchStore }): void {
  const { options, store } = deps;
  const now = () => options.clock.now().getTime();

  const target = (request: FileRequest): Target => {
    const batch = store.get(request.params.batchId);
    if (!batch) throw problem(404, PROBLEM_CODES.batchNotFound, 'Batch not found', `no batch with id ${request.params.batchId}`);
    if (batch.datasetId !== request.params.datasetId) {
      throw problem(400, PROBLEM_CODES.datasetMismatch, 'Dataset mismatch', `batch ${batch.id} belongs to dataset ${batch.datasetId}`);
    }
    const filePath = checkFilePath(request.params['*']);
    return { batch, filePath, diskPath: store.uploadedFile(batch.id, filePath), existing: batch.files.find((f) => f.path === filePath) };
  };

  const upsert = (batch: BatchRecord, file: StoredFile): void => {
    const index = batch.files.findIndex((f) => f.path === file.path);
    if (index >= 0) batch.files[index] = file;
    else batch.files.push(file);
    batch.updated = file.updated;
  };

  /** A new file must fit the batch's file count, and every file its byte budget. */
  const assertFits = (t: Target, bytes: number): void => {
    const { limits } = options;
    if (!t.existing && t.batch.files.length >= limits.maxFilesPerBatch) throw limitErrors.tooManyFiles(t.batch.id, limits);
    const others = t.batch.files.reduce((sum, f) => (f.path === t.filePath ? sum : sum + (f.declaredSize ?? f.sizeInBytes)), 0);
    if (others + bytes > limits.maxBatchBytes) throw limitErrors.batchTooLarge(t.batch.id, others + bytes, limits);
  };

  app.put(FILE_ROUTE, async (request: FileRequest, reply) => {
    const t = target(request);
    assertLoading(t.batch);
    assertOctetStream(request);
    const length = request.headers['content-length'];
    if (length === undefined) throw limitErrors.lengthRequired();
    if (Number(length) > options.limits.largeFileBytes) throw limitErrors.tooLargeForPut(Number(length), options.limits);
    assertFits(t, Number(length));
    const tmp = store.tmpFile(t.batch.id);
    const sink = createWriteStream(tmp, { highWaterMark: SINK_BUFFER_BYTES });
    try {
      await pipeline(bodyStream(request), sink);
      // The batch may have been completed or aborted while the bytes were arriving.
      assertLoading(t.batch);
      await moveInto(tmp, t);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const at = now();
    const replaced = t.batch.files.find((f) => f.path === t.filePath);
    upsert(t.batch, { path: t.filePath, sizeInBytes: sink.bytesWritten, created: replaced?.created ?? at, updated: at, state: 'complete' });
    await store.save(t.batch);
    return reply.code(replaced ? 200 : 201).send();
  });

  app.post(FILE_ROUTE, async (request: FileRequest, reply) => {
    discardBody(request);
    const t = target(request);
    const action = (request.query.action ?? '').toUpperCase();
    if (action === 'INITIALIZE') {
      assertLoading(t.batch);
      assertFits(t, 0);
      try {
        await mkdir(path.dirname(t.diskPath), { recursive: true });
        await writeFile(t.diskPath, '');
      } catch (err) {
        throw asClash(t, err);
      }
      const at = now();
      upsert(t.batch, { path: t.filePath, sizeInBytes: 0, created: at, updated: at, state: 'uploading', chunks: [] });
      await store.save(t.batch);
      return reply.code(201).send();
    }
    if (action !== 'COMPLETE') {
      throw problem(400, PROBLEM_CODES.badAction, 'Invalid action', 'action must be INITIALIZE or COMPLETE');
    }
    const file = requireFile(t);
    if (file.state === 'uploading') {
      assertLoading(t.batch);
      const coverage = checkCoverage(file.chunks ?? [], file.declaredSize);
      if (!coverage.ok) throw problem(400, PROBLEM_CODES.chunksIncomplete, 'File chunks do not cover the file', `${t.filePath}: ${coverage.problem}`);
      if (coverage.size < options.limits.largeFileBytes) throw limitErrors.largeFileTooSmall(t.filePath, coverage.size, options.limits);
      // A file initialized over a longer one keeps no stale tail.
      await truncate(t.diskPath, coverage.size);
      upsert(t.batch, { path: file.path, sizeInBytes: coverage.size, created: file.created, updated: now(), state: 'complete' });
      await store.save(t.batch);
    }
    const done = t.batch.files.find((f) => f.path === t.filePath) as StoredFile;
    return reply.code(200).send({ name: done.path, sizeInBytes: done.sizeInBytes });
  });

  app.patch(FILE_ROUTE, async (request: FileRequest, reply) => {
    const t = target(request);
    const file = requireFile(t);
    assertLoading(t.batch);
    assertOctetStream(request);
    if (file.state !== 'uploading') throw problem(400, PROBLEM_CODES.badContentRange, 'File not initialized', `${t.filePath} was not initialized as a large file`);
    const range = parseContentRange(request.headers['content-range']);
    if (!range || range.total === undefined) throw limitErrors.contentRangeTotal(request.headers['content-range']);
    if (file.declaredSize !== undefined && range.total !== file.declaredSize) {
      throw problem(400, PROBLEM_CODES.badContentRange, 'Invalid Content-Range', `total ${range.total} differs from ${file.declaredSize} given before`);
    }
    const { limits } = options;
    if (range.total < limits.largeFileBytes) throw limitErrors.largeFileTooSmall(t.filePath, range.total, limits);
    if (range.end - range.start + 1 > limits.maxChunkBytes) throw limitErrors.chunkTooLarge(range.end - range.start + 1, limits);
    assertFits(t, range.total);
    const sink = createWriteStream(t.diskPath, { flags: 'r+', start: range.start, highWaterMark: SINK_BUFFER_BYTES });
    await pipeline(bodyStream(request), sink);
    const expected = range.end - range.start + 1;
    if (sink.bytesWritten !== expected) {
      throw problem(400, PROBLEM_CODES.badContentRange, 'Chunk size mismatch', `Content-Range announces ${expected} bytes, the body had ${sink.bytesWritten}`);
    }
    assertLoading(t.batch);
    const chunk: ByteRange = [range.start, range.end];
    const current = t.batch.files.find((f) => f.path === t.filePath) ?? file;
    // The same range again is a client's retry of a chunk whose answer it never got: the bytes
    // went to the same place, so it replaces the earlier one instead of overlapping it.
    const earlier = (current.chunks ?? []).filter(([start, end]) => start !== chunk[0] || end !== chunk[1]);
    upsert(t.batch, {
      ...current,
      chunks: [...earlier, chunk],
      declaredSize: range.total ?? current.declaredSize,
      sizeInBytes: Math.max(current.sizeInBytes, range.end + 1),
      updated: now(),
    });
    await store.save(t.batch);
    return reply.code(200).send();
  });

  app.head(FILE_ROUTE, async (request: FileRequest, reply) => {
    const file = requireFile(target(request));
    const received: readonly ByteRange[] = file.state === 'uploading' ? (file.chunks ?? []) : file.sizeInBytes > 0 ? [[0, file.sizeInBytes - 1]] : [];
    if (received.length > 0) reply.header('range', formatRanges(mergeRanges(received)));
    return reply.code(200).send();
  });
}

/**
 * Renames a finished upload into place. The folder is made only when the rename says it is
 * missing: most files sit at the top of the batch's files folder, which exists from the start.
 */
async function moveInto(tmp: string, t: Target): Promise<void> {
  try {
    await rename(tmp, t.diskPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw asClash(t, err);
    try {
      await mkdir(path.dirname(t.diskPath), { recursive: true });
      await rename(tmp, t.diskPath);
    } catch (again) {
      throw asClash(t, again);
    }
  }
}

/**
 * A file where the path needs a folder, or a folder where it needs a file (`a.json` and
 * `a.json/b.json`), is the client's 400; any other failure (a full disk, say) stays the server's.
 */
function asClash(t: Target, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'ENOTDIR' && code !== 'EEXIST' && code !== 'EISDIR') return err;
  return problem(400, PROBLEM_CODES.badFilePath, 'Invalid file path', `${t.filePath} clashes with another file of the batch (${code})`);
}

function requireFile(t: Target): StoredFile {
  if (!t.existing) throw problem(404, PROBLEM_CODES.fileNotFound, 'File not found', `batch ${t.batch.id} has no file ${t.filePath}`);
  return t.existing;
}

function assertLoading(batch: BatchRecord): void {
  if (batch.status !== 'loading') {
    throw problem(400, PROBLEM_CODES.batchNotLoading, 'Batch is not loading', `batch ${batch.id} is ${batch.status}: files can only be added while it is loading`);
  }
}

/** File bytes come as application/octet-stream; multipart is refused (aep-api.md §2.2). */
function assertOctetStream(request: FastifyRequest): void {
  if (mediaTypeOf(request).startsWith('multipart/')) {
    throw problem(415, PROBLEM_CODES.unsupportedMediaType, 'Unsupported Media Type', 'send the file as raw bytes with Content-Type: application/octet-stream');
  }
}
