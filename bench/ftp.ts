import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ftpConnector } from '../connectors/ftp';
import { silentLogger } from '../src/lib/logger';
import { startVsftpd } from '../test/servers/ftp-server';
import { measure, Measured, printTable, Row, startEmulatorProcess, writeJsonLinesFile } from './harness';
import { arg, dataflowdRun, bestOf, fail, intakeOf, ok, ratio, runRows, seconds } from './compare';

/**
 * vsftpd (plain FTP, passive mode) → emulator, next to rclone reading the same files from the
 * same server in the same run: one 1 GB JSON Lines file, then 1000 files of 100 KB.
 *
 * - read: the connector alone (`open` drained to nowhere, in a process of its own) against
 *   `rclone cat > /dev/null`: one stream each.
 * - run: `dataflowd run` against `rclone copy` to a local folder. The run's "upload" phase (batch
 *   created → COMPLETE: reading over FTP and streaming to Platform) is what compares with
 *   rclone's copy; the emulator's parsing afterwards is Platform's side, shown apart.
 *
 * The machine is shared and noisy: each measurement is repeated (alternating rclone and
 * dataflowd) and the fastest of each kept.
 *
 *   npm run build && node dist/bench/ftp.js [--large-mb 1000] [--small 1000] [--rounds 3]
 */

interface Target {
  host: string;
  port: number;
  username: string;
  password: string;
}

const connectionOf = (t: Target) => ({ type: 'ftp', host: t.host, port: t.port, username: t.username, password: t.password });

/** rclone with an on-the-fly remote from environment variables. */
function rcloneEnv(t: Target): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RCLONE_CONFIG_BENCHFTP_TYPE: 'ftp',
    RCLONE_CONFIG_BENCHFTP_HOST: t.host,
    RCLONE_CONFIG_BENCHFTP_PORT: String(t.port),
    RCLONE_CONFIG_BENCHFTP_USER: t.username,
    RCLONE_CONFIG_BENCHFTP_PASS: execFileSync('rclone', ['obscure', t.password]).toString().trim(),
  };
}

async function rcloneCopy(t: Target, folder: string, work: string): Promise<Measured> {
  const target = await mkdtemp(path.join(work, 'rclone-'));
  try {
    // One stream per file, as dataflowd reads: rclone's multi-thread download of large files
    // (ranges over several sessions, each cut short) makes vsftpd answer 426 now and then.
    return ok(await measure('rclone', ['copy', '--multi-thread-streams', '0', `benchftp:${folder}`, target], { env: rcloneEnv(t) }), 'rclone copy');
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

const rcloneCat = async (t: Target, file: string) => ok(await measure('sh', ['-c', `rclone cat "benchftp:${file}" > /dev/null`], { env: rcloneEnv(t) }), 'rclone cat');

/** This file again, in `--read` mode: the connector alone, in a process of its own (the
 *  server's coordinates in the environment, not on a command line). */
const connectorRead = async (t: Target, file: string) =>
  ok(await measure(process.execPath, [__filename, '--read', file], { env: { ...process.env, BENCH_FTP_TARGET: JSON.stringify(t) } }), 'connector read');

async function readMode(file: string): Promise<void> {
  const config = ftpConnector.configSchema.parse(connectionOf(JSON.parse(process.env.BENCH_FTP_TARGET ?? '{}') as Target));
  const connector = await ftpConnector.create(config, { logger: silentLogger, baseDir: '.' });
  try {
    const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
    const started = process.hrtime.bigint();
    await pipeline(await connector.open(file, { signal: new AbortController().signal }), nowhere);
    process.stdout.write(`${JSON.stringify({ transferSeconds: Number(process.hrtime.bigint() - started) / 1e9 })}\n`);
  } finally {
    await connector.close();
  }
}

async function main(): Promise<void> {
  const largeMb = arg('large-mb', 1000);
  const smallCount = arg('small', 1000);
  const rounds = arg('rounds', 3);
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-ftp-'));
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  const server = await startVsftpd();
  const t: Target = { host: server.host, port: server.port, username: server.username, password: server.password };
  const rows: Row[] = [];
  try {
    // Files written as root with mode 0644 in 0755 folders: readable by the server's user.
    const largeFile = `large/records-${largeMb}mb.json`;
    const largeBytes = await writeJsonLinesFile(server.local(largeFile), largeMb * 1e6);
    const [cat, read] = await bestOf(rounds, () => rcloneCat(t, largeFile), () => connectorRead(t, largeFile), { a: seconds, b: seconds });
    rows.push({ name: `rclone cat ${largeMb} MB`, bytes: largeBytes, seconds: cat.seconds, peakRssMb: cat.peakRssMb, cpuSeconds: cat.cpuSeconds, note: 'one stream to /dev/null' });
    rows.push({ name: `ftp connector read ${largeMb} MB`, bytes: largeBytes, seconds: read.seconds, peakRssMb: read.peakRssMb, cpuSeconds: read.cpuSeconds, note: `open() drained, process start included: ${ratio(read.seconds, cat.seconds)}` });
    const transfer = (JSON.parse(read.stdout) as { transferSeconds: number }).transferSeconds;
    rows.push({ name: '  of which the transfer', bytes: largeBytes, seconds: transfer, note: `open() → end, without node's start: ${ratio(transfer, cat.seconds)}` });
    const [copy, ours] = await bestOf(rounds, () => rcloneCopy(t, 'large', work), () => dataflowdRun(emulator, connectionOf(t), 'large'), { a: seconds, b: (f) => f.uploadSeconds });
    const intake = await intakeOf(path.join(work, 'reference-platform'), server.local(largeFile), { command: `rclone cat "benchftp:${largeFile}"`, env: rcloneEnv(t) }, rounds);
    rows.push(...runRows(`${largeMb} MB`, largeBytes, copy, ours, 'FTP', intake));

    if (smallCount > 0) {
      const smallBytes = await writeJsonLinesFile(server.local('small/f0000.json'), 100_000);
      for (let i = 1; i < smallCount; i++) await copyFile(server.local('small/f0000.json'), server.local(`small/f${String(i).padStart(4, '0')}.json`));
      const [copySmall, oursSmall] = await bestOf(rounds, () => rcloneCopy(t, 'small', work), () => dataflowdRun(emulator, connectionOf(t), 'small'), { a: seconds, b: (f) => f.uploadSeconds });
      rows.push(...runRows(`${smallCount} × 100 KB`, smallBytes * smallCount, copySmall, oursSmall, 'FTP'));
    }
  } finally {
    await server.stop();
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
  printTable(`vsftpd (plain FTP) → Platform emulator next to rclone from the same vsftpd (fastest of ${rounds} rounds each)`, rows);
}

if (process.argv[2] === '--read') readMode(process.argv[3]).catch(fail);
else main().catch(fail);
