import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { nodeArgs, startEmulatorProcess, writeBenchConfig } from './harness';
import { formatPeaks, MemoryPeaks, memProbeEnv } from './mem-probe';

/**
 * Peak RSS of `dataflowd start` with many dataflows polling (issue 20: at most 150 MB): each
 * reads its own local folder of a few small files every 2 s, so the first runs ingest and the
 * later ones find nothing new. Stops once every dataflow has finished `--runs` runs.
 *
 *   npm run build && node dist/bench/daemon-memory.js [--dataflows 50] [--files 20] [--runs 4]
 */
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const DATAFLOWS = arg('--dataflows', 50);
const FILES = arg('--files', 20);
const RUNS = arg('--runs', 4);

async function vmHwmMb(pid: number): Promise<number> {
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-daemon-'));
  const inbox = path.join(work, 'inbox');
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  try {
    const names = Array.from({ length: DATAFLOWS }, (_, i) => `df${String(i).padStart(2, '0')}`);
    for (const name of names) {
      await mkdir(path.join(inbox, name), { recursive: true });
      for (let k = 0; k < FILES; k++) await writeFile(path.join(inbox, name, `f${k}.json`), `${'{"id":1,"note":"small file"}\n'.repeat(100)}`);
    }
    const config = await writeBenchConfig({ emulatorUrl: emulator.url, connectionYaml: `{ type: local, root: ${JSON.stringify(inbox)} }`, under: work });
    await appendFile(path.join(config.configDir, 'dataflowd.yaml'), '\nhttp:\n  listen: 127.0.0.1:0\n');
    await rm(path.join(config.configDir, 'dataflows', 'bench.yaml'));
    for (const name of names) {
      const yaml = [`name: ${name}`, `source: { connection: bench, path: /${name} }`, 'target: { dataset: bench }', "schedule: { cron: '*/2 * * * * *' }"];
      await writeFile(path.join(config.configDir, 'dataflows', `${name}.yaml`), yaml.join('\n'));
    }
    const memFile = path.join(work, 'memory.json');
    const started = Date.now();
    const child = spawn(process.execPath, [...nodeArgs('run'), 'start', '--config', config.configDir], {
      env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'info', ...memProbeEnv(memFile) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const finished = new Map<string, number>();
    let peakMb = 0;
    const sampler = setInterval(() => void vmHwmMb(child.pid as number).then((mb) => (peakMb = Math.max(peakMb, mb)), () => undefined), 100);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`dataflowd start exited with ${code}`)));
      createInterface({ input: child.stderr! }).on('line', (line) => {
        if (!line.includes('"run finished"')) return;
        const { dataflow } = JSON.parse(line) as { dataflow: string };
        finished.set(dataflow, (finished.get(dataflow) ?? 0) + 1);
        if (finished.size === DATAFLOWS && [...finished.values()].every((n) => n >= RUNS)) resolve();
      });
    });
    peakMb = Math.max(peakMb, await vmHwmMb(child.pid as number));
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    const runs = [...finished.values()].reduce((a, n) => a + n, 0);
    child.kill('SIGTERM');
    await once(child, 'exit');
    const memory = JSON.parse(await readFile(memFile, 'utf8')) as MemoryPeaks;
    process.stdout.write(`\ndaemon with ${DATAFLOWS} dataflows polling local folders of ${FILES} files each (every 2 s)\n`);
    process.stdout.write(`  ${runs} runs in ${seconds.toFixed(0)} s (${DATAFLOWS * FILES} files ingested by the first runs, then polls)\n`);
    process.stdout.write(`  peak RSS ${peakMb.toFixed(0)} MB (${formatPeaks(memory)})\n`);
  } finally {
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
