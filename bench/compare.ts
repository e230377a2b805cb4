import { rm, stat } from 'node:fs/promises';
import { CpuSampler, CpuShare, describeCpu } from './cpu-sampler';
import { batchPhases, BenchEmulator, emulatorIntake, IntakeSource, Measured, measureRun, Row, startEmulatorProcess, writeBenchConfig } from './harness';

/** What the protocol benchmarks share: arguments, best-of rounds, and dataflowd-vs-rclone rows. */

/** Samples, from the first import on, the CPU of every process the benchmark starts. */
const cpu = new CpuSampler();

export function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

export function ok(m: Measured, what: string): Measured {
  if (m.code !== 0) throw new Error(`${what} failed (${m.code}): ${m.stderr.slice(-2000)}`);
  return m;
}

/** Runs each candidate `rounds` times, alternating, and keeps the fastest run of each. */
export async function bestOf<A, B>(rounds: number, a: () => Promise<A>, b: () => Promise<B>, secondsOf: { a: (x: A) => number; b: (x: B) => number }): Promise<[A, B]> {
  let bestA: A | undefined;
  let bestB: B | undefined;
  for (let i = 0; i < rounds; i++) {
    const x = await a();
    if (bestA === undefined || secondsOf.a(x) < secondsOf.a(bestA)) bestA = x;
    const y = await b();
    if (bestB === undefined || secondsOf.b(y) < secondsOf.b(bestB)) bestB = y;
  }
  return [bestA!, bestB!];
}

/** The fastest of `rounds` runs. */
export async function fastest<T>(rounds: number, run: () => Promise<T>, secondsOf: (x: T) => number): Promise<T> {
  let best: T | undefined;
  for (let i = 0; i < rounds; i++) {
    const x = await run();
    if (best === undefined || secondsOf(x) < secondsOf(best)) best = x;
  }
  return best!;
}

/**
 * The emulator's intake (harness.ts emulatorIntake) of a local copy of the file and of `rclone
 * cat`, fastest of `rounds` each. One PUT of the whole file is the reference, and Adobe refuses a
 * PUT above 256 MB (dataflowd sends such files in chunks), so the reference goes to an emulator
 * of its own, started like the other with that one limit lifted, in `dataDir`.
 */
export async function intakeOf(dataDir: string, file: string, command: Omit<Extract<IntakeSource, { command: string }>, 'bytes'>, rounds: number): Promise<Intake> {
  const piped = { ...command, bytes: (await stat(file)).size };
  const emulator = await startEmulatorProcess(dataDir, { largeFileBytes: Number.MAX_SAFE_INTEGER });
  try {
    const local = await fastest(rounds, () => emulatorIntake(emulator, { file }), (m) => m.seconds);
    return { local, piped: await fastest(rounds, () => emulatorIntake(emulator, piped), (m) => m.seconds) };
  } finally {
    await emulator.stop();
  }
}

export const seconds = (m: Measured) => m.seconds;
export const ratio = (ours: number, theirs: number) => `${(theirs / ours).toFixed(2)}× rclone's MB/s`;

/** A measured `dataflowd run`, with its time split into upload and the emulator's processing. */
export interface RunFigures {
  run: Measured;
  uploadSeconds: number;
  processingSeconds: number;
  /** Who used the cores during the upload phase (first batch created → last COMPLETE). */
  uploadCpu: CpuShare;
  note: string;
}

/** `dataflowd run` of every file in `folder` of the connection, into a remote emulator. */
export async function dataflowdRun(emulator: BenchEmulator, connection: object, folder = '', env: NodeJS.ProcessEnv = {}): Promise<RunFigures> {
  const dataflowYaml = ['name: bench', `source: { connection: bench, path: /${folder}, include: ["*"] }`, 'target: { dataset: bench }'].join('\n');
  const config = await writeBenchConfig({ emulatorUrl: emulator.url, connectionYaml: JSON.stringify(connection), dataflowYaml });
  try {
    const run = await measureRun(config, env);
    const result = JSON.parse(run.stdout) as { status: string; recordsOut: number; filesIngested: number; batchIds: string[] };
    const { uploadSeconds, processingSeconds, uploadWindows } = await batchPhases(emulator.url, result.batchIds);
    const uploadCpu = cpu.between(Math.min(...uploadWindows.map((w) => w[0])), Math.max(...uploadWindows.map((w) => w[1])));
    await emulator.discardUploads(result.batchIds);
    return { run, uploadSeconds, processingSeconds, uploadCpu, note: `${result.status}, ${result.filesIngested} files, ${result.recordsOut} records` };
  } finally {
    await rm(config.dir, { recursive: true, force: true });
  }
}

/** The emulator's intake of the same bytes: from a local file, and piped from the server by rclone. */
export interface Intake {
  local: Measured;
  piped: Measured;
}

/**
 * rclone copy next to dataflowd's run of the same files, and how the run's time splits. With
 * `intake`, two more references: `curl -T` of a local copy into the emulator (the most any client
 * could reach on this machine) and `rclone cat | curl -T -` (the same server and the same sink as
 * dataflowd, through the best tools piped together), and how the run's upload compares.
 */
export function runRows(label: string, bytes: number, copy: Measured, ours: RunFigures, source: string, intake?: Intake): Row[] {
  const versus = intake ? `; ${Math.round((100 * intake.local.seconds) / ours.uploadSeconds)}% of the emulator's intake, ${(intake.piped.seconds / ours.uploadSeconds).toFixed(2)}× rclone cat | curl` : '';
  // rclone's own CPU is measure()'s exact figure; the sampler adds the server's and the idle share.
  const copyCpu = cpu.between(copy.startedAt, copy.endedAt);
  const copyShare: CpuShare = { ...copyCpu, seconds: { ...copyCpu.seconds, rclone: copy.cpuSeconds } };
  const intakeRow = (name: string, m: Measured, note: string): Row => ({ name, bytes, seconds: m.seconds, peakRssMb: m.peakRssMb, cpuSeconds: m.cpuSeconds, note: `${note}: ${ratio(m.seconds, copy.seconds)}` });
  return [
    { name: `rclone copy ${label}`, bytes, seconds: copy.seconds, peakRssMb: copy.peakRssMb, cpuSeconds: copy.cpuSeconds, note: 'to a local folder (the reference)' },
    { name: '  CPU meanwhile', note: describeCpu(copyShare) },
    ...(intake
      ? [
          intakeRow(`curl PUT ${label} into the emulator`, intake.local, "local file, one PUT: the emulator's intake, the ceiling for any client here"),
          intakeRow(`rclone cat | curl PUT ${label}`, intake.piped, `${source} → emulator, one PUT, two tools piped (CPU: both)`),
          { name: '  CPU meanwhile', note: describeCpu(cpu.between(intake.piped.startedAt, intake.piped.endedAt)).replace('rclone', 'rclone and curl') },
        ]
      : []),
    { name: `dataflowd run ${label}`, bytes, seconds: ours.run.seconds, peakRssMb: ours.run.peakRssMb, cpuSeconds: ours.run.cpuSeconds, note: `${ours.note}; whole run: ${ratio(ours.run.seconds, copy.seconds)}, ${ratio(ours.run.seconds - ours.processingSeconds, copy.seconds)} without Platform's processing (issue 20's measure)` },
    { name: '  of which upload', bytes, seconds: ours.uploadSeconds, note: `${source} → Platform, batch created → COMPLETE: ${ratio(ours.uploadSeconds, copy.seconds)}${versus}` },
    { name: '  CPU in the upload', note: describeCpu(ours.uploadCpu) },
    { name: '  of which processing', bytes, seconds: ours.processingSeconds, note: "the emulator parsing and counting records (Platform's side)" },
  ];
}

export const fail = (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
};
