import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openStore } from '../src/store/open-store';
import type { Fence, Store, TakenVersion } from '../src/store/types';
import { BenchConfig, measure, Measured, nodeArgs, startEmulatorProcess, writeBenchConfig } from './harness';

/**
 * What leases and the shared store cost (issue 16).
 *
 * 1. A run of 1,000 small files (local folder → emulator process), by this build and, with
 *    `--baseline PATH/dist/src/main.js`, by a build from before leases (release 0.1: e.g.
 *    `git worktree add /tmp/r01 eccedfc && cd /tmp/r01 && npm ci`), in alternating rounds, each on
 *    a fresh state; medians.
 * 2. The store on SQLite and on PostgreSQL: file versions recorded per second (1,000 per call),
 *    ledger look-ups per second for a 100k-file listing (500 paths per call, as a scan does),
 *    lease grants + releases per second, and a fenced write against the same write unfenced.
 *
 *   npm run build && node dist/bench/leases.js [--rounds 3] [--baseline …/main.js] [--postgres postgres://postgres@127.0.0.1:5432/postgres]
 */

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROUNDS = Number(arg('--rounds') ?? 3);
const BASELINE = arg('--baseline');
const PG_ADMIN = arg('--postgres') ?? process.env.DATAFLOWD_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SMALL_FILES = 1000;
const LISTING = 100_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function runOnce(main: string, inbox: string, work: string, emulatorUrl: string): Promise<Measured> {
  const config: BenchConfig = await writeBenchConfig({ emulatorUrl, connectionYaml: `{ type: local, root: ${JSON.stringify(inbox)} }`, under: work });
  // Each run has a fresh ledger against the same emulator: this build's empty-ledger guard is told so (release 0.1 has none).
  const args = main === 'current' ? [...nodeArgs('run'), 'run', 'bench', '--accept-empty-ledger'] : ['--initial-old-space-size=128', main, 'run', 'bench'];
  const m = await measure(process.execPath, [...args, '--json', '--config', config.configDir], { env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'warn' } });
  if (m.code !== 0) throw new Error(`run failed (${m.code}): ${m.stderr.slice(-1500)}`);
  const run = JSON.parse(m.stdout) as { filesIngested: number };
  if (run.filesIngested !== SMALL_FILES) throw new Error(`expected ${SMALL_FILES} files ingested, got ${run.filesIngested}`);
  await rm(config.dir, { recursive: true, force: true });
  return m;
}

async function runCost(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-leases-'));
  const inbox = path.join(work, 'inbox');
  await mkdir(inbox);
  for (let i = 0; i < SMALL_FILES; i++) {
    await writeFile(path.join(inbox, `f${String(i).padStart(4, '0')}.json`), `${Array.from({ length: 10 }, (_, k) => JSON.stringify({ id: `r${i}-${k}`, v: k })).join('\n')}\n`);
  }
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  const builds = BASELINE ? [['release 0.1 (no leases)', BASELINE], ['this build (leases)', 'current']] : [['this build (leases)', 'current']];
  const times = new Map<string, number[]>(builds.map(([name]) => [name, []]));
  const cpu = new Map<string, number[]>(builds.map(([name]) => [name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, main] of round % 2 === 0 ? builds : [...builds].reverse()) {
        const m = await runOnce(main, inbox, work, emulator.url);
        times.get(name)!.push(m.seconds);
        cpu.get(name)!.push(m.cpuSeconds);
      }
    }
  } finally {
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(`\nA run of ${SMALL_FILES} small files, local folder → emulator (medians of ${ROUNDS} alternating rounds)\n`);
  const base = BASELINE ? median(times.get(builds[0][0])!) : undefined;
  for (const [name] of builds) {
    const t = median(times.get(name)!);
    const vs = base === undefined || name === builds[0][0] ? '' : `  ${((t / base - 1) * 100).toFixed(1)} % vs release 0.1`;
    process.stdout.write(`  ${name.padEnd(26)} ${t.toFixed(2)} s  ${median(cpu.get(name)!).toFixed(2)} s CPU${vs}\n`);
  }
}

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function storeThroughput(label: string, store: Store): Promise<void> {
  const owner = { processId: randomBytes(6).toString('hex'), host: 'bench', pid: process.pid };
  const dataflow = `bench-${randomBytes(3).toString('hex')}`;
  const lease = await store.acquireLease(dataflow, owner, { ttlMs: 600_000 });
  if (!lease.granted) throw new Error('lease not granted');
  const fence: Fence = { dataflow, token: lease.lease.token };
  const run = await store.createRun({ id: `${dataflow}-run`, dataflow, trigger: 'manual', startedAt: new Date(), owner }, fence);
  const versions: TakenVersion[] = Array.from({ length: LISTING }, (_, i) => ({
    path: `in/${i % 100}/file-${String(i).padStart(6, '0')}.json`,
    fingerprint: `${1000 + i}:${1_700_000_000_000 + i}`,
    size: 1000 + i,
    modifiedAt: new Date(1_700_000_000_000 + i),
    supersedes: null,
  }));
  const recordSeconds = await time(async () => {
    for (let i = 0; i < versions.length; i += 1000) await store.addPending(fence, run.id, versions.slice(i, i + 1000));
  });
  const lookupSeconds = await time(async () => {
    for (let i = 0; i < versions.length; i += 500) await store.latestVersions(dataflow, versions.slice(i, i + 500).map((v) => v.path));
  });
  const leaseSeconds = await time(async () => {
    for (let i = 0; i < 200; i++) {
      const other = await store.acquireLease(`${dataflow}-l${i % 10}`, owner, { ttlMs: 60_000 });
      if (other.granted) await store.releaseLease({ dataflow: other.lease.dataflow, token: other.lease.token }, owner.processId);
    }
  });
  const n = 500;
  const fenced = await time(async () => {
    for (let i = 0; i < n; i++) await store.createRun({ id: `${dataflow}-f${i}`, dataflow, trigger: 'manual', startedAt: new Date() }, fence);
  });
  const unfenced = await time(async () => {
    for (let i = 0; i < n; i++) await store.createRun({ id: `${dataflow}-u${i}`, dataflow, trigger: 'manual', startedAt: new Date() });
  });
  process.stdout.write(
    `  ${label.padEnd(10)} ${(LISTING / recordSeconds).toFixed(0).padStart(7)} versions recorded/s  ` +
      `${(LISTING / lookupSeconds).toFixed(0).padStart(7)} paths looked up/s  ` +
      `${(200 / leaseSeconds).toFixed(0).padStart(5)} lease grants+releases/s  ` +
      `write ${((unfenced / n) * 1e3).toFixed(2)} ms, fenced ${((fenced / n) * 1e3).toFixed(2)} ms\n`,
  );
}

async function storeBench(): Promise<void> {
  process.stdout.write(`\nThe store: ${LISTING} file versions, 1,000 per call; ledger look-ups of a ${LISTING}-file listing, 500 paths per call\n`);
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-store-'));
  try {
    const sqlite = await openStore(`sqlite:${path.join(work, 'state.db')}`);
    await storeThroughput('SQLite', sqlite).finally(() => sqlite.close());
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const name = `dataflowd_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    const pg = await openStore(url.toString());
    await storeThroughput('PostgreSQL', pg).finally(() => pg.close());
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  await runCost();
  await storeBench();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
