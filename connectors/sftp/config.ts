import type * as Ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { z } from 'zod';
import { loadPackage } from '../../src/lib/load-package';

/*
 * Durations are written like everywhere else in dataflowd (`10s`, `1m30s`) and kept as strings:
 * the core parses a connection's config more than once, so the schema must not transform values.
 */
const DURATION_RE = /^(?:\d+(?:ms|s|m|h))+$/;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1m30s` → 90000. The schema has checked the format. */
export function durationMs(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) ms += Number(n) * DURATION_UNITS[unit];
  return ms;
}

const duration = (description: string, fallback: string) =>
  z
    .string()
    .regex(DURATION_RE, 'expected a number and a unit (ms, s, m, h), e.g. 10s')
    .default(fallback)
    .describe(description);

/** `SHA256:` and 43 characters of base64 (one optional `=`), as `ssh-keygen -l -E sha256` prints it. */
export const HOST_KEY_RE = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

export const sftpConfigSchema = z
  .strictObject({
    type: z.literal('sftp'),
    host: z.string().min(1).describe('Host name or IP address of the SFTP server.'),
    port: z.number().int().min(1).max(65535).default(22).describe('TCP port of the server.'),
    username: z.string().min(1).describe('Account to log in as.'),
    password: z.string().min(1).optional().describe('Password of the account (secret); or privateKey.'),
    privateKey: z
      .string()
      .min(1)
      .optional()
      .describe('Private key text, OpenSSH or PEM format, ed25519, ECDSA or RSA (secret): use ${file:PATH}.'),
    passphrase: z.string().min(1).optional().describe('Passphrase of an encrypted privateKey (secret).'),
    hostKey: z
      .string()
      .regex(HOST_KEY_RE, 'expected SHA256:… as `ssh-keygen -l -E sha256 -f HOSTKEY.pub` prints it')
      .optional()
      .describe("SHA-256 fingerprint of the server's host key, SHA256:…; the connection fails if the server presents another key."),
    insecureSkipHostKeyCheck: z
      .boolean()
      .default(false)
      .describe('Accept any host key (man-in-the-middle risk); only for tests. The presented fingerprint is logged.'),
    maxConnections: z.number().int().min(1).max(64).default(4).describe('SSH connections at most, each reading one file or listing at a time.'),
    keepaliveInterval: duration('SSH keepalive interval; 0s disables keepalives.', '10s'),
    keepaliveCountMax: z.number().int().min(1).max(100).default(3).describe('Unanswered keepalives before the connection counts as dropped.'),
    connectTimeout: duration('Time allowed to connect, exchange keys and log in.', '20s'),
  })
  .superRefine((config, ctx) => {
    if (config.password === undefined && config.privateKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'password or privateKey is required' });
    }
    if (config.passphrase !== undefined && config.privateKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['passphrase'], message: 'passphrase is only used with privateKey' });
    }
    if (config.hostKey === undefined && !config.insecureSkipHostKeyCheck) {
      ctx.addIssue({
        code: 'custom',
        path: ['hostKey'],
        message: "hostKey is required: the server's SHA256:… fingerprint (ssh-keygen -l -E sha256 -f HOSTKEY.pub), or insecureSkipHostKeyCheck: true",
      });
    }
    if (config.privateKey !== undefined) {
      const problem = privateKeyProblem(config.privateKey, config.passphrase);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['privateKey'], message: problem });
    }
  })
  .describe('An SFTP server (OpenSSH or compatible); paths are relative to the login folder.');

export type SftpConfig = z.infer<typeof sftpConfigSchema>;

/**
 * What is wrong with a private key that can be told cheaply: an unknown format, or an encrypted
 * key without passphrase. Decrypting is left to the connection (bcrypt takes most of a second),
 * so a wrong passphrase is reported when connecting. Never quotes the key. ssh2 is loaded here only
 * for a config that has a key.
 */
function privateKeyProblem(key: string, passphrase: string | undefined): string | undefined {
  const parsed = loadPackage<typeof Ssh2>('ssh2').utils.parseKey(key);
  if (!(parsed instanceof Error)) {
    // OpenSSH-format files come back as a list of (for now, always one) keys.
    const first: ParsedKey = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
    return first.isPrivateKey() ? undefined : 'privateKey holds a public key; the private key is needed';
  }
  if (/passphrase/i.test(parsed.message)) return passphrase === undefined ? 'privateKey is encrypted: passphrase is required' : undefined;
  return `privateKey is not a private key dataflowd can read (${parsed.message}); expected OpenSSH or PEM format`;
}
