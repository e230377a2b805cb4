import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { s3Connector } from '../connectors/s3';
import { silentLogger } from '../src/lib/logger';
import { S3RVER_KEY, S3TestServer, startS3Server } from '../test/servers/s3-server';
import { measure, Measured, printTable, Row, startEmulatorProcess, writeJsonLinesFile } from './harness';
import { arg, dataflowdRun, fail, intakeOf, ok, ratio, runRows, seconds } from './compare';

/**
 * s3rver → emulator, next to rclone reading the same objects from the same server in the same
 * run: one 1 GB JSON Lines object, then 1000 objects of 100 KB.
 *
 * - read: the connector alone (`open` drained to nowhere, in a process of its own) against
 *   `rclone cat > /dev/null`: one stream each, the connector's own figure.
 * - run: `dataflowd run` against `rclone copy` to a local folder. Its "upload" phase (batch
 *   created → COMPLETE: reading from S3 and streaming to Platform) is what compares with
 *   rclone's copy; the emulator's parsing afterwards is Platform's side, shown apart.
 *
 * The machine is shared and noisy: each measurement is repeated (alternating rclone and
 * dataflowd) and the median of each kept.
 *
 *   npm run build && node dist/bench/s3.js [--large-mb 1000] [--small 1000] [--rounds 3] [--read-rounds 5]
 */
const BUCKET = 'bench';

const connectionOf = (endpoint: string, prefix?: string) => ({
  type: 's3',
  bucket: BUCKET,
  prefix,
  endpoint,
  forcePathStyle: true,
  accessKeyId: S3RVER_KEY,
  secretAccessKey: S3RVER_KEY,
});

async function upload(s3: S3TestServer, key: string, file: string): Promise<void> {
  const size = (await stat(file)).size;
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: createReadStream(file), ContentLength: size }));
}

/** rclone with an on-the-fly remote from environment variables; without AWS_CA_BUNDLE, which
 *  makes it refuse a plain-HTTP endpoint (testbed.md). */
function rcloneEnv(s3: S3TestServer): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_BENCHS3_TYPE: 's3',
    RCLONE_CONFIG_BENCHS3_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCHS3_ACCESS_KEY_ID: S3RVER_KEY,
    RCLONE_CONFIG_BENCHS3_SECRET_ACCESS_KEY: S3RVER_KEY,
    RCLONE_CONFIG_BENCHS3_ENDPOINT: s3.endpoint,
    RCLONE_CONFIG_BENCHS3_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_BENCHS3_REGION: 'us-east-1',
  };
  delete env.AWS_CA_BUNDLE;
  return env;
}

async function rcloneCopy(s3: S3TestServer, prefix: string, work: string): Promise<Measured> {
  const target = await mkdtemp(path.join(work, 'rclone-'));
  try {
    return ok(await measure('rclone', ['copy', `benchs3:${BUCKET}/${prefix}`, target], { env: rcloneEnv(s3) }), 'rclone copy');
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

const rcloneCat = async (s3: S3TestServer, key: string) =>
  ok(await measure('sh', ['-c', `rclone cat "benchs3:${BUCKET}/${key}" > /dev/null`], { env: rcloneEnv(s3) }), 'rclone cat');

/**
 * This file again, in `--read` mode: the connector alone, in a process of its own (for its peak
 * RSS). Its seconds are those it reports, from `open` to the last byte: loading the SDK takes
 * Node half a second, which is start-up, not reading.
 */
async function connectorRead(s3: S3TestServer, key: string): Promise<Measured> {
  const m = ok(await measure(process.execPath, [__filename, '--read', s3.endpoint, key], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } }), 'connector read');
  return { ...m, seconds: (JSON.parse(m.stdout) as { seconds: number }).seconds };
}

async function readMode(endpoint: string, key: string): Promise<void> {
  const config = s3Connector.configSchema.parse(connectionOf(endpoint));
  const connector = await s3Connector.create(config, { logger: silentLogger, baseDir: '.' });
  try {
    const started = process.hrtime.bigint();
    const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
    await pipeline(await connector.open(key, { signal: new AbortController().signal }), nowhere);
    process.stdout.write(`${JSON.stringify({ seconds: Number(process.hrtime.bigint() - started) / 1e9 })}\n`);
  } finally {
    await connector.close();
  }
}

/**
 * Runs each candidate `rounds` times, alternating, and keeps the median run of each: on a shared
 * machine single runs swing by 2×, and the fastest of a few would compare outliers.
 */
async function medianOf<A, B>(rounds: number, a: () => Promise<A>, b: () => Promise<B>, secondsOf: { a: (x: A) => number; b: (x: B) => number }): Promise<[A, B]> {
  const as: A[] = [];
  const bs: B[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(await a());
    bs.push(await b());
  }
  const median = <T>(xs: T[], by: (x: T) => number): T => [...xs].sort((x, y) => by(x) - by(y))[Math.floor(xs.length / 2)];
  return [median(as, secondsOf.a), median(bs, secondsOf.b)];
}

async function main(): Promise<void> {
  const largeMb = arg('large-mb', 1000);
  const smallCount = arg('small', 1000);
  const rounds = arg('rounds', 3);
  const readRounds = arg('read-rounds', 5);
  const work = await mkdtemp(path.join(tmpdir(), 'dataflowd-bench-s3-'));
  const emulator = await startEmulatorProcess(path.join(work, 'platform'));
  const s3 = await startS3Server([BUCKET]);
  const rows: Row[] = [];
  try {
    const large = path.join(work, 'large.json');
    const largeBytes = await writeJsonLinesFile(large, largeMb * 1e6);
    const largeKey = `large/records-${largeMb}mb.json`;
    await upload(s3, largeKey, large);
    const intake = await intakeOf(path.join(work, 'reference-platform'), large, { command: `rclone cat "benchs3:${BUCKET}/${largeKey}"`, env: rcloneEnv(s3) }, rounds);
    await rm(large);
    const [cat, read] = await medianOf(readRounds, () => rcloneCat(s3, largeKey), () => connectorRead(s3, largeKey), { a: seconds, b: seconds });
    rows.push({ name: `rclone cat ${largeMb} MB`, bytes: largeBytes, seconds: cat.seconds, peakRssMb: cat.peakRssMb, cpuSeconds: cat.cpuSeconds, note: 'one stream to /dev/null' });
    rows.push({ name: `s3 connector read ${largeMb} MB`, bytes: largeBytes, seconds: read.seconds, peakRssMb: read.peakRssMb, cpuSeconds: read.cpuSeconds, note: `open() → last byte, to nowhere: ${ratio(read.seconds, cat.seconds)}` });
    const [copy, ours] = await medianOf(rounds, () => rcloneCopy(s3, 'large', work), () => dataflowdRun(emulator, connectionOf(s3.endpoint, 'large'), '', { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }), { a: seconds, b: (f) => f.uploadSeconds });
    rows.push(...runRows(`${largeMb} MB`, largeBytes, copy, ours, 'S3', intake));

    if (smallCount > 0) {
      const small = path.join(work, 'small.json');
      const smallBytes = await writeJsonLinesFile(small, 100_000);
      for (let i = 0; i < smallCount; i++) await upload(s3, `small/f${String(i).padStart(4, '0')}.json`, small);
      const [copySmall, oursSmall] = await medianOf(rounds, () => rcloneCopy(s3, 'small', work), () => dataflowdRun(emulator, connectionOf(s3.endpoint, 'small'), '', { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }), { a: seconds, b: (f) => f.uploadSeconds });
      rows.push(...runRows(`${smallCount} × 100 KB`, smallBytes * smallCount, copySmall, oursSmall, 'S3'));
    }
  } finally {
    await s3.stop();
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
  printTable(`s3rver → Platform emulator next to rclone from the same s3rver (median of ${readRounds} reads and ${rounds} runs each)`, rows);
}

if (process.argv[2] === '--read') readMode(process.argv[3], process.argv[4]).catch(fail);
else main().catch(fail);
