import { PlatformClient } from '../src/platform';
import { procCpu } from './cpu-sampler';
import { spawn, SpawnOptions } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

/** Benchmarks drive the built CLI as a separate process, as a user would. */
export const MAIN = path.resolve(__dirname, '..', 'src', 'main.js');

/** The V8 flags on the CLI's first line (`#!/usr/bin/env -S node FLAGS`): what users run with. */
export const CLI_V8_FLAGS = readFileSync(MAIN, 'utf8').split('\n', 1)[0].split(/\s+/).filter((word) => word.startsWith('--'));

/**
 * The emulator stands in for Platform, which runs elsewhere, yet here it shares the machine's
 * cores with the processes being measured. Taking 1 GB in makes ~16k short-lived socket buffers;
 * with V8's default 16 MB young generation collecting them cost it 1.2–1.5 s of CPU per GB,
 * with 64 MB 0.8–0.9 s (`curl -T` into it, measured from /proc). During a 1 GB chunked upload
 * from SFTP it then collected the old generation ~90 times (the CLI's first line says why); with a
 * 256 MB floor, once.
 */
const EMULATOR_V8_FLAGS = ['--max-semi-space-size=64', '--initial-old-space-size=256'];

/** With BENCH_CPU_PROF=DIR, every dataflowd and emulator process writes a V8 CPU profile under DIR/WHO. */
export function nodeArgs(who: 'run' | 'emulator'): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  const flags = who === 'emulator' ? EMULATOR_V8_FLAGS : CLI_V8_FLAGS;
  return dir ? [...flags, '--cpu-prof', `--cpu-prof-dir=${path.join(dir, who)}`, MAIN] : [...flags, MAIN];
}

export interface Measured {
  seconds: number;
  /** CPU time (user + system) the process and its children used, in seconds. */
  cpuSeconds: number;
  /** Peak resident set size of the process (VmHWM), in MB. */
  peakRssMb: number;
  /** When the command started and ended (epoch ms), for cpu-sampler.ts windows. */
  startedAt: number;
  endedAt: number;
  code: number;
  stdout: string;
  stderr: string;
}

async function vmHwmKb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of this process's children that have ended (cutime + cstime of /proc/self/stat):
 * measured commands run one at a time, so the difference across one is that command's CPU.
 */
function endedChildrenCpu(): number {
  return procCpu('self').children;
}

/**
 * Runs a command to completion, timing it and sampling its peak RSS from /proc every 50 ms
 * (VmHWM is the kernel's own high-water mark, so sampling only has to catch it before exit).
 */
export async function measure(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<Measured> {
  const cpuBefore = endedChildrenCpu();
  const startedAt = Date.now();
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  let peakKb = 0;
  const sample = async () => {
    if (child.pid === undefined) return;
    const kb = await vmHwmKb(child.pid);
    if (kb !== undefined) peakKb = Math.max(peakKb, kb);
  };
  const timer = setInterval(() => void sample(), 50);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const endedAt = Date.now();
  const cpuSeconds = endedChildrenCpu() - cpuBefore;
  return { seconds, cpuSeconds, peakRssMb: peakKb / 1024, startedAt, endedAt, code: code ?? -1, stdout, stderr };
}

/**
 * `dataflowd emulator` as its own process, so its memory is not counted as dataflowd's. It
 * serves the dataset `bench` with an open schema (records are parsed and counted, not checked).
 */
export interface BenchEmulator {
  url: string;
  stop(): Promise<void>;
  /**
   * Deletes the bytes a run uploaded, as rclone's copy is deleted after each round: files left
   * behind would be written back to this machine's slow disk during the next rounds and slow
   * them down (about 60 MB/s of writeback here, enough to halve a later round).
   */
  discardUploads(batchIds: string[]): Promise<void>;
}

/**
 * With BENCH_EMULATOR_CPU=N the emulator runs on core N alone (taskset). Started on the other
 * cores (`taskset -c 0 node dist/bench/ftp.js`), the benchmark then measures rclone and
 * dataflowd with the same CPU each, while the emulator, standing in for a Platform that runs
 * elsewhere, takes none of it.
 */
const EMULATOR_CPU = process.env.BENCH_EMULATOR_CPU;

/** `limits` lifts Adobe's limits in that emulator (`DATAFLOWD_EMULATOR_LIMITS`), for a reference upload only. */
export async function startEmulatorProcess(dataDir: string, limits?: Record<string, number>): Promise<BenchEmulator> {
  const configDir = path.join(dataDir, 'emulator-config');
  await mkdir(configDir, { recursive: true });
  await writeFile(path.join(configDir, 'open.schema.json'), JSON.stringify({ type: 'object' }));
  await writeFile(path.join(configDir, 'dataflowd.yaml'), 'platform:\n  datasets: [{ id: bench, schema: open.schema.json }]\n');
  const args = [process.execPath, ...nodeArgs('emulator'), 'emulator', '--port', '0', '--data', dataDir, '--config', configDir];
  const command = EMULATOR_CPU === undefined ? args : ['taskset', '-c', EMULATOR_CPU, ...args];
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'warn', ...(limits ? { DATAFLOWD_EMULATOR_LIMITS: JSON.stringify(limits) } : {}) } });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
    async discardUploads(batchIds) {
      for (const id of batchIds) {
        for (const part of ['files', 'landed']) await rm(path.join(dataDir, 'batches', id, part), { recursive: true, force: true });
      }
    },
  };
}

const BENCH_CREDENTIALS = { clientId: 'bench', clientSecret: 'bench-secret', orgId: 'BENCH@AdobeOrg', sandbox: 'prod', scopes: ['openid'] };

/** What an intake PUT sends: a local file, or what a shell command writes (sent chunked, size unknown). */
/** A local file, or a command's output of `bytes` bytes (Platform needs the length of a PUT: 411 without it). */
export type IntakeSource = { file: string } | { command: string; bytes: number; env?: NodeJS.ProcessEnv };

/**
 * The emulator's own intake on this machine: `curl -T` into a batch, one streamed PUT, nothing
 * else in the way. From a local file, no client of the emulator can ingest faster, so it bounds
 * every "dataflowd run" figure next to it; from `rclone cat … |`, it is what the best tools piped
 * together make of the same server and the same sink as dataflowd. The batch is aborted and its
 * bytes discarded afterwards.
 */
export async function emulatorIntake(emulator: BenchEmulator, source: IntakeSource): Promise<Measured> {
  const client = new PlatformClient({ endpoint: emulator.url, imsEndpoint: emulator.url, ...BENCH_CREDENTIALS });
  try {
    const batch = await client.createBatch({ datasetId: 'bench', format: 'json' });
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'bench', client_secret: 'bench-secret', scope: 'openid' });
    const token = (await (await fetch(`${emulator.url}/ims/token/v3`, { method: 'POST', body: form })).json()) as { access_token: string };
    const url = `${emulator.url}/data/foundation/import/batches/${batch.id}/datasets/bench/files/records.json`;
    // curl streams stdin chunked; Platform needs the length, so the size is given and chunking turned off.
    const length = 'file' in source ? [] : [`content-length: ${source.bytes}`, 'transfer-encoding:'];
    const headers = [...length, 'content-type: application/octet-stream', `authorization: Bearer ${token.access_token}`, 'x-api-key: bench', 'x-gw-ims-org-id: BENCH@AdobeOrg', 'x-sandbox-name: prod'];
    const curl = ['-sS', '--fail', '-T', 'file' in source ? source.file : '-', ...headers.flatMap((h) => ['-H', h]), url];
    const m =
      'file' in source
        ? await measure('curl', curl)
        : await measure('bash', ['-c', 'set -o pipefail; eval "$0" | curl "$@"', source.command, ...curl], { env: source.env });
    if (m.code !== 0) throw new Error(`curl PUT into the emulator failed (${m.code}): ${m.stderr}`);
    await client.abortBatch(batch.id);
    await emulator.discardUploads([batch.id]);
    return m;
  } finally {
    await client.close();
  }
}

export interface BenchConfig {
  dir: string;
  configDir: string;
}

/**
 * A config folder whose dataflow `bench` reads `connectionYaml` (the `bench` connection) into the
 * dataset `bench` of a remote emulator, with no schema so the emulator only counts records. It is
 * made under `under` (default the system's temporary folder), whose removal takes it along.
 */
export async function writeBenchConfig(opts: { emulatorUrl: string; connectionYaml: string; dataflowYaml?: string; filesAtOnce?: number; under?: string }): Promise<BenchConfig> {
  const dir = await mkdtemp(path.join(opts.under ?? tmpdir(), 'dataflowd-bench-'));
  const configDir = path.join(dir, 'config');
  await mkdir(path.join(configDir, 'dataflows'), { recursive: true });
  await writeFile(path.join(configDir, 'open.schema.json'), JSON.stringify({ type: 'object' }));
  await writeFile(
    path.join(configDir, 'dataflowd.yaml'),
    [
      'platform:',
      '  mode: aep',
      `  endpoint: ${opts.emulatorUrl}`,
      `  imsEndpoint: ${opts.emulatorUrl}`,
      '  clientId: bench',
      '  clientSecret: bench-secret',
      '  orgId: BENCH@AdobeOrg',
      '  datasets: [{ id: bench, schema: open.schema.json }]',
      'state:',
      `  url: sqlite:${path.join(dir, 'state.db')}`,
      'limits:',
      `  files: ${opts.filesAtOnce ?? 4}`,
      'connections:',
      `  bench: ${opts.connectionYaml}`,
    ].join('\n'),
  );
  await writeFile(
    path.join(configDir, 'dataflows', 'bench.yaml'),
    opts.dataflowYaml ?? ['name: bench', 'source: { connection: bench, path: /, include: ["*"] }', 'target: { dataset: bench }'].join('\n'),
  );
  return { dir, configDir };
}

/** Writes `bytes` of JSON Lines records, streamed, without holding the file in memory. */
export async function writeJsonLinesFile(file: string, bytes: number): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  let written = 0;
  let i = 0;
  while (written < bytes) {
    const lines: string[] = [];
    for (let k = 0; k < 1000 && written < bytes; k++, i++) {
      const line = `{"id":"r${i}","email":"user${i}@example.com","points":${(i * 7919) % 100000},"note":"${'x'.repeat(i % 64)}"}\n`;
      lines.push(line);
      written += line.length;
    }
    if (!out.write(lines.join(''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return written;
}

export interface Row {
  name: string;
  /** Without bytes and seconds, a row of detail under the one above it. */
  bytes?: number;
  seconds?: number;
  peakRssMb?: number;
  cpuSeconds?: number;
  note?: string;
}

export function printTable(title: string, rows: Row[]): void {
  process.stdout.write(`\n${title}\n`);
  const lines = rows.map((r) =>
    r.bytes === undefined || r.seconds === undefined
      ? [r.name, '', '', '', '', '', r.note ?? '']
      : [
          r.name,
          `${(r.bytes / 1e6).toFixed(0)} MB`,
          `${r.seconds.toFixed(2)} s`,
          `${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s`,
          r.peakRssMb === undefined ? '-' : `${r.peakRssMb.toFixed(0)} MB RSS`,
          r.cpuSeconds === undefined ? '-' : `${r.cpuSeconds.toFixed(2)} s CPU`,
          r.note ?? '',
        ],
  );
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) process.stdout.write(`  ${l.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
}

/** dataflowd's run of the bench dataflow, measured; throws when the run did not succeed. */
export async function measureRun(config: BenchConfig, env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  // Every round starts a fresh ledger against the same emulator, on purpose: without the flag the
  // empty-ledger guard refuses the second round (Platform already holds the first one's batches).
  const m = await measure(process.execPath, [...nodeArgs('run'), 'run', 'bench', '--json', '--accept-empty-ledger', '--config', config.configDir], {
    env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'warn', ...env },
  });
  if (m.code !== 0) throw new Error(`dataflowd run failed (${m.code}): ${m.stderr.slice(-2000)}\n${m.stdout}`);
  return m;
}

export interface BatchPhases {
  uploadSeconds: number;
  processingSeconds: number;
  /** Each batch's upload phase as [created, COMPLETE received] (epoch ms). */
  uploadWindows: Array<[number, number]>;
}

/**
 * How a run's time splits between dataflowd's upload (batch created → COMPLETE received) and
 * the emulator's own processing (COMPLETE → final), read from the emulator's batch objects.
 */
export async function batchPhases(emulatorUrl: string, batchIds: string[]): Promise<BatchPhases> {
  const client = new PlatformClient({ endpoint: emulatorUrl, imsEndpoint: emulatorUrl, ...BENCH_CREDENTIALS });
  let uploadMs = 0;
  let processingMs = 0;
  const uploadWindows: Array<[number, number]> = [];
  try {
    for (const id of batchIds) {
      const raw = (await client.getBatch(id)).raw as { created: number; started?: number; completed?: number };
      const started = raw.started ?? raw.created;
      uploadMs += started - raw.created;
      processingMs += (raw.completed ?? started) - started;
      uploadWindows.push([raw.created, started]);
    }
  } finally {
    await client.close();
  }
  return { uploadSeconds: uploadMs / 1000, processingSeconds: processingMs / 1000, uploadWindows };
}
