import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dataflowSchema } from '../src/config/dataflow-schema';
import { buildPrepPlan } from '../src/prep/prep-plan';
import { prepareFile } from '../src/prep/prepare';
import { measure, printTable, type Row } from './harness';

/**
 * Memory for a file whose first record is huge (issue 21: a 200 MB first line cost ~1 GB):
 * each variant prepares the file in a process of its own, output discarded, and its peak RSS
 * (VmHWM) is reported. The record is longer than the default format.maxRecordSize (64 MiB), so
 * it must come out as one rejected row, with the rows after it read as usual, and the peak must
 * stay near the limit, not a multiple of the record.
 *
 *   npm run build && node dist/bench/long-record.js [--mb 200]
 */

interface Variant {
  name: string;
  file: 'json' | 'csv';
  spec: Record<string, unknown>;
  schema?: object;
  workers?: number;
}

const PEOPLE = { type: 'object', required: ['id'], properties: { id: { type: 'string' }, note: { type: 'string' } } };

const VARIANTS: Variant[] = [
  { name: 'JSON Lines, passed through', file: 'json', spec: { format: { type: 'json' } } },
  { name: 'JSON Lines, parsed and checked', file: 'json', spec: { format: { type: 'json' } }, schema: PEOPLE },
  { name: 'CSV, main thread', file: 'csv', spec: { format: { type: 'csv' }, mapping: { auto: false, fields: [{ source: 'id', target: 'id' }, { source: 'note', target: 'note' }] } }, workers: 0 },
  { name: 'CSV, worker threads', file: 'csv', spec: { format: { type: 'csv' }, mapping: { auto: false, fields: [{ source: 'id', target: 'id' }, { source: 'note', target: 'note' }] } }, workers: 2 },
];

const FOLLOWING_ROWS = 1000;

/** The huge record first, then ordinary ones. */
async function writeFile(file: string, kind: 'json' | 'csv', mb: number): Promise<void> {
  const out = createWriteStream(file);
  const piece = 'x'.repeat(1024 * 1024);
  out.write(kind === 'json' ? '{"id":"huge","note":"' : 'id,note\nhuge,');
  for (let i = 0; i < mb; i++) if (!out.write(piece)) await once(out, 'drain');
  out.write(kind === 'json' ? '"}\n' : '\n');
  for (let i = 0; i < FOLLOWING_ROWS; i++) out.write(kind === 'json' ? `{"id":"r${i}","note":"fine"}\n` : `r${i},fine\n`);
  out.end();
  await once(out, 'finish');
}

async function child(variant: Variant, file: string): Promise<void> {
  const parsed = dataflowSchema.parse({ name: 'bench', source: { connection: 'bench' }, target: { dataset: 'bench' }, ...variant.spec });
  const df = { ...parsed, file: path.join(path.dirname(file), 'dataflows', 'bench.yaml') };
  const plan = buildPrepPlan(df, { datasetSchema: variant.schema as never });
  const { size } = await stat(file);
  const parallel = { workers: variant.workers ?? 0, blockBytes: 1024 * 1024, minBytes: 0 };
  try {
    const prepared = await prepareFile(createReadStream(file, { highWaterMark: 1024 * 1024 }), { path: path.basename(file), size }, { prep: plan }, { parallel });
    await pipeline(prepared.body, new Writable({ write: (_c, _e, done) => done() }));
    const s = prepared.stats();
    process.stdout.write(JSON.stringify({ records: s.records, failed: s.failed, firstError: s.rowErrors[0]?.message }));
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: (err as Error).message.slice(0, 200) }));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(VARIANTS[Number(args[1])], args[2]);
  const mbAt = args.indexOf('--mb');
  const mb = mbAt >= 0 ? Number(args[mbAt + 1]) : 200;
  const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-long-'));
  try {
    const files = { json: path.join(dir, 'long.json'), csv: path.join(dir, 'long.csv') };
    await writeFile(files.json, 'json', mb);
    await writeFile(files.csv, 'csv', mb);
    const rows: Row[] = [];
    for (const [i, v] of VARIANTS.entries()) {
      const m = await measure(process.execPath, [__filename, '--child', String(i), files[v.file]]);
      const out = m.stdout ? (JSON.parse(m.stdout) as { records?: number; failed?: number; firstError?: string; error?: string }) : { error: `exit ${m.code}: ${m.stderr.slice(-300)}` };
      const note = out.error ? `file failed: ${out.error}` : `${out.records} records, ${out.failed} rejected${out.firstError ? ` (${out.firstError})` : ''}`;
      rows.push({ name: v.name, bytes: (await stat(files[v.file])).size, seconds: m.seconds, peakRssMb: m.peakRssMb, cpuSeconds: m.cpuSeconds, note });
    }
    printTable(`A first record of ${mb} MiB followed by ${FOLLOWING_ROWS} ordinary ones: peak RSS per variant`, rows);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
