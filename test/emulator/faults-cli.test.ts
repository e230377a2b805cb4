import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * `dataflowd emulator --faults FILE`: the emulator as its own process with faults from the
 * start (what a test of another tool, or a crash harness, would run), through the built CLI.
 */

const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'src', 'main.js');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-faults-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function emulator(faultsFile: string) {
  const child = spawn(process.execPath, [MAIN, 'emulator', '--port', '0', '--data', path.join(dir, 'data'), '--faults', faultsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'error' },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const url = new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', () => resolve(undefined));
  });
  return { child, url, stderr: () => err };
}

test('faults from a YAML file are in force from the start and can be read back', async () => {
  const file = path.join(dir, 'faults.yaml');
  await writeFile(
    file,
    ['rules:', '  - { path: /data/foundation/catalog, errorRate: 1, status: 503, retryAfterSeconds: 7 }', 'batchFailureRate: 0.25', 'batchStatuses:', '  - { sequence: [staging, retrying, stalled], times: 2 }'].join('\n'),
  );
  const e = emulator(file);
  try {
    const url = await e.url;
    expect(url).toBeDefined();
    const config = (await (await fetch(`${url}/_emulator/faults`)).json()) as { rules: unknown[]; batchFailureRate: number };
    expect(config).toMatchObject({
      rules: [{ path: '/data/foundation/catalog', errorRate: 1, status: 503, retryAfterSeconds: 7 }],
      batchFailureRate: 0.25,
      batchStatuses: [{ sequence: ['staging', 'retrying', 'stalled'], times: 2, rate: 1 }],
    });
    const answer = await fetch(`${url}/data/foundation/catalog/dataSets`);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(await (await fetch(`${url}/_emulator/faults/injected`)).json()).toMatchObject({ matched: 1, statuses: { 503: 1 } });
  } finally {
    e.child.kill('SIGTERM');
    if (e.child.exitCode === null) await once(e.child, 'exit');
  }
});

test('a malformed faults file is refused with its problems, exit code 2', async () => {
  const file = path.join(dir, 'bad.json');
  await writeFile(file, JSON.stringify({ rules: [{ errorRate: 'often' }], typo: true }));
  const e = emulator(file);
  const [code] = (await once(e.child, 'exit')) as [number];
  expect(code).toBe(2);
  expect(e.stderr()).toMatch(/bad\.json: rules\.0\.errorRate: .*number/);
  expect(e.stderr()).toMatch(/typo/);
});
