import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localConnector } from '../connectors/local';
import { fingerprint } from '../src/detect/fingerprint';
import { silentLogger } from '../src/lib/logger';
import { openStore } from '../src/store/open-store';
import type { FileVersion } from '../src/store/types';
import { measure, measureRun, printTable, startEmulatorProcess, writeBenchConfig } from './harness';

/**
 * A poll of a folder of 100k files of which none is new: the time and peak RSS of a whole
 * `dataflowd run` (list, compare with a 100k-row ledger in chunks, decide "nothing new") next to
 * a bare listing of the same folder, by `find` and by the local connector alone.
 *
 *   npm run build && node dist/bench/poll-100k.js [--files 100000]
 */
const FILES = Number(process.argv[process.argv.indexOf('--files') + 1]) || 100_000;

async function listOnly(root: string): Promise<void> {
  const connector = localConnector.create({ type: 'local', root }, { logger: silentLogger, baseDir: root });
  let n = 0;
  for await (const _ of connector.list('', { recursive: false, signal: new AbortController().signal })) n++;
  process.stdout.write(`${n}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--list-only') return listOnly(process.argv[3]);
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-poll-'));
  const inbox = path.join(work, 'inbox');
  await mkdir(inbox);
  for (let i = 0; i < FILES; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, FILES - i) }, (_, k) => writeFile(path.join(inbox, `f${String(i + k).padStart(6, '0')}.json`), `{"id":${i + k}}\n`)));
  }
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  try {
    const config = await writeBenchConfig({ emulatorUrl: emulator.url, connectionYaml: `{ type: local, root: ${JSON.stringify(inbox)} }`, under: work });
    // The ledger already knows every file, as after the runs that ingested them.
    const store = await openStore(`sqlite:${path.join(config.dir, 'state.db')}`);
    const connector = localConnector.create({ type: 'local', root: inbox }, { logger: silentLogger, baseDir: inbox });
    const traits = localConnector.traits({ type: 'local', root: inbox });
    const versions: FileVersion[] = [];
    for await (const f of connector.list('', { recursive: false, signal: new AbortController().signal })) {
      versions.push({ path: f.path, size: f.size, modifiedAt: f.modifiedAt, fingerprint: fingerprint(f, traits) });
    }
    const lease = await store.acquireLease('bench', { processId: 'bench-seed', host: 'bench', pid: 0 }, { ttlMs: 60_000 });
    if (!lease.granted) throw new Error('the seed could not take the lease');
    const fence = { dataflow: 'bench', token: lease.lease.token };
    await store.createRun({ id: 'seed', dataflow: 'bench', trigger: 'manual', startedAt: new Date() }, fence);
    const entries = await store.addPending(fence, 'seed', versions.map((v) => ({ ...v, supersedes: null })));
    await store.createBatch(fence, { id: 'seed-batch', runId: 'seed', dataset: 'bench', externalId: 'seed' });
    await store.setFileState(fence, entries.map((e) => e.id), 'ingested', { batchId: 'seed-batch' });
    await store.finishRun('seed', { status: 'succeeded', finishedAt: new Date() }, fence);
    await store.releaseLease(fence, 'bench-seed');
    await store.close();

    const find = await measure('sh', ['-c', `find "${inbox}" -type f | wc -l`]);
    const bare = await measure(process.execPath, [__filename, '--list-only', inbox]);
    const run = await measureRun(config);
    const result = JSON.parse(run.stdout) as { status: string; error: string };
    printTable(`poll of ${FILES} files, none new`, [
      { name: 'find | wc -l', bytes: 0, seconds: find.seconds, peakRssMb: find.peakRssMb, cpuSeconds: find.cpuSeconds, note: `${find.stdout.trim()} files` },
      { name: 'local connector listing alone', bytes: 0, seconds: bare.seconds, peakRssMb: bare.peakRssMb, cpuSeconds: bare.cpuSeconds, note: `${bare.stdout.trim()} files (node process)` },
      { name: 'dataflowd run (list + ledger)', bytes: 0, seconds: run.seconds, peakRssMb: run.peakRssMb, cpuSeconds: run.cpuSeconds, note: `${result.status}: ${result.error}` },
    ]);
  } finally {
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
