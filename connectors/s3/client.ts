import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { DEFAULT_REGION, S3Config } from './config';

/** A connection that opens no socket within this long is down (rclone's --contimeout is 1m). */
const CONNECT_TIMEOUT_MS = 30_000;
/** A socket silent this long is dead — as rclone's --timeout, 5 minutes, not less: a body the
 *  core pauses while Platform is slow to take an upload is silent too, and must not be cut. */
const IDLE_TIMEOUT_MS = 5 * 60_000;

/**
 * The SDK client for a connection.
 *
 * - `maxAttempts: 1`: the core's `src/lib/retry` is the one retry loop (STYLE.md rule 8); the
 *   connector classifies errors, and the SDK's own retries would multiply with the core's.
 * - Checksums only when an operation requires them. None of the requests the connector sends has
 *   a body. For responses, the SDK's default (`WHEN_SUPPORTED`) asks S3 for the object's checksum
 *   and verifies it while streaming: CRC64NVME, S3's default for uploads since 2025, and CRC32C
 *   run at ~110 MB/s in the SDK's JavaScript here — a ceiling on every large read, well below
 *   what S3 delivers. Bytes in transit are covered by TCP (and TLS over https), and the core
 *   checks that each file's length is the listed size.
 * - No credentials in the config: the SDK's default provider chain (env, profile, SSO, web
 *   identity, container and instance roles).
 */
export function createS3Client(config: S3Config): S3Client {
  const options: S3ClientConfig = {
    region: config.region ?? DEFAULT_REGION,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
  };
  if (config.accessKeyId !== undefined && config.secretAccessKey !== undefined) {
    options.credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken };
  }
  return new S3Client(options);
}
