import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { batchPhases, measure, measureRun, printTable, Row, startEmulatorProcess, writeBenchConfig, writeJsonLinesFile } from './harness';

/**
 * local → emulator: one 100 MB and one 1 GB JSON Lines file, each its own run, with MB/s and
 * peak RSS of the dataflowd process. Memory must not grow with file size. `cat` of the same file
 * is the ceiling of reading it.
 *
 *   npm run build && node dist/bench/local.js [--sizes 100,1000]
 */
async function main(): Promise<void> {
  const sizesArg = process.argv.indexOf('--sizes');
  const sizesMb = sizesArg > 0 ? process.argv[sizesArg + 1].split(',').map(Number) : [100, 1000];
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-local-'));
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  const rows: Row[] = [];
  try {
    for (const mb of sizesMb) {
      const inbox = path.join(work, `inbox-${mb}`);
      const file = path.join(inbox, `records-${mb}mb.json`);
      await writeJsonLinesFile(file, mb * 1e6);
      const bytes = (await stat(file)).size;
      const cat = await measure('sh', ['-c', `cat "${file}" > /dev/null`]);
      rows.push({ name: `cat ${mb} MB`, bytes, seconds: cat.seconds, peakRssMb: cat.peakRssMb, cpuSeconds: cat.cpuSeconds, note: 'read ceiling' });
      const config = await writeBenchConfig({ emulatorUrl: emulator.url, connectionYaml: `{ type: local, root: ${JSON.stringify(inbox)} }`, under: work });
      const run = await measureRun(config);
      const result = JSON.parse(run.stdout) as { status: string; recordsOut: number; batchIds: string[] };
      const phases = await batchPhases(emulator.url, result.batchIds);
      rows.push({ name: `dataflowd run ${mb} MB`, bytes, seconds: run.seconds, peakRssMb: run.peakRssMb, cpuSeconds: run.cpuSeconds, note: `${result.status}, ${result.recordsOut} records, whole run` });
      rows.push({ name: `  of which upload`, bytes, seconds: phases.uploadSeconds, note: 'batch created → COMPLETE (dataflowd reading + streaming)' });
      rows.push({ name: `  of which processing`, bytes, seconds: phases.processingSeconds, note: "the emulator parsing and counting records (Platform's side)" });
      await rm(inbox, { recursive: true, force: true });
    }
  } finally {
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
  printTable('local folder → Platform emulator (includes batch create, upload, complete and processing)', rows);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
