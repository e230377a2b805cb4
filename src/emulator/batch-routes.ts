import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isFinal, type BatchRecord, type InputFormatName } from './batch-model';
import type { BatchProcessor } from './batch-processor';
import type { BatchStore } from './batch-store';
import type { StatusScripts } from './status-script';
import { discardBody, readJsonBody } from './http-body';
import { FILE_ERROR_CODES } from './ingest-codes';
import type { ResolvedOptions } from './options';
import { badRequest, problem, PROBLEM_CODES } from './platform-errors';

/*
 * Batch Ingestion's batch endpoints (aep-api.md §2.1, §2.4): create a batch, and
 * POST /batches/{id}?action=COMPLETE|ABORT|FAIL|REVERT.
 */

const BASE = '/data/foundation/import/batches';
const FORMATS: readonly InputFormatName[] = ['json', 'csv', 'parquet'];

const percent = z.number().min(0).max(100);
const createBatchBody = z.looseObject({
  datasetId: z.string().min(1),
  inputFormat: z.looseObject({
    // Platform's OpenAPI spells formats JSON|Parquet|CSV, its guides json|parquet|csv.
    format: z.string().transform((f) => f.toLowerCase()),
    isMultiLineJson: z.boolean().optional(),
  }),
  externalId: z.string().min(1).optional(),
  enableErrorDiagnostics: z.boolean().optional(),
  partialIngestionPercent: percent.optional(),
  // Older Adobe pages and aepp spell it this way (aep-api.md §5.1).
  partialIngestionPercentage: percent.optional(),
  tags: z.record(z.string(), z.unknown()).optional(),
  replay: z.looseObject({ predecessors: z.array(z.string().min(1)).optional(), reason: z.string().optional() }).optional(),
});

export interface BatchRouteDeps {
  options: ResolvedOptions;
  store: BatchStore;
  processor: BatchProcessor;
  scripts: StatusScripts;
}

export function registerBatchRoutes(app: FastifyInstance, deps: BatchRouteDeps): void {
  const { options, store, processor, scripts } = deps;

  app.post(BASE, async (request, reply) => {
    const parsed = createBatchBody.safeParse(await readJsonBody(request));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badRequest(`${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const body = parsed.data;
    if (!options.datasets.has(body.datasetId)) {
      throw problem(400, PROBLEM_CODES.datasetNotFound, 'Dataset not found', `no dataset with id ${body.datasetId}`);
    }
    const format = body.inputFormat.format as InputFormatName;
    if (!FORMATS.includes(format)) throw badRequest(`inputFormat.format must be one of ${FORMATS.join(', ')}`);

    const now = options.clock.now().getTime();
    const id = randomBytes(16).toString('hex');
    const batch: BatchRecord = {
      id,
      imsOrg: options.orgId,
      createdClient: String(request.headers['x-api-key'] ?? ''),
      status: 'loading',
      created: now,
      updated: now,
      datasetId: body.datasetId,
      inputFormat: body.inputFormat.isMultiLineJson === undefined ? { format } : { format, isMultiLineJson: body.inputFormat.isMultiLineJson },
      externalId: body.externalId ?? id,
      enableErrorDiagnostics: body.enableErrorDiagnostics ?? false,
      partialIngestionPercent: body.partialIngestionPercent ?? body.partialIngestionPercentage,
      tags: body.tags ?? {},
      files: [],
      errors: [],
    };
    const predecessors = body.replay?.predecessors ?? [];
    if (predecessors.length > 0) batch.replay = { predecessors, ...(body.replay?.reason === undefined ? {} : { reason: body.replay.reason }) };
    await store.add(batch);
    return reply.code(201).send(batchCreatedBody(batch));
  });

  app.post<{ Params: { batchId: string }; Querystring: { action?: string } }>(`${BASE}/:batchId`, async (request, reply) => {
    discardBody(request);
    const batch = store.get(request.params.batchId);
    if (!batch) throw problem(404, PROBLEM_CODES.batchNotFound, 'Batch not found', `no batch with id ${request.params.batchId}`);
    const action = (request.query.action ?? '').toUpperCase();
    const now = options.clock.now().getTime();
    switch (action) {
      case 'COMPLETE':
        // Platform: retrying COMPLETE is safe, and a completed batch answers success again.
        if (batch.status === 'aborted' || batch.status === 'inactive') throw notAllowed(batch, action);
        if (batch.status !== 'loading') break;
        {
          const unfinished = batch.files.find((f) => f.state !== 'complete');
          if (unfinished) {
            throw problem(400, PROBLEM_CODES.fileNotComplete, 'File upload not complete', `large file ${unfinished.path} was initialized but not completed`);
          }
        }
        if (await scripts.start(batch)) break;
        batch.status = 'processing';
        batch.updated = now;
        await store.save(batch);
        processor.schedule(batch);
        break;
      case 'ABORT':
        if (batch.status === 'aborted') break;
        if (isFinal(batch.status)) throw notAllowed(batch, action);
        processor.cancel(batch.id);
        Object.assign(batch, { status: 'aborted', updated: now, completed: now });
        await store.save(batch);
        break;
      case 'FAIL':
        if (batch.status === 'failed') break;
        if (isFinal(batch.status)) throw notAllowed(batch, action);
        processor.cancel(batch.id);
        Object.assign(batch, { status: 'failed', updated: now, completed: now, errors: [{ ...FILE_ERROR_CODES.failedByClient }] });
        await store.save(batch);
        break;
      case 'REVERT':
        // Reverting takes a promoted batch out of the dataset (aep-api.md §2.4).
        if (batch.status === 'inactive') break;
        if (batch.status !== 'success') throw notAllowed(batch, action);
        Object.assign(batch, { status: 'inactive', updated: now });
        await store.save(batch);
        break;
      default:
        throw problem(400, PROBLEM_CODES.badAction, 'Invalid action', 'action must be one of COMPLETE, ABORT, FAIL, REVERT');
    }
    return reply.code(200).send();
  });
}

function notAllowed(batch: BatchRecord, action: string) {
  return problem(400, PROBLEM_CODES.batchFinal, 'Action not allowed', `cannot ${action} batch ${batch.id}: its status is ${batch.status}`);
}

/** The 201 answer to batch creation (aep-api.md §2.1): the batch object itself, not keyed. */
function batchCreatedBody(batch: BatchRecord): Record<string, unknown> {
  return {
    id: batch.id,
    imsOrg: batch.imsOrg,
    status: batch.status,
    created: batch.created,
    updated: batch.updated,
    relatedObjects: [{ type: 'dataSet', id: batch.datasetId }],
    version: '1.0.0',
    tags: batch.tags,
    createdClient: batch.createdClient,
    externalId: batch.externalId,
    inputFormat: batch.inputFormat,
    ...(batch.replay ? { replay: batch.replay } : {}),
  };
}
