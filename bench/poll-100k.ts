import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectorDefinitions } from '../connectors';
import { fingerprint } from '../src/detect/fingerprint';
import { silentLogger } from '../src/lib/logger';
import { openStore } from '../src/store/open-store';
import type { FileVersion } from '../src/store/types';
import { S3RVER_KEY, startS3Server } from '../test/servers/s3-server';
import { measure, measureRun, startEmulatorProcess, writeBenchConfig } from './harness';
import { formatPeaks, MemoryPeaks, memProbeEnv } from './mem-probe';

/**
 * A poll of N files of which none is new: the time and peak RSS of a whole `dataflowd run`
 * (list, compare with an N-row ledger in chunks, decide "nothing new") next to a bare listing of
 * the same source by the same connector (and `find` for a folder). Peak RSS must stay flat as N
 * grows: neither the listing nor the ledger is held whole.
 *
 * `--source s3` lists from s3rver. Its objects are written straight into s3rver's folder layout
 * (object + md5 file, 1,000 keys per prefix): a million PUTs would take an hour, and s3rver walks
 * its folder for every page, so keys spread over prefixes keep its own listing linear.
 *
 *   npm run build && node dist/bench/poll-100k.js [--files 100000] [--source local|s3]
 */
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const FILES = Number(arg('--files')) || 100_000;
const SOURCE = arg('--source') === 's3' ? 's3' : 'local';
const PER_PREFIX = 1000;
// The AWS SDK warns about this Node version on every client it makes; the figures do not care.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const SEED_CHUNK = 10_000;

type Connection = Record<string, unknown> & { type: string };

async function connectorOf(connection: Connection) {
  const def = connectorDefinitions.find((d) => d.type === connection.type);
  if (!def) throw new Error(`no connector ${connection.type}`);
  const config = def.configSchema.parse(connection);
  return { connector: await def.create(config, { logger: silentLogger, baseDir: '.' }), traits: def.traits(config) };
}

/** The bare listing, in its own process (`--list-only CONNECTION-JSON`). */
async function listOnly(connection: Connection): Promise<void> {
  const { connector } = await connectorOf(connection);
  let n = 0;
  for await (const _ of connector.list('', { recursive: true, signal: new AbortController().signal })) n++;
  await connector.close();
  process.stdout.write(`${n}\n`);
}

async function writeLocal(inbox: string): Promise<void> {
  for (let i = 0; i < FILES; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, FILES - i) }, (_, k) => writeFile(path.join(inbox, `f${String(i + k).padStart(7, '0')}.json`), `{"id":${i + k}}\n`)));
  }
}

/** s3rver's on-disk layout (its FilesystemStore): KEY._S3rver_object and its md5 next to it. */
async function writeS3rverLayout(bucketDir: string): Promise<void> {
  const body = '{"id":0}\n';
  const md5 = 'b8d2f8e7c1c8d1c0b0a3f3e2d1c0b9a8';
  for (let i = 0; i < FILES; i += PER_PREFIX) {
    const dir = path.join(bucketDir, `d${String(i / PER_PREFIX).padStart(4, '0')}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: Math.min(PER_PREFIX, FILES - i) }, async (_, k) => {
        const object = path.join(dir, `f${String(i + k).padStart(7, '0')}.json._S3rver_object`);
        await writeFile(object, body);
        await writeFile(`${object}.md5`, md5);
      }),
    );
  }
}

/** The ledger already knows every file, as after the runs that ingested them. */
async function seedLedger(stateDb: string, connection: Connection): Promise<void> {
  const store = await openStore(`sqlite:${stateDb}`);
  const { connector, traits } = await connectorOf(connection);
  try {
    const lease = await store.acquireLease('bench', { processId: 'bench-seed', host: 'bench', pid: 0 }, { ttlMs: 3_600_000 });
    if (!lease.granted) throw new Error('the seed could not take the lease');
    const fence = { dataflow: 'bench', token: lease.lease.token };
    await store.createRun({ id: 'seed', dataflow: 'bench', trigger: 'manual', startedAt: new Date() }, fence);
    await store.createBatch(fence, { id: 'seed-batch', runId: 'seed', dataset: 'bench', externalId: 'seed' });
    let versions: Array<FileVersion & { supersedes: null }> = [];
    const flush = async () => {
      const entries = await store.addPending(fence, 'seed', versions);
      await store.setFileState(fence, entries.map((e) => e.id), 'ingested', { batchId: 'seed-batch' });
      versions = [];
    };
    for await (const f of connector.list('', { recursive: true, signal: new AbortController().signal })) {
      versions.push({ path: f.path, size: f.size, modifiedAt: f.modifiedAt, fingerprint: fingerprint(f, traits), supersedes: null });
      if (versions.length >= SEED_CHUNK) await flush();
    }
    await flush();
    await store.finishRun('seed', { status: 'succeeded', finishedAt: new Date() }, fence);
    await store.releaseLease(fence, 'bench-seed');
  } finally {
    await connector.close();
    await store.close();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--list-only') return listOnly(JSON.parse(process.argv[3]) as Connection);
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-poll-'));
  const s3 = SOURCE === 's3' ? await startS3Server(['bench']) : undefined;
  const inbox = path.join(work, 'inbox');
  const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  try {
    let connection: Connection;
    const started = Date.now();
    if (s3) {
      await writeS3rverLayout(path.join(s3.directory, 'bench'));
      connection = { type: 's3', bucket: 'bench', endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY };
    } else {
      await mkdir(inbox);
      await writeLocal(inbox);
      connection = { type: 'local', root: inbox };
    }
    const dataflowYaml = ['name: bench', 'source: { connection: bench, path: /, recursive: true }', 'target: { dataset: bench }'].join('\n');
    const config = await writeBenchConfig({ emulatorUrl: emulator.url, connectionYaml: JSON.stringify(connection), dataflowYaml, under: work });
    await seedLedger(path.join(config.dir, 'state.db'), connection);
    process.stderr.write(`${FILES} files written and seeded in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);

    const rows: string[][] = [];
    const row = (name: string, m: { seconds: number; peakRssMb: number; cpuSeconds: number }, ratio: string, note: string) =>
      rows.push([name, `${m.seconds.toFixed(2)} s`, ratio, `${m.peakRssMb.toFixed(0)} MB RSS`, `${m.cpuSeconds.toFixed(2)} s CPU`, note]);
    if (!s3) {
      const find = await measure('sh', ['-c', `find "${inbox}" -type f | wc -l`]);
      row('find | wc -l', find, '', `${find.stdout.trim()} files`);
    }
    const bareMem = path.join(work, 'bare-memory.json');
    const bare = await measure(process.execPath, [__filename, '--list-only', JSON.stringify(connection)], { env: { ...process.env, ...env, ...memProbeEnv(bareMem) } });
    if (bare.code !== 0) throw new Error(`bare listing failed: ${bare.stderr}`);
    row(`${SOURCE} connector listing alone`, bare, '1.00×', `${bare.stdout.trim()} files; ${formatPeaks(JSON.parse(await readFile(bareMem, 'utf8')) as MemoryPeaks)}`);
    const runMem = path.join(work, 'run-memory.json');
    const run = await measureRun(config, { ...env, ...memProbeEnv(runMem) });
    const result = JSON.parse(run.stdout) as { status: string; error: string };
    row('dataflowd run (list + ledger)', run, `${(run.seconds / bare.seconds).toFixed(2)}×`, `${result.status}: ${result.error}; ${formatPeaks(JSON.parse(await readFile(runMem, 'utf8')) as MemoryPeaks)}`);
    process.stdout.write(`\npoll of ${FILES} files from ${SOURCE === 's3' ? 's3rver' : 'a local folder'}, none new\n`);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) process.stdout.write(`  ${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
  } finally {
    await emulator.stop();
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
