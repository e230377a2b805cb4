import { execFile, spawn, ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Emulator, startEmulator, type EmulatorDataset } from '../../src/emulator';
import { PlatformClient } from '../../src/platform';
import { createTestDatabase, TestDatabase } from '../support/postgres';

export const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'src', 'main.js');

/** The dataset schema of the end-to-end tests: a few typed fields, strict. */
export const PEOPLE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['id', 'email', 'points'],
  additionalProperties: false,
  properties: { id: { type: 'string' }, email: { type: 'string', format: 'email' }, points: { type: 'integer', minimum: 0 } },
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where a workspace keeps its state: both stores run the end-to-end suites that matter most. */
export type StoreKind = 'sqlite' | 'postgres';
export const STORES: StoreKind[] = ['sqlite', 'postgres'];

/** A temporary config folder, inbox and a Platform emulator it talks to in `mode: aep`. */
export class Workspace {
  platform!: PlatformClient;
  private constructor(
    readonly dir: string,
    readonly emulator: Emulator,
    /** The database of a postgres workspace, dropped on close. */
    private readonly database?: TestDatabase,
  ) {}

  /** `extraDatasets` are served besides `people`; `store` names where the state is kept. */
  static async create(opts: { store?: StoreKind; extraDatasets?: EmulatorDataset[] } = {}): Promise<Workspace> {
    const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-e2e-'));
    const database = opts.store === 'postgres' ? await createTestDatabase('e2e') : undefined;
    const datasets = [{ id: 'people', name: 'People', schema: PEOPLE_SCHEMA }, ...(opts.extraDatasets ?? [])];
    const emulator = await startEmulator({ dataDir: path.join(dir, 'platform'), datasets });
    const ws = new Workspace(dir, emulator, database);
    ws.platform = new PlatformClient({
      endpoint: emulator.url,
      imsEndpoint: emulator.url,
      clientId: 'e2e-reader',
      clientSecret: 'reader-secret',
      orgId: 'E2E@AdobeOrg',
      sandbox: 'prod',
      scopes: ['openid'],
    });
    await mkdir(ws.inbox, { recursive: true });
    await mkdir(path.join(ws.configDir, 'dataflows'), { recursive: true });
    await mkdir(path.join(ws.configDir, 'schemas'), { recursive: true });
    await writeFile(path.join(ws.configDir, 'schemas', 'people.schema.json'), JSON.stringify(PEOPLE_SCHEMA));
    await ws.writeDaemonConfig();
    return ws;
  }

  get configDir(): string {
    return path.join(this.dir, 'config');
  }

  /** The state.url the workspace's config names. */
  get stateUrl(): string {
    return this.database?.url ?? 'sqlite:../state.db';
  }

  get inbox(): string {
    return path.join(this.dir, 'inbox');
  }

  /** The client secret comes from the environment, as it would in production. */
  readonly env = { AEP_CLIENT_SECRET: 's3cr3t-e2e-value', DATAFLOWD_LOG_LEVEL: 'info' };

  /**
   * dataflowd.yaml; `extra` is appended at the top level (or under `connections:` when indented),
   * `state` lines go under `state:`, `http` replaces the lines under `http:` (loopback, free port).
   */
  async writeDaemonConfig(extra = '', opts: { state?: readonly string[]; http?: readonly string[] } = {}): Promise<void> {
    const http = opts.http ?? ['  listen: 127.0.0.1:0'];
    await writeFile(
      path.join(this.configDir, 'dataflowd.yaml'),
      [
        'platform:',
        '  mode: aep',
        `  endpoint: ${this.emulator.url}`,
        `  imsEndpoint: ${this.emulator.url}`,
        '  clientId: e2e-client',
        '  clientSecret: ${env:AEP_CLIENT_SECRET}',
        '  orgId: E2E@AdobeOrg',
        '  sandbox: prod',
        '  datasets:',
        '    - { id: people, name: People, schema: schemas/people.schema.json }',
        'state:',
        `  url: ${this.stateUrl}`,
        ...(opts.state ?? []).map((l) => `  ${l}`),
        'http:',
        ...http,
        'connections:',
        `  inbox: { type: local, root: ${JSON.stringify(this.inbox)} }`,
        extra,
      ].join('\n'),
    );
  }

  async writeDataflow(name: string, body: string): Promise<void> {
    await writeFile(path.join(this.configDir, 'dataflows', `${name}.yaml`), `name: ${name}\n${body}`);
  }

  async put(file: string, content: string): Promise<void> {
    await mkdir(path.dirname(path.join(this.inbox, file)), { recursive: true });
    await writeFile(path.join(this.inbox, file), content);
  }

  cli(args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(process.execPath, [MAIN, ...args, '--config', this.configDir], { env: { ...process.env, ...this.env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  spawn(args: string[]): ChildProcess {
    return spawn(process.execPath, [MAIN, ...args, '--config', this.configDir], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Every record that landed in the dataset, read back through Data Access. */
  async landed(dataset = 'people'): Promise<unknown[]> {
    const records: unknown[] = [];
    for (const batch of await this.platform.listBatches({ dataSet: dataset, limit: 100 })) {
      if (!batch.succeeded) continue;
      for (const file of await this.platform.batchFiles(batch.id)) {
        for (const entry of await this.platform.dataSetFileEntries(file.dataSetFileId)) {
          const stream = await this.platform.downloadFile(file.dataSetFileId, entry.name);
          let text = '';
          for await (const chunk of stream) text += chunk.toString();
          records.push(...text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)));
        }
      }
    }
    return records;
  }

  async close(): Promise<void> {
    await this.platform.close();
    await this.emulator.close();
    await this.database?.drop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function people(from: number, count: number): Array<{ id: string; email: string; points: number }> {
  return Array.from({ length: count }, (_, i) => ({ id: `p${from + i}`, email: `p${from + i}@example.com`, points: (from + i) * 7 }));
}

export const jsonl = (records: unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Orders records so that two multisets compare equal regardless of landing order. */
export const sorted = (records: unknown[]): string[] => records.map((r) => JSON.stringify(r)).sort();
