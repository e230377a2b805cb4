import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { printedPort, stopProcess } from './processes';

/** The credentials s3rver accepts (it checks the key id; it does not verify V4 signatures). */
export const S3RVER_KEY = 'S3RVER';

/** Next to this file under jest; from dist/test/servers (a compiled bench), back in the sources. */
function launcher(): string {
  const candidates = [path.join(__dirname, 's3rver-launcher.mjs'), path.resolve(__dirname, '..', '..', '..', 'test', 'servers', 's3rver-launcher.mjs')];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) throw new Error(`s3rver-launcher.mjs not found (looked in ${candidates.join(', ')})`);
  return found;
}

export interface S3TestServer {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  /** The folder s3rver keeps its buckets in. */
  directory: string;
  pid: number;
  /** A client for the test's own writes and reads, behind the connector's back. */
  client: S3Client;
  put(bucket: string, key: string, data: Buffer | string): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  read(bucket: string, key: string): Promise<Buffer | undefined>;
  remove(bucket: string, key: string): Promise<void>;
  /** Kills the server by its pid, waits for it to exit and deletes its folder. Idempotent. */
  stop(): Promise<void>;
}

function s3rverInstalled(): boolean {
  try {
    require.resolve('s3rver');
    return true;
  } catch {
    return false;
  }
}

/**
 * s3rver on 127.0.0.1, on a free port, in a temporary folder, with the given buckets. It runs as
 * its own `node --openssl-legacy-provider` process (see s3rver-launcher.mjs); ready when the
 * launcher prints its port, within a bounded wait.
 */
export async function startS3Server(buckets: readonly string[]): Promise<S3TestServer> {
  if (!s3rverInstalled()) throw new Error('s3rver is missing: it is a devDependency of dataflowd; run `npm ci`');
  const script = launcher();
  const directory = await mkdtemp(path.join(tmpdir(), 'dataflowd-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', script, directory, buckets.join(',')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let port: number;
  try {
    port = await printedPort('s3rver', child, (out) => {
      const line = /^(\{.*\})$/m.exec(out);
      return line ? (JSON.parse(line[1]) as { port: number }).port : undefined;
    });
  } catch (err) {
    await stopProcess(child);
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = testClient(endpoint);
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    directory,
    pid: child.pid!,
    client,
    async put(bucket, key, data) {
      // An explicit length: the SDK takes an empty body for a stream of unknown length, and warns.
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentLength: Buffer.byteLength(data) }));
    },
    async read(bucket, key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    async remove(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    stop() {
      stopped ??= (async () => {
        client.destroy();
        await stopProcess(child);
        await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/**
 * A client that sends checksums only when an operation requires them: with the SDK's defaults a
 * streamed PutObject reaches s3rver with the checksum framing in the stored bytes (testbed.md).
 */
export function testClient(endpoint: string, credentials = { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY }): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
