import type { Readable } from 'node:stream';
import { Agent } from 'undici';
import { Clock, systemClock } from '../lib/clock';
import { Logger, silentLogger } from '../lib/logger';
import { RETRY_POLICIES } from '../lib/retry';
import { batchAction, createBatch, uploadFile } from './batch-ingestion';
import { waitForBatch } from './batch-wait';
import { findDatasetByName, findSuccessor, getBatch, getDataset, listBatches } from './catalog';
import { batchFiles, dataSetFileEntries, downloadFile, rowErrors } from './data-access';
import { ImsTokenProvider } from './ims-token';
import { datasetSchema } from './schema-registry';
import { resolveUploadSettings } from './large-file-upload';
import { badResponse, PlatformHttp } from './platform-http';
import type {
  Batch,
  BatchFile,
  CreateBatchRequest,
  DataSetFileEntry,
  Dataset,
  ListBatchesQuery,
  PlatformClientOptions,
  PlatformRetryOptions,
  RowErrorsOptions,
  UploadFileOptions,
  UploadSettings,
  WaitForBatchOptions,
} from './types';

/** Attempts per call: lib/retry.ts's policy for a Platform call. */
export const DEFAULT_PLATFORM_RETRY: Required<PlatformRetryOptions> = RETRY_POLICIES.platformCall;

/**
 * Adobe Experience Platform, as dataflowd uses it (DESIGN.md §7): Batch Ingestion to write,
 * Catalog to follow batches and find datasets, Data Access to read back. The emulator answers
 * the same calls, so this is the only path to Platform. Every call retries transient trouble
 * through src/lib/retry.ts, except where a method says otherwise.
 */
export class PlatformClient {
  private readonly http: PlatformHttp;
  private readonly tokens: ImsTokenProvider;
  private readonly agent: Agent;
  private readonly clock: Clock;
  private readonly endpoint: string;
  private readonly upload: UploadSettings;
  private tenant?: Promise<string>;
  private closed = false;

  constructor(opts: PlatformClientOptions) {
    this.clock = opts.clock ?? systemClock;
    this.endpoint = opts.endpoint;
    this.upload = resolveUploadSettings(opts.upload);
    const logger: Logger = (opts.logger ?? silentLogger).child({ component: 'platform' });
    this.agent = new Agent({ keepAliveTimeout: 10_000 });
    const tokens = (this.tokens = new ImsTokenProvider({
      imsEndpoint: opts.imsEndpoint,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      scopes: opts.scopes,
      clock: this.clock,
      dispatcher: this.agent,
      logger,
    }));
    this.http = new PlatformHttp({
      endpoint: opts.endpoint,
      clientId: opts.clientId,
      orgId: opts.orgId,
      sandbox: opts.sandbox,
      tokens,
      dispatcher: this.agent,
      clock: this.clock,
      logger,
      retry: { ...DEFAULT_PLATFORM_RETRY, ...opts.retry },
    });
  }

  /** A new batch in `loading`. With an externalId, a retried create finds the batch a lost answer made. */
  createBatch(req: CreateBatchRequest, signal?: AbortSignal): Promise<Batch> {
    return createBatch(this.http, req, signal);
  }

  /**
   * Uploads one file into a batch; `filePath` is its name on the Platform side, folders allowed.
   * A known size up to 256 MB goes in a single streamed PUT. A stream can be sent only once, so
   * that PUT is retried only for failures before `body` was read from; after that, a transient
   * failure is thrown as ERR_PLATFORM_UPLOAD_INTERRUPTED (kind `transient`, with Platform's
   * Retry-After): the caller reopens its source and calls again — the upload replaces the file,
   * so that is safe. Larger files, and output of unknown size longer than one chunk, use the
   * large-file upload: chunks in flight are bounded, each one retried on its own. An error of
   * `body` itself is rethrown unchanged. `body` is destroyed whenever this throws.
   */
  uploadFile(batchId: string, datasetId: string, filePath: string, body: Readable, opts: UploadFileOptions = {}): Promise<void> {
    return uploadFile(this.http, this.upload, batchId, datasetId, filePath, body, opts);
  }

  /** Signals that every file is uploaded. Idempotent on Platform's side, so retried freely. */
  completeBatch(batchId: string, signal?: AbortSignal): Promise<void> {
    return batchAction(this.http, batchId, 'COMPLETE', signal);
  }

  /** Cancels a batch that is not yet final (Platform refuses once it is). */
  abortBatch(batchId: string, signal?: AbortSignal): Promise<void> {
    return batchAction(this.http, batchId, 'ABORT', signal);
  }

  /** The batch as Catalog sees it now. */
  getBatch(batchId: string, signal?: AbortSignal): Promise<Batch> {
    return getBatch(this.http, batchId, signal);
  }

  /**
   * Polls Catalog, with growing pauses, until the batch reaches a final status, and returns it
   * (successful or not). Throws ERR_PLATFORM_BATCH_WAIT_TIMEOUT (transient) after `timeoutMs`.
   */
  waitForBatch(batchId: string, opts: WaitForBatchOptions = {}): Promise<Batch> {
    return waitForBatch((signal) => this.getBatch(batchId, signal), this.clock, batchId, opts);
  }

  /** One page of Catalog's batches matching every given filter. */
  listBatches(q: ListBatchesQuery, signal?: AbortSignal): Promise<Batch[]> {
    return listBatches(this.http, q, signal);
  }

  /** The batch that replaced an inactive one (its successor by replay), or undefined. */
  findSuccessor(batch: Batch, signal?: AbortSignal): Promise<Batch | undefined> {
    return findSuccessor(this.http, batch, signal);
  }

  /** The dataset with this id, or undefined when Catalog has none. */
  getDataset(id: string, signal?: AbortSignal): Promise<Dataset | undefined> {
    return getDataset(this.http, id, signal);
  }

  findDatasetByName(name: string, signal?: AbortSignal): Promise<Dataset | undefined> {
    return findDatasetByName(this.http, name, signal);
  }

  /** Gets an IMS access token for the credential (or keeps the one it has): throws what IMS refused. */
  async authenticate(signal?: AbortSignal): Promise<void> {
    await this.tokens.get(signal);
  }

  /**
   * A dataset named by id or by name: Catalog's lookup by id (an answer of 400 or 404 is no
   * such id), then its `name` filter.
   */
  async findDataset(ref: string, signal?: AbortSignal): Promise<Dataset | undefined> {
    return (await getDataset(this.http, ref, signal)) ?? (await findDatasetByName(this.http, ref, signal));
  }

  /** The dataset's XDM schema from the Schema Registry, full and resolved, as JSON Schema; undefined when Catalog names none. */
  datasetSchema(dataset: Dataset, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    return datasetSchema(this.http, dataset, signal);
  }

  /** The org's tenant id (the `_{tenantId}` namespace of custom fields), asked once per client. */
  tenantId(signal?: AbortSignal): Promise<string> {
    this.tenant ??= this.fetchTenantId(signal).catch((err: unknown) => {
      this.tenant = undefined;
      throw err;
    });
    return this.tenant;
  }

  /** Row-level error records of a batch with error diagnostics; [] when there are none. */
  rowErrors(batchId: string, opts?: RowErrorsOptions): Promise<unknown[]> {
    return rowErrors(this.http, this.endpoint, batchId, opts);
  }

  /** The dataset files a batch produced (Data Access). */
  batchFiles(batchId: string, signal?: AbortSignal): Promise<BatchFile[]> {
    return batchFiles(this.http, batchId, signal);
  }

  /** The physical files inside one dataset file, by name, for downloadFile. */
  dataSetFileEntries(dataSetFileId: string, signal?: AbortSignal): Promise<DataSetFileEntry[]> {
    return dataSetFileEntries(this.http, dataSetFileId, signal);
  }

  /** The bytes of one file of a dataset file; the caller reads or destroys the stream. */
  downloadFile(dataSetFileId: string, name: string, signal?: AbortSignal): Promise<Readable> {
    return downloadFile(this.http, dataSetFileId, name, signal);
  }

  /** Closes the connections once calls in flight are done (abort them with their signals first to hurry); idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  private async fetchTenantId(signal?: AbortSignal): Promise<string> {
    const path = '/data/foundation/schemaregistry/stats';
    const { status, body } = await this.http.json({ method: 'GET', path, signal });
    const id = (body as { tenantId?: unknown } | undefined)?.tenantId;
    if (typeof id !== 'string' || id === '') throw badResponse('GET', path, status, 'no tenantId');
    return id;
  }
}
