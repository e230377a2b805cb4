import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dataflowSchema } from '../src/config/dataflow-schema';
import { buildPrepPlan } from '../src/prep/prep-plan';
import { defaultParallelOptions } from '../src/prep/ordered-workers';
import { prepareFile } from '../src/prep/prepare';
import { batchPhases, measure, measureRun, printTable, Row, startEmulatorProcess, writeBenchConfig } from './harness';

/**
 * CSV → XDM: a generated products CSV (1 GB by default) auto-mapped onto an XDM schema with a
 * tenant namespace, its types converted (number, integer, boolean, date-time) and every record
 * checked against the schema, next to Miller (`mlr --icsv --ojsonl cat`, Debian package
 * `miller`) converting the same file to JSON Lines in the same run. Three dataflowd figures:
 *   - prep only: the file through prepareFile to /dev/null (what Miller does: read, convert, write),
 *     on worker threads (one per core, up to 4) and on the main thread alone, and without the
 *     schema check (Miller checks nothing);
 *   - run, upload phase: a real run's batch created → COMPLETE (read, convert, validate, stream over HTTP);
 *   - run, whole: including the emulator's processing of the batch (Platform's side).
 * Peak RSS is the process's own (VmHWM); it must not grow with the file.
 *
 *   npm run build && node dist/bench/csv.js [--mb 1000]
 */

const SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['_acme'],
  properties: {
    _acme: {
      type: 'object',
      additionalProperties: false,
      required: ['product'],
      properties: {
        product: {
          type: 'object',
          additionalProperties: false,
          required: ['sku', 'name', 'price'],
          properties: {
            sku: { type: 'string', minLength: 1 },
            name: { type: 'string', minLength: 1 },
            category: { type: 'string' },
            color: { type: 'string' },
            size: { type: 'string' },
            price: { type: 'number', minimum: 0 },
            stock: { type: 'integer', minimum: 0 },
            active: { type: 'boolean' },
            updated: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
  },
};

const DATAFLOW = [
  'name: bench',
  'source: { connection: bench, path: /, include: ["*.csv"] }',
  'format: { type: csv }',
  'target: { dataset: bench }',
  'mapping: { schema: ../products.schema.json, auto: true }',
].join('\n');

const COLORS = ['Black', 'Blue', 'Gray', 'Green', 'Orange', 'Purple', 'Red', 'White'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];

/** Writes about `bytes` of products CSV, streamed; returns the rows written. */
async function writeCsv(file: string, bytes: number): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  let written = 0;
  let rows = 0;
  const header = 'sku,name,category,color,size,price,stock,active,updated\n';
  out.write(header);
  written += header.length;
  const base = Date.UTC(2024, 0, 1);
  while (written < bytes) {
    const lines: string[] = [];
    for (let k = 0; k < 2000 && written < bytes; k++, rows++) {
      const i = rows;
      const color = COLORS[i % 8];
      const line = `MJ${String(i % 100).padStart(2, '0')}-${SIZES[i % 5]}-${color},"Orion Trail Jacket, ${color} ${i}",Men's Jackets,${color},${SIZES[i % 5]},${((i * 7919) % 20000) / 100},${i % 500},${i % 3 === 0 ? 'yes' : 'no'},${new Date(base + (i % 100000) * 60_000).toISOString()}\n`;
      lines.push(line);
      written += line.length;
    }
    if (!out.write(lines.join(''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

/**
 * The child-process half of `prep only`: the file through prepareFile with the bench dataflow's
 * mapping, output discarded. It times itself, so that Node's start-up is not counted.
 */
async function prepOnly(file: string, check: boolean): Promise<void> {
  const df = { ...dataflowSchema.parse({ name: 'bench', source: { connection: 'bench' }, format: { type: 'csv' }, target: { dataset: 'bench' }, mapping: { schema: 's.json', auto: true } }), file: 'bench.yaml' };
  const prep = buildPrepPlan(df, { mappingSchema: SCHEMA, datasetSchema: check ? SCHEMA : undefined });
  const started = process.hrtime.bigint();
  const { size } = await stat(file);
  const prepared = await prepareFile(createReadStream(file), { path: file, size }, { prep });
  await pipeline(prepared.body, new Writable({ write: (_c, _e, cb) => cb() }));
  const stats = prepared.stats();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ records: stats.records, failed: stats.failed, seconds })}\n`);
}

async function main(): Promise<void> {
  const mbArg = process.argv.indexOf('--mb');
  const mb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 1000;
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-csv-'));
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  const rows: Row[] = [];
  try {
    const inbox = path.join(work, 'inbox');
    const file = path.join(inbox, `products-${mb}mb.csv`);
    const count = await writeCsv(file, mb * 1e6);
    const bytes = (await stat(file)).size;
    const perSecond = (s: number) => `${Math.round(count / s).toLocaleString('en-US')} rows/s`;

    const cat = await measure('sh', ['-c', `exec cat "${file}" > /dev/null`]);
    rows.push({ name: 'cat', bytes, seconds: cat.seconds, peakRssMb: cat.peakRssMb, cpuSeconds: cat.cpuSeconds, note: 'read ceiling' });
    const mlr = await measure('sh', ['-c', `exec mlr --icsv --ojsonl cat "${file}" > /dev/null`]);
    if (mlr.code !== 0) throw new Error(`mlr failed (${mlr.code}): ${mlr.stderr}`);
    rows.push({ name: 'mlr --icsv --ojsonl cat', bytes, seconds: mlr.seconds, peakRssMb: mlr.peakRssMb, cpuSeconds: mlr.cpuSeconds, note: `${perSecond(mlr.seconds)}, no types, no mapping` });

    const config = await writeBenchConfig({ emulatorUrl: emulator.url, connectionYaml: `{ type: local, root: ${JSON.stringify(inbox)} }`, dataflowYaml: DATAFLOW });
    await writeFile(path.join(config.configDir, 'products.schema.json'), JSON.stringify(SCHEMA));
    const workers = defaultParallelOptions().workers;
    const variants = [
      { name: `dataflowd prep only (${workers} worker threads)`, check: true, workers },
      { name: 'dataflowd prep only, main thread alone', check: true, workers: 0 },
      { name: `dataflowd prep only, no schema check (${workers} workers)`, check: false, workers },
    ];
    for (const v of variants) {
      const env = { ...process.env, DATAFLOWD_PREP_WORKERS: String(v.workers) };
      const prep = await measure(process.execPath, [__filename, '--prep-only', file, ...(v.check ? [] : ['--no-check'])], { env });
      if (prep.code !== 0) throw new Error(`prep failed (${prep.code}): ${prep.stderr}`);
      const r = JSON.parse(prep.stdout) as { records: number; failed: number; seconds: number };
      const note = `${perSecond(r.seconds)}, ${r.records} records, ${r.failed} rejected; ${(mlr.seconds / r.seconds).toFixed(2)}× Miller`;
      rows.push({ name: v.name, bytes, seconds: r.seconds, peakRssMb: prep.peakRssMb, cpuSeconds: prep.cpuSeconds, note });
    }

    const run = await measureRun(config);
    const result = JSON.parse(run.stdout) as { status: string; recordsOut: number; batchIds: string[] };
    const phases = await batchPhases(emulator.url, result.batchIds);
    rows.push({ name: 'dataflowd run, upload phase', bytes, seconds: phases.uploadSeconds, note: `${perSecond(phases.uploadSeconds)}; ${(mlr.seconds / phases.uploadSeconds).toFixed(2)}× Miller` });
    rows.push({ name: 'dataflowd run, whole', bytes, seconds: run.seconds, peakRssMb: run.peakRssMb, cpuSeconds: run.cpuSeconds, note: `${result.status}, ${result.recordsOut} records out, emulator processing ${phases.processingSeconds.toFixed(1)} s` });
    await rm(config.dir, { recursive: true, force: true });
  } finally {
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
  printTable(`CSV → XDM JSON Lines, ${mb} MB (Miller on the same file, same run)`, rows);
}

const prepArg = process.argv.indexOf('--prep-only');
(prepArg > 0 ? prepOnly(process.argv[prepArg + 1], !process.argv.includes('--no-check')) : main()).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
