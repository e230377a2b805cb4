import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readJsonBody, setParsedBody } from '../http-body';
import { EmulatorHttpError, problem, PROBLEM_CODES } from '../platform-errors';
import type { Operation } from './operations';
import { checkBody, checkHeadersAndQuery, isJson, matchOperation, mediaType, type Violation } from './request-check';

/*
 * Every request to a Platform API (/data/…) is held against Adobe's API description before a
 * route sees it, after the gateway's own header checks: an operation the description lacks is a
 * 404 (405 for a path it has under another method), a missing required header, an unknown or
 * ill-typed query parameter or a body that breaks its schema a 400, a body of a media type the
 * operation does not take a 415. JSON bodies are read and checked here, and the routes get them
 * parsed (http-body.ts readJsonBody).
 */

const operations = new WeakMap<FastifyRequest, Operation>();

/** The operation a request was matched to, once the contract hook has passed it. */
export function operationOf(request: FastifyRequest): Operation | undefined {
  return operations.get(request);
}

export function registerContractHook(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/data/')) return;
    const match = matchOperation(request.method, request.url.split('?')[0]);
    if (!match.operation) {
      const err = refusal(match.violation as Violation);
      if (match.allow) err.headers.allow = match.allow.join(', ');
      throw err;
    }
    const first = checkHeadersAndQuery(match.operation, request.url, request.headers)[0];
    if (first) throw refusal(first);
    operations.set(request, match.operation);
  });

  app.addHook('preHandler', async (request) => {
    const op = operations.get(request);
    if (!op?.body) return;
    const present = hasBody(request);
    const type = mediaType(request.headers['content-type'] ?? '');
    let json: unknown;
    if (present && isJson(type) && op.body.schemas[type] !== undefined) {
      json = await readJsonBody(request);
      setParsedBody(request, json);
    }
    const first = checkBody(op, request.headers, present ? { json } : undefined)[0];
    if (first) throw refusal(first);
  });
}

export function hasBody(request: FastifyRequest): boolean {
  const length = Number(request.headers['content-length'] ?? 0);
  return length > 0 || request.headers['transfer-encoding'] !== undefined;
}

const CODES: Record<Violation['rule'], (typeof PROBLEM_CODES)[keyof typeof PROBLEM_CODES]> = {
  path: PROBLEM_CODES.routeNotFound,
  method: PROBLEM_CODES.methodNotAllowed,
  header: PROBLEM_CODES.specHeader,
  query: PROBLEM_CODES.specQuery,
  'content-type': PROBLEM_CODES.specMediaType,
  body: PROBLEM_CODES.specBody,
};

const TITLES: Record<Violation['status'], string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 415: 'Unsupported Media Type' };

function refusal(v: Violation): EmulatorHttpError {
  return problem(v.status, CODES[v.rule], TITLES[v.status], v.message);
}
