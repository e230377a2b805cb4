import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../src/store/open-store';
import type { FileVersion } from '../src/store/types';
import { measureRun, startEmulatorProcess, writeBenchConfig, writeJsonLinesFile } from './harness';
import { formatPeaks, MemoryPeaks, memProbeEnv } from './mem-probe';

/**
 * One run that takes N tiny files from a local folder (issue 20, ledger at scale): where the
 * run's time goes by phase (read from its own log lines), files/s, the batches (none above
 * Platform's 1,500 files), peak RSS and CPU of the dataflowd process, and the store's write rate
 * on its own (versions recorded, then moved through a batch's states, 1,500 at a time). Run it at
 * two sizes: time per file must not grow with N.
 *
 *   npm run build && node dist/bench/ledger-scale.js [--files 100000] [--size-kb 100] [--changed-files append]
 */
const FILES = Number(process.argv[process.argv.indexOf('--files') + 1]) || 100_000;
/** `--size-kb 100`: files of that size (JSON Lines) instead of one record each, for the small-file CPU figure. */
const SIZE_KB = process.argv.includes('--size-kb') ? Number(process.argv[process.argv.indexOf('--size-kb') + 1]) : 0;
/** `--changed-files append`: the source's changedFiles (default: the dataflow's default, replace). */
const CHANGED_FILES = process.argv.includes('--changed-files') ? process.argv[process.argv.indexOf('--changed-files') + 1] : undefined;
const MAX_FILES_PER_BATCH = 1500;

interface LogLine {
  time: number;
  msg: string;
  files?: number;
}

/** Phase boundaries from the run's info lines (pino JSON on stderr). */
function phases(stderr: string): Array<[string, number]> {
  const lines = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
  const at = (msg: string, last = false) => {
    const found = lines.filter((l) => l.msg === msg);
    return (last ? found[found.length - 1] : found[0])?.time;
  };
  const started = at('run started');
  const taken = at('files taken');
  const firstBatch = at('batch created');
  const lastBatch = at('batch ingested', true);
  const finished = at('run finished');
  if ([started, taken, firstBatch, lastBatch, finished].some((t) => t === undefined)) return [];
  return [
    ['list + detect + record pending', (taken - started) / 1000],
    ['batches (upload, complete, settle, processing)', (lastBatch - firstBatch) / 1000],
    ['close the run', (finished - lastBatch) / 1000],
  ];
}

/** The store alone: N versions recorded, then moved uploading → completing → ingested 1,500 at a time. */
async function storeWriteRate(dir: string): Promise<{ insertPerSecond: number; movesPerSecond: number }> {
  const store = await openStore(`sqlite:${path.join(dir, 'rate.db')}`);
  try {
    const lease = await store.acquireLease('rate', { processId: 'bench', host: 'bench', pid: 0 }, { ttlMs: 600_000 });
    if (!lease.granted) throw new Error('the bench could not take the lease');
    const fence = { dataflow: 'rate', token: lease.lease.token };
    await store.createRun({ id: 'rate', dataflow: 'rate', trigger: 'manual', startedAt: new Date() }, fence);
    const versions: Array<FileVersion & { supersedes: null }> = Array.from({ length: FILES }, (_, i) => ({
      path: `f${String(i).padStart(7, '0')}.json`,
      fingerprint: `12:${i}`,
      size: 12,
      modifiedAt: new Date(1_700_000_000_000 + i),
      supersedes: null,
    }));
    let t = process.hrtime.bigint();
    const entries = await store.addPending(fence, 'rate', versions);
    const insertSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    for (let from = 0, seq = 0; from < entries.length; from += MAX_FILES_PER_BATCH, seq++) {
      const ids = entries.slice(from, from + MAX_FILES_PER_BATCH).map((e) => e.id);
      const id = `rate-${seq}`;
      await store.createBatch(fence, { id, runId: 'rate', dataset: 'bench', externalId: id }, [{ ids, state: 'uploading', patch: { batchId: id } }]);
      await store.updateBatch(fence, id, { state: 'completing' }, [{ ids, state: 'completing' }]);
      await store.updateBatch(fence, id, { state: 'succeeded' }, [{ ids, state: 'ingested', patch: { records: 1 } }]);
    }
    const moveSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    return { insertPerSecond: FILES / insertSeconds, movesPerSecond: (3 * FILES) / moveSeconds };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-ledger-'));
  const inbox = path.join(work, 'inbox');
  await mkdir(inbox);
  for (let i = 0; i < FILES; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, FILES - i) }, async (_, k) => {
        const file = path.join(inbox, `f${String(i + k).padStart(7, '0')}.json`);
        if (SIZE_KB > 0) await writeJsonLinesFile(file, SIZE_KB * 1000);
        else await writeFile(file, `{"id":${i + k}}\n`);
      }),
    );
  }
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  try {
    const changed = CHANGED_FILES ? `, changedFiles: ${CHANGED_FILES}` : '';
    const dataflowYaml = ['name: bench', `source: { connection: bench, path: /, include: ["*"]${changed} }`, 'target: { dataset: bench }'].join('\n');
    const config = await writeBenchConfig({ emulatorUrl: emulator.url, connectionYaml: `{ type: local, root: ${JSON.stringify(inbox)} }`, under: work, filesAtOnce: 8, dataflowYaml });
    const memFile = path.join(work, 'memory.json');
    const run = await measureRun(config, { DATAFLOWD_LOG_LEVEL: 'info', ...memProbeEnv(memFile) });
    const memory = JSON.parse(await readFile(memFile, 'utf8')) as MemoryPeaks;
    const result = JSON.parse(run.stdout) as { status: string; filesIngested: number; batchIds: string[] };
    const store = await openStore(`sqlite:${path.join(config.dir, 'state.db')}`);
    const sizes: number[] = [];
    try {
      for (const id of result.batchIds) sizes.push((await store.filesOfBatch(id)).length);
    } finally {
      await store.close();
    }
    const rate = await storeWriteRate(work);
    const out = (s: string) => process.stdout.write(`${s}\n`);
    out(`\nledger at scale: one run of ${FILES} ${SIZE_KB > 0 ? `files of ${SIZE_KB} KB` : 'tiny files'}, local folder → emulator`);
    out(`  run                 ${result.status}, ${result.filesIngested} files ingested, ${run.seconds.toFixed(1)} s wall`);
    for (const [name, s] of phases(run.stderr)) out(`    ${name.padEnd(48)} ${s.toFixed(1)} s`);
    out(`  files/s             ${(result.filesIngested / run.seconds).toFixed(0)} (${((run.seconds / FILES) * 1e3).toFixed(3)} ms wall per file)`);
    out(`  CPU                 ${run.cpuSeconds.toFixed(1)} s in dataflowd (${((run.cpuSeconds / FILES) * 1e3).toFixed(3)} ms per file)`);
    out(`  peak RSS            ${run.peakRssMb.toFixed(0)} MB (${formatPeaks(memory)})`);
    out(`  batches             ${sizes.length}, largest ${Math.max(...sizes)} files${Math.max(...sizes) > MAX_FILES_PER_BATCH ? ' — ABOVE PLATFORM’S LIMIT' : ''}`);
    out(`  store write rate    ${rate.insertPerSecond.toFixed(0)} versions/s recorded; ${rate.movesPerSecond.toFixed(0)} state moves/s (batches of ${MAX_FILES_PER_BATCH}), SQLite`);
    if (result.status !== 'succeeded' || Math.max(...sizes) > MAX_FILES_PER_BATCH) process.exitCode = 1;
  } finally {
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
