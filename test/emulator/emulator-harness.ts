import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getGlobalDispatcher } from 'undici';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator';
import { FINAL_STATUSES } from '../../src/emulator/batch-model';

/*
 * Starts the emulator on a free port over a temporary folder and talks to it over real HTTP,
 * as any Platform client would, without importing one.
 */

export const DATASET_ID = 'luma-loyalty';
export const TENANT = 'techmarketingdemos';

export const LOYALTY_SCHEMA = {
  $schema: 'http://json-schema.org/draft-06/schema#',
  $id: 'https://ns.adobe.com/techmarketingdemos/schemas/luma-loyalty',
  type: 'object',
  required: ['_id', 'timestamp'],
  properties: {
    _id: { type: 'string' },
    timestamp: { type: 'string', format: 'date-time' },
    _techmarketingdemos: {
      type: 'object',
      properties: { loyalty: { type: 'object', properties: { points: { type: 'integer' }, level: { enum: ['bronze', 'silver', 'gold'] } } } },
    },
  },
};

/** Answers are JSON of many shapes; tests assert on them field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const TERMINAL = [...FINAL_STATUSES];

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Json;
}

export interface CallOptions {
  body?: string | Buffer | object;
  headers?: Record<string, string>;
  /** Leave out the gateway headers (to test the gateway). */
  bare?: boolean;
}

export class Harness {
  private token = '';
  readonly clientId = 'test-client';

  private constructor(
    readonly emulator: Emulator,
    readonly dataDir: string,
  ) {}

  /** `datasets` are served besides the two standard ones. */
  static async start(options: Partial<EmulatorOptions> = {}): Promise<Harness> {
    const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'dataflowd-emulator-')));
    const emulator = await startEmulator({
      ...options,
      datasets: [
        { id: DATASET_ID, name: 'Luma Loyalty Dataset', schema: LOYALTY_SCHEMA },
        { id: 'free-form', name: 'Free Form Dataset' },
        ...(options.datasets ?? []),
      ],
      dataDir,
    });
    const harness = new Harness(emulator, dataDir);
    await harness.authenticate();
    return harness;
  }

  /** Stops the emulator; the folder stays unless `removeData`. */
  async close(removeData = true): Promise<void> {
    await this.emulator.close();
    if (removeData) await rm(this.dataDir, { recursive: true, force: true });
  }

  get gatewayHeaders(): Record<string, string> {
    return {
      authorization: `Bearer ${this.token}`,
      'x-api-key': this.clientId,
      'x-gw-ims-org-id': 'TEST@AdobeOrg',
      'x-sandbox-name': 'prod',
    };
  }

  async authenticate(): Promise<void> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.clientId, client_secret: 's3cret', scope: 'openid,AdobeID' });
    const reply = await this.call('POST', '/ims/token/v3', {
      bare: true,
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    if (reply.status !== 200) throw new Error(`token: ${reply.status} ${reply.text}`);
    this.token = reply.json.access_token;
  }

  async call(method: string, urlPath: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(opts.bare ? {} : this.gatewayHeaders), ...opts.headers };
    let body: string | Buffer | undefined;
    if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) body = opts.body;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    // The dispatcher sends the path as written: a URL object would resolve '..' segments first.
    const res = await getGlobalDispatcher().request({ origin: this.emulator.url, path: urlPath, method: method as 'GET', headers, body });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, json };
  }

  async createBatch(body: Record<string, unknown> = {}): Promise<string> {
    const reply = await this.call('POST', '/data/foundation/import/batches', {
      body: { datasetId: DATASET_ID, inputFormat: { format: 'json' }, ...body },
    });
    if (reply.status !== 201) throw new Error(`create batch: ${reply.status} ${reply.text}`);
    return reply.json.id;
  }

  filesUrl(batchId: string, filePath: string, datasetId = DATASET_ID): string {
    return `/data/foundation/import/batches/${batchId}/datasets/${datasetId}/files/${filePath}`;
  }

  async upload(batchId: string, filePath: string, content: string | Buffer, datasetId = DATASET_ID): Promise<Reply> {
    return this.call('PUT', this.filesUrl(batchId, filePath, datasetId), {
      body: Buffer.from(content),
      headers: { 'content-type': 'application/octet-stream' },
    });
  }

  async action(batchId: string, action: string): Promise<Reply> {
    return this.call('POST', `/data/foundation/import/batches/${batchId}?action=${action}`);
  }

  async batch(batchId: string): Promise<Json> {
    const reply = await this.call('GET', `/data/foundation/catalog/batches/${batchId}`);
    if (reply.status !== 200) throw new Error(`get batch: ${reply.status} ${reply.text}`);
    return reply.json[batchId];
  }

  /** Polls Catalog until the batch reaches a final status (no fixed sleeps: each poll yields briefly). */
  async waitFinal(batchId: string, timeoutMs = 20_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const batch = await this.batch(batchId);
      if (TERMINAL.includes(batch.status)) return batch;
      if (Date.now() > deadline) throw new Error(`batch ${batchId} still ${batch.status}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Create, upload the files, complete, wait. */
  async ingest(files: Record<string, string | Buffer>, batchBody: Record<string, unknown> = {}): Promise<{ id: string; batch: Json }> {
    const id = await this.createBatch(batchBody);
    const datasetId = typeof batchBody.datasetId === 'string' ? batchBody.datasetId : DATASET_ID;
    for (const [name, content] of Object.entries(files)) {
      const reply = await this.upload(id, name, content, datasetId);
      if (reply.status !== 201) throw new Error(`upload ${name}: ${reply.status} ${reply.text}`);
    }
    const completed = await this.action(id, 'COMPLETE');
    if (completed.status !== 200) throw new Error(`complete: ${completed.status} ${completed.text}`);
    return { id, batch: await this.waitFinal(id) };
  }
}

export function jsonLines(records: unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export function goodRecord(n: number): Record<string, unknown> {
  return { _id: `id-${n}`, timestamp: '2026-01-02T03:04:05Z', _techmarketingdemos: { loyalty: { points: n, level: 'gold' } } };
}
