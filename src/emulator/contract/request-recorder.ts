import { closeSync, openSync, writeSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasBody } from './contract-hook';
import { parsedBody } from '../http-body';

/*
 * Writes down every request the emulator answers, one JSON line each, so that the test suite can
 * hold every request the Platform client made against Adobe's API descriptions once the suite is
 * over (test/contract/). Several emulators (in-process, in child processes) append to one file:
 * each line goes in one write(2) on a file opened for appending, so lines do not interleave.
 * The access token is never written.
 */

/** Set by the test suite's global setup; every emulator started meanwhile records to it. */
export const RECORD_ENV = 'DATAFLOWD_CONTRACT_RECORD';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Present when the request had a body; `json` when it was JSON the emulator read. */
  body?: { json?: unknown };
  status: number;
  /** The error code of a refusal (problem type or gateway error_code). */
  refusal?: string;
}

const refusals = new WeakMap<FastifyRequest, string>();

/** Called by the error handler with the code it answered. */
export function noteRefusal(request: FastifyRequest, code: string): void {
  refusals.set(request, code);
}

export function registerRequestRecorder(app: FastifyInstance, file: string): void {
  const fd = openSync(file, 'a');
  app.addHook('onResponse', async (request, reply) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined) continue;
      headers[name] = name === 'authorization' ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
    }
    const line: RecordedRequest = { method: request.method, url: request.url, headers, status: reply.statusCode };
    if (hasBody(request)) {
      const json = parsedBody(request);
      line.body = json === undefined ? {} : { json };
    }
    const refusal = refusals.get(request);
    if (refusal !== undefined) line.refusal = refusal;
    writeSync(fd, `${JSON.stringify(line)}\n`);
  });
  app.addHook('onClose', async () => closeSync(fd));
}
