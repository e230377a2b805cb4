import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Emulator, type EmulatorDataset, startEmulator } from '../../src/emulator';
import { PlatformClient } from '../../src/platform';
import { type CliResult, MAIN } from './workspace';

/**
 * The end-to-end setting of the prep tests: a Platform emulator with the datasets and tenant a
 * test needs, a config folder talking to it in `mode: aep` (schemas written next to it), and an
 * inbox. Like workspace.ts, with the emulator's datasets and tenant chosen by the test.
 */
export class PrepWorkspace {
  readonly platform: PlatformClient;

  private constructor(
    readonly dir: string,
    readonly emulator: Emulator,
  ) {
    this.platform = new PlatformClient({ endpoint: emulator.url, imsEndpoint: emulator.url, clientId: 'reader', clientSecret: 'reader-secret', orgId: 'E2E@AdobeOrg', sandbox: 'prod', scopes: ['openid'] });
  }

  static async create(opts: { datasets: Array<EmulatorDataset & { schema: object }>; tenantId?: string }): Promise<PrepWorkspace> {
    const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-e2e-prep-'));
    const emulator = await startEmulator({ dataDir: path.join(dir, 'platform'), datasets: opts.datasets, tenantId: opts.tenantId });
    const ws = new PrepWorkspace(dir, emulator);
    await mkdir(ws.inbox, { recursive: true });
    await mkdir(path.join(ws.configDir, 'dataflows'), { recursive: true });
    for (const d of opts.datasets) await writeFile(path.join(ws.configDir, `${d.id}.schema.json`), JSON.stringify(d.schema));
    const datasets = opts.datasets.map((d) => `    - { id: ${d.id}, schema: ${d.id}.schema.json }`);
    await writeFile(
      path.join(ws.configDir, 'dataflowd.yaml'),
      [
        'platform:',
        '  mode: aep',
        `  endpoint: ${emulator.url}`,
        `  imsEndpoint: ${emulator.url}`,
        '  clientId: e2e-client',
        '  clientSecret: e2e-secret',
        '  orgId: E2E@AdobeOrg',
        '  datasets:',
        ...datasets,
        'state:',
        '  url: sqlite:../state.db',
        'connections:',
        `  inbox: { type: local, root: ${JSON.stringify(ws.inbox)} }`,
      ].join('\n'),
    );
    return ws;
  }

  get configDir(): string {
    return path.join(this.dir, 'config');
  }

  get inbox(): string {
    return path.join(this.dir, 'inbox');
  }

  async writeDataflow(name: string, body: string): Promise<void> {
    await writeFile(path.join(this.configDir, 'dataflows', `${name}.yaml`), `name: ${name}\n${body}`);
  }

  async put(file: string, content: string | Buffer): Promise<void> {
    await mkdir(path.dirname(path.join(this.inbox, file)), { recursive: true });
    await writeFile(path.join(this.inbox, file), content);
  }

  /** `timeoutMs`: the command is killed past it (a hang fails the test instead of stalling it). */
  cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 0): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(process.execPath, [MAIN, ...args, '--config', this.configDir], { env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'warn', ...env }, maxBuffer: 64 << 20, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Every record that landed in the dataset, read back through Data Access. */
  async landed(dataset: string): Promise<Record<string, unknown>[]> {
    const records: Record<string, unknown>[] = [];
    for (const batch of await this.platform.listBatches({ dataSet: dataset, limit: 100 })) {
      if (!batch.succeeded) continue;
      for (const file of await this.platform.batchFiles(batch.id)) {
        for (const entry of await this.platform.dataSetFileEntries(file.dataSetFileId)) {
          const stream = await this.platform.downloadFile(file.dataSetFileId, entry.name);
          let text = '';
          for await (const chunk of stream) text += chunk.toString();
          records.push(...text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
        }
      }
    }
    return records;
  }

  async close(): Promise<void> {
    await this.platform.close();
    await this.emulator.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
