import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { badRequest, problem, PROBLEM_CODES } from './platform-errors';

/** JSON and form bodies are small; file bytes never go through these helpers. */
const SMALL_BODY_LIMIT = 1024 * 1024;

/**
 * Every request body reaches its handler as the raw stream, whatever its content type, so file
 * uploads of any size are streamed to disk (fastify's bodyLimit only applies to buffered parsers)
 * and handlers that expect JSON or a form read it themselves, with a limit.
 */
export function registerRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
}

/** The request's bytes: the parser's stream, or the raw message when no body was announced. */
export function bodyStream(request: FastifyRequest): Readable {
  const body = request.body as Readable | undefined;
  return body !== undefined && typeof body.pipe === 'function' ? body : request.raw;
}

export async function readSmallBody(request: FastifyRequest, limit = SMALL_BODY_LIMIT): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyStream(request)) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw problem(413, PROBLEM_CODES.payloadTooLarge, 'Payload Too Large', `this body may hold at most ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const parsedBodies = new WeakMap<FastifyRequest, unknown>();

/** A JSON body read (and checked) before the route: readJsonBody hands it over instead of the stream. */
export function setParsedBody(request: FastifyRequest, json: unknown): void {
  parsedBodies.set(request, json);
}

/** The JSON body read before the route, if any. */
export function parsedBody(request: FastifyRequest): unknown {
  return parsedBodies.get(request);
}

/** A JSON body; an empty body is undefined (clients may send Content-Type without a body). */
export async function readJsonBody(request: FastifyRequest): Promise<unknown> {
  if (parsedBodies.has(request)) return parsedBodies.get(request);
  const mediaType = mediaTypeOf(request);
  if (mediaType !== '' && mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
    throw problem(415, PROBLEM_CODES.unsupportedMediaType, 'Unsupported Media Type', `expected application/json, got ${mediaType}`);
  }
  const text = await readSmallBody(request);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}

/** An application/x-www-form-urlencoded body merged over the query string (IMS accepts both). */
export async function readFormParams(request: FastifyRequest): Promise<URLSearchParams> {
  const params = new URLSearchParams(request.url.split('?')[1] ?? '');
  const text = await readSmallBody(request);
  for (const [key, value] of new URLSearchParams(text)) params.set(key, value);
  return params;
}

/** Lower-cased media type without parameters; '' when there is no Content-Type. */
export function mediaTypeOf(request: FastifyRequest): string {
  const header = request.headers['content-type'] ?? '';
  return header.split(';')[0].trim().toLowerCase();
}

/** Lets an unread request body flow away so the connection can be reused. */
export function discardBody(request: FastifyRequest): void {
  bodyStream(request).resume();
}
