import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DEFAULT_UPLOAD_SETTINGS } from '../src/platform';
import { batchPhases, measureRun, printTable, Row, startEmulatorProcess, writeBenchConfig, writeJsonLinesFile } from './harness';

/**
 * One 2 GB JSON Lines file through the large-file upload (aep-api.md §2.3: INITIALIZE, PATCH
 * chunks, COMPLETE) from a local folder into the emulator, with MB/s and the peak RSS of the
 * dataflowd process: memory must stay flat, about (chunksInFlight + 1) × chunkBytes above the
 * process's own. With --gzip, the same records gzipped: the decompressed size is unknown in
 * advance, so the upload goes in chunks without a total.
 *
 *   npm run build && node dist/bench/large-file.js [--mb 2000] [--gzip]
 */
async function main(): Promise<void> {
  const mbArg = process.argv.indexOf('--mb');
  const mb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 2000;
  const gzip = process.argv.includes('--gzip');
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-large-'));
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  const rows: Row[] = [];
  try {
    const inbox = path.join(work, 'inbox');
    const file = path.join(inbox, `records-${mb}mb.json`);
    await writeJsonLinesFile(file, mb * 1e6);
    const bytes = (await stat(file)).size;
    if (gzip) {
      await pipeline(createReadStream(file), createGzip({ level: 1 }), createWriteStream(`${file}.gz`));
      await rm(file);
    }
    const config = await writeBenchConfig({ emulatorUrl: emulator.url, connectionYaml: `{ type: local, root: ${JSON.stringify(inbox)} }`, under: work });
    const run = await measureRun(config);
    const result = JSON.parse(run.stdout) as { status: string; recordsOut: number; bytes: number; batchIds: string[] };
    const phases = await batchPhases(emulator.url, result.batchIds);
    const { chunkBytes, chunksInFlight } = DEFAULT_UPLOAD_SETTINGS;
    const chunks = Math.ceil(bytes / chunkBytes);
    const how = gzip ? 'gzip, size unknown' : 'size known';
    rows.push({ name: `dataflowd run ${mb} MB (${how})`, bytes, seconds: run.seconds, peakRssMb: run.peakRssMb, cpuSeconds: run.cpuSeconds, note: `${result.status}, ${result.recordsOut} records, whole run` });
    rows.push({ name: '  of which upload', bytes, seconds: phases.uploadSeconds, note: `${chunks} chunks of ${chunkBytes / 2 ** 20} MiB, ${chunksInFlight} in flight` });
    rows.push({ name: '  of which processing', bytes, seconds: phases.processingSeconds, note: "the emulator parsing and counting records (Platform's side)" });
  } finally {
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
  printTable('large file: local folder → Platform emulator through INITIALIZE / PATCH / COMPLETE', rows);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
