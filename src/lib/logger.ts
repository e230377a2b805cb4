import pino, { Logger } from 'pino';
import { redactor } from './redact';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Pretty, human-readable lines; default: when stderr is a terminal. */
  pretty?: boolean;
  /** Extra pino redact paths, e.g. from a schema's secret fields. */
  redact?: string[];
  destination?: pino.DestinationStream;
  /** Exact secret values to blank out wherever they appear in a line (resolved ${env:}/${file:}). */
  scrub?: readonly string[];
}

/** Field names that always hold secrets, wherever they appear in a logged object. */
export const SECRET_KEYS = [
  'password',
  'passphrase',
  'privateKey',
  'secret',
  'clientSecret',
  'secretAccessKey',
  'sessionToken',
  'accountKey',
  'sasToken',
  'connectionString',
  'token',
  'access_token',
  'authorization',
  'Authorization',
];

export function secretRedactPaths(): string[] {
  return SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
}

/** Logs go to stderr so that commands can print their results on stdout. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.DATAFLOWD_LOG_LEVEL ?? 'info';
  const redact = { paths: [...secretRedactPaths(), ...(opts.redact ?? [])], censor: '[redacted]' };
  // Secrets can hide in error messages that no redact path names; blank them in the final line.
  const hooks = opts.scrub?.length ? { streamWrite: redactor(opts.scrub) } : {};
  if (opts.destination) return pino({ level, redact, hooks }, opts.destination);
  const pretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({
      level,
      redact,
      hooks,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  return pino({ level, redact, hooks }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
