import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sftpConnector } from '../connectors/sftp';
import { silentLogger } from '../src/lib/logger';
import { SftpServer, startSftpServer } from '../test/servers/sftp-server';
import { measure, Measured, printTable, Row, startEmulatorProcess, writeJsonLinesFile } from './harness';
import { arg, dataflowdRun, bestOf, fail, intakeOf, ok, ratio, runRows, seconds } from './compare';

/**
 * OpenSSH sshd → emulator, next to rclone reading the same files from the same server in the
 * same run: one 1 GB JSON Lines file, then 1000 files of 100 KB.
 *
 * - read: the connector alone (`open` drained to nowhere, in a process of its own) against
 *   `rclone cat > /dev/null`: one stream each.
 * - run: `dataflowd run` against `rclone copy` to a local folder. The run's "upload" phase (batch
 *   created → COMPLETE: reading over SFTP and streaming to Platform) is what compares with
 *   rclone's copy; the emulator's parsing afterwards is Platform's side, shown apart.
 *
 * The machine is shared and noisy: each measurement is repeated (alternating rclone and
 * dataflowd) and the fastest of each kept.
 *
 *   npm run build && node dist/bench/sftp.js [--large-mb 1000] [--small 1000] [--rounds 3]
 */

interface Target {
  host: string;
  port: number;
  username: string;
  password: string;
  hostKey: string;
}

const connectionOf = (t: Target) => ({ type: 'sftp', host: t.host, port: t.port, username: t.username, password: t.password, hostKey: t.hostKey });

function targetOf(server: SftpServer): Target {
  return { host: server.host, port: server.port, username: server.username, password: server.password, hostKey: server.hostKey };
}

/** rclone with an on-the-fly remote from environment variables. Hash checks are off: they run
 *  md5sum over SSH, which `ForceCommand internal-sftp` refuses. */
function rcloneEnv(t: Target): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RCLONE_CONFIG_BENCHSFTP_TYPE: 'sftp',
    RCLONE_CONFIG_BENCHSFTP_HOST: t.host,
    RCLONE_CONFIG_BENCHSFTP_PORT: String(t.port),
    RCLONE_CONFIG_BENCHSFTP_USER: t.username,
    RCLONE_CONFIG_BENCHSFTP_PASS: execFileSync('rclone', ['obscure', t.password]).toString().trim(),
    RCLONE_CONFIG_BENCHSFTP_DISABLE_HASHCHECK: 'true',
  };
}

async function rcloneCopy(t: Target, folder: string, work: string): Promise<Measured> {
  const target = await mkdtemp(path.join(work, 'rclone-'));
  try {
    return ok(await measure('rclone', ['copy', `benchsftp:${folder}`, target], { env: rcloneEnv(t) }), 'rclone copy');
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

const rcloneCat = async (t: Target, file: string) => ok(await measure('sh', ['-c', `rclone cat "benchsftp:${file}" > /dev/null`], { env: rcloneEnv(t) }), 'rclone cat');

/** This file again, in `--read` mode: the connector alone, in a process of its own (the
 *  server's coordinates in the environment, not on a command line). */
const connectorRead = async (t: Target, file: string) =>
  ok(await measure(process.execPath, [__filename, '--read', file], { env: { ...process.env, BENCH_SFTP_TARGET: JSON.stringify(t) } }), 'connector read');

async function readMode(file: string): Promise<void> {
  const config = sftpConnector.configSchema.parse(connectionOf(JSON.parse(process.env.BENCH_SFTP_TARGET ?? '{}') as Target));
  const connector = await sftpConnector.create(config, { logger: silentLogger, baseDir: '.' });
  try {
    const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
    await pipeline(await connector.open(file, { signal: new AbortController().signal }), nowhere);
  } finally {
    await connector.close();
  }
}

async function main(): Promise<void> {
  const largeMb = arg('large-mb', 1000);
  const smallCount = arg('small', 1000);
  const rounds = arg('rounds', 3);
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-sftp-'));
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  const server = await startSftpServer();
  const t = targetOf(server);
  const rows: Row[] = [];
  try {
    // Files written as root with mode 0644 in 0755 folders: readable by the server's user.
    const largeFile = `large/records-${largeMb}mb.json`;
    const largeBytes = await writeJsonLinesFile(server.local(largeFile), largeMb * 1e6);
    const [cat, read] = await bestOf(rounds, () => rcloneCat(t, largeFile), () => connectorRead(t, largeFile), { a: seconds, b: seconds });
    rows.push({ name: `rclone cat ${largeMb} MB`, bytes: largeBytes, seconds: cat.seconds, peakRssMb: cat.peakRssMb, cpuSeconds: cat.cpuSeconds, note: 'one stream to /dev/null' });
    rows.push({ name: `sftp connector read ${largeMb} MB`, bytes: largeBytes, seconds: read.seconds, peakRssMb: read.peakRssMb, cpuSeconds: read.cpuSeconds, note: `open() drained, process start included: ${ratio(read.seconds, cat.seconds)}` });
    const [copy, ours] = await bestOf(rounds, () => rcloneCopy(t, 'large', work), () => dataflowdRun(emulator, connectionOf(t), 'large'), { a: seconds, b: (f) => f.uploadSeconds });
    const intake = await intakeOf(path.join(work, 'reference-platform'), server.local(largeFile), { command: `rclone cat "benchsftp:${largeFile}"`, env: rcloneEnv(t) }, rounds);
    rows.push(...runRows(`${largeMb} MB`, largeBytes, copy, ours, 'SFTP', intake));

    if (smallCount > 0) {
      const smallBytes = await writeJsonLinesFile(server.local('small/f0000.json'), 100_000);
      for (let i = 1; i < smallCount; i++) await copyFile(server.local('small/f0000.json'), server.local(`small/f${String(i).padStart(4, '0')}.json`));
      const [copySmall, oursSmall] = await bestOf(rounds, () => rcloneCopy(t, 'small', work), () => dataflowdRun(emulator, connectionOf(t), 'small'), { a: seconds, b: (f) => f.uploadSeconds });
      rows.push(...runRows(`${smallCount} × 100 KB`, smallBytes * smallCount, copySmall, oursSmall, 'SFTP'));
    }
  } finally {
    await server.stop();
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
  printTable(`OpenSSH sshd → Platform emulator next to rclone from the same sshd (fastest of ${rounds} rounds each)`, rows);
}

if (process.argv[2] === '--read') readMode(process.argv[3]).catch(fail);
else main().catch(fail);
