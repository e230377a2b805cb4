import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { generateSamples } from '../../scripts/generate-samples';
import { MAIN, type CliResult } from './workspace';

const DEMO = path.resolve(__dirname, '..', '..', 'config');

/** The demo config as `npm start` runs it (embedded Platform), on a copy with fresh sample files. */
describe('the demo: all four Luma sample files land with the tutorial’s counts', () => {
  let dir = '';
  const cli = (args: string[]) =>
    new Promise<CliResult>((resolve) => {
      execFile(process.execPath, [MAIN, ...args, '--config', path.join(dir, 'config')], { env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      });
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-demo-'));
    await cp(DEMO, path.join(dir, 'config'), { recursive: true });
    await generateSamples(path.join(dir, 'data', 'inbox'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('validates, shows the products mapping in a dry run, and ingests every file', async () => {
    expect((await cli(['validate'])).code).toBe(0);
    const dry = await cli(['run', 'luma-products', '--dry-run']);
    expect(dry.stdout).toContain('auto-mapped: sku → _techmarketingdemos.product.sku, name → _techmarketingdemos.product.name');
    expect(dry.stdout).toContain('60 records read (whole file), 0 rejected');
    const expected: Array<[string, number]> = [
      ['luma-loyalty', 1000],
      ['luma-crm', 1000],
      ['luma-products', 60],
      ['luma-offline-purchases', 2000],
    ];
    for (const [name, records] of expected) {
      const run = await cli(['run', name, '--json']);
      expect({ name, code: run.code, stderr: run.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', filesIngested: 1, recordsIn: records, recordsOut: records, recordsFailed: 0 });
    }
  });
});
