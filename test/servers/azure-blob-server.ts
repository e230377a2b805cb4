import {
  AccountSASPermissions,
  BlobServiceClient,
  ContainerSASPermissions,
  generateAccountSASQueryParameters,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { printedPort, stopProcess } from './processes';

/** Azurite's well-known development account (testbed.md); it accepts no other. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteServer {
  port: number;
  /** http://127.0.0.1:PORT/devstoreaccount1 */
  accountUrl: string;
  connectionString: string;
  /** The folder Azurite keeps its blobs and database in. */
  location: string;
  pid: number;
  /** A client for the test's own writes and reads, behind the connector's back. */
  service: BlobServiceClient;
  createContainer(container: string): Promise<void>;
  put(container: string, name: string, data: Buffer | string, metadata?: Record<string, string>): Promise<void>;
  /** A blob whose name is taken literally, '..' and '.' segments included, which the SDK (like any
   *  URL parser) would resolve away. `rawName` is percent-encoded as it goes on the wire. */
  putRawName(container: string, rawName: string, data: string): Promise<void>;
  /** The blob's bytes, or undefined when there is none. */
  read(container: string, name: string): Promise<Buffer | undefined>;
  remove(container: string, name: string): Promise<void>;
  /** An account SAS for the blob service, e.g. permissions 'rl' (read, list). */
  accountSas(permissions: string, expiresOn?: Date): string;
  /** A container SAS, e.g. permissions 'rl'. */
  containerSas(container: string, permissions: string): string;
  /** Kills Azurite by its pid, waits for it to exit and deletes its folder. Idempotent. */
  stop(): Promise<void>;
}

function azuriteMain(): string {
  try {
    return require.resolve('azurite/dist/src/blob/main.js');
  } catch {
    throw new Error('azurite is missing: it is a devDependency of dataflowd (pinned to 3.35.0); run `npm ci`');
  }
}

/**
 * Azurite's blob service on 127.0.0.1, on a port the kernel picks (`--blobPort 0`, read back
 * from its banner), in a temporary folder. `--disableTelemetry` always: without it Azurite
 * tries to reach a public address (testbed.md).
 */
export async function startAzurite(opts: { v8Flags?: string[] } = {}): Promise<AzuriteServer> {
  const main = azuriteMain();
  const location = await mkdtemp(path.join(tmpdir(), 'dataflowd-azurite-'));
  const args = ['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location, '--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry'];
  const child = spawn(process.execPath, [...(opts.v8Flags ?? []), main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let port: number;
  try {
    port = await printedPort('Azurite', child, (out) => {
      const banner = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      return banner ? Number(banner[1]) : undefined;
    });
  } catch (err) {
    await stopProcess(child);
    await rm(location, { recursive: true, force: true });
    throw err;
  }
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${accountUrl};`;
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const service = new BlobServiceClient(accountUrl, credential);
  const accountSas = (permissions: string, expiresOn = new Date(Date.now() + 3_600_000)) =>
    generateAccountSASQueryParameters(
      { expiresOn, permissions: AccountSASPermissions.parse(permissions), resourceTypes: 'sco', services: 'b' },
      credential,
    ).toString();
  let stopped: Promise<void> | undefined;
  return {
    port,
    accountUrl,
    connectionString,
    location,
    pid: child.pid!,
    service,
    async createContainer(container) {
      await service.getContainerClient(container).createIfNotExists();
    },
    async put(container, name, data, metadata) {
      await service.getContainerClient(container).getBlockBlobClient(name).upload(data, Buffer.byteLength(data), { metadata });
    },
    putRawName: (container, rawName, data) => putRaw(`/${AZURITE_ACCOUNT}/${container}/${rawName}?${accountSas('rwc')}`, port, data),
    async read(container, name) {
      try {
        return await service.getContainerClient(container).getBlobClient(name).downloadToBuffer();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async remove(container, name) {
      await service.getContainerClient(container).getBlobClient(name).delete();
    },
    accountSas,
    containerSas: (container, permissions) =>
      generateBlobSASQueryParameters(
        { containerName: container, expiresOn: new Date(Date.now() + 3_600_000), permissions: ContainerSASPermissions.parse(permissions) },
        credential,
      ).toString(),
    stop() {
      stopped ??= (async () => {
        await stopProcess(child);
        await rm(location, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** A Put Blob by plain HTTP: node:http sends the path as given, without resolving dot segments. */
function putRaw(pathAndQuery: string, port: number, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'PUT', path: pathAndQuery, headers: { 'x-ms-blob-type': 'BlockBlob', 'x-ms-version': '2025-01-05', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        res.resume();
        res.once('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`raw Put Blob answered ${res.statusCode}`))));
      },
    );
    req.once('error', reject);
    req.end(data);
  });
}
