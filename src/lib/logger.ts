import pino, { Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { isAbortError, isDataflowError } from './errors';
import { redactor } from './redact';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines instead of JSON; default: when stderr is a terminal. */
  pretty?: boolean;
  /** Colours in pretty lines; default: when stderr is a terminal and NO_COLOR is not set. */
  colour?: boolean;
  /** Extra pino redact paths, e.g. from a schema's secret fields. */
  redact?: string[];
  /** Where lines go (default: stderr). Pretty lines are formatted before they reach it. */
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

const DEBUG_LEVELS = new Set(['debug', 'trace']);

/**
 * Logs go to stderr so that commands can print their results on stdout. Pretty lines are
 * formatted in this thread, not in pino-pretty's worker, so that they reach the destination in
 * order with whatever else the process writes there (the progress line of `dataflowd run`).
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.DATAFLOWD_LOG_LEVEL ?? 'info';
  const redact = { paths: [...secretRedactPaths(), ...(opts.redact ?? [])], censor: '[redacted]' };
  // Secrets can hide in error messages that no redact path names; blank them in the final line.
  const hooks = opts.scrub?.length ? { streamWrite: redactor(opts.scrub) } : {};
  const serializers = { err: errorSerializer(DEBUG_LEVELS.has(level)) };
  const pretty = opts.pretty ?? (opts.destination ? false : Boolean(process.stderr.isTTY));
  const out = opts.destination ?? pino.destination(2);
  const destination = pretty ? prettyDestination(out, opts.colour ?? colourWanted(process.stderr)) : out;
  return pino({ level, redact, hooks, serializers }, destination);
}

/** Colour on a terminal only, and never when NO_COLOR is set (https://no-color.org). */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/**
 * An error as a log line carries it. Expected errors — our own, of any kind but `internal`, and
 * aborts — are facts about the world (a folder not found, a refused password): their kind, code
 * and message say it all, and a stack would only bury the line. Their stack comes at debug level.
 * Anything else is a bug, and keeps its stack and causes.
 */
export function errorSerializer(withStacks: boolean): (err: unknown) => unknown {
  return (err) => {
    if (!(err instanceof Error)) return err;
    if (!withStacks && isDataflowError(err) && err.kind !== 'internal') {
      return { type: err.name, message: err.message, kind: err.kind, code: err.code };
    }
    if (!withStacks && isAbortError(err)) return { type: err.name, message: err.message, kind: 'transient', code: 'ERR_ABORTED' };
    return pino.stdSerializers.err(err);
  };
}

interface SerializedError {
  message?: unknown;
  kind?: unknown;
  code?: unknown;
  stack?: unknown;
}

/** An error logged without a stack (or as a bare message) belongs on the line of the message. */
function inlineError(err: unknown): string | undefined {
  if (typeof err === 'string') return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as SerializedError;
  if (typeof e.stack === 'string' && e.stack !== '') return undefined;
  const tag = [e.kind, e.code].filter((x) => typeof x === 'string' && x !== '').join(' ');
  return `${tag ? `[${tag}] ` : ''}${String(e.message ?? '')}`;
}

/** One line per record: `[12:00:01] ERROR: run failed: [not_found ERR_SOURCE_NOT_FOUND] … {"dataflow":"x"}`. */
function prettyDestination(out: pino.DestinationStream, colorize: boolean): pino.DestinationStream {
  const format = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    singleLine: true,
    messageFormat: (log, messageKey) => {
      const message = String(log[messageKey] ?? '');
      const err = inlineError(log.err);
      return err === undefined ? message : `${message}: ${err}`;
    },
    // Inline errors are already in the message; an error with a stack follows it, stack and all.
    customPrettifiers: {
      err: (value) => (inlineError(value) === undefined ? formatStackError(value as SerializedError) : (undefined as unknown as string)),
    },
  });
  return { write: (line: string) => out.write(format(line)) };
}

function formatStackError(e: SerializedError): string {
  const tag = [e.kind, e.code].filter((x) => typeof x === 'string' && x !== '').join(' ');
  return `${tag ? `[${tag}] ` : ''}${String(e.stack)}`;
}

export const silentLogger: Logger = pino({ level: 'silent' });
