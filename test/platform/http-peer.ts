import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A tiny real HTTP server, scripted by each test, for what the emulator (even with --faults)
 * cannot be made to do; everything it can do is tested against it (client-emulator.test.ts:
 * 429/503 with Retry-After in seconds or as a date, lasting 5xx, resets, a held call aborted,
 * an upload answered 503 after its body, a failing token request before an upload). Kept for:
 * - the token: the exact IMS request, one request shared by concurrent callers, renewal before
 *   `expires_in` runs out by the client's clock, a 401 a new token does not cure, a 401 on an
 *   upload (the emulator refuses no live token on demand);
 * - Platform's own words in a 4xx answer other than those the emulator gives;
 * - an answer lost after Platform made the batch (the emulator resets before handling);
 * - watching bytes arrive: a streamed body's first bytes before the source has made the rest,
 *   and the exact requests of a large file's chunks when one fails;
 * - a source shorter or longer than its size, and aborts in the middle of an upload body;
 * - that no error carries the client secret or a token.
 */

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void;

export interface HttpPeer {
  url: string;
  requests: SeenRequest[];
  /** Body bytes received so far, over all requests, including those still arriving. */
  bytesIn(): number;
  /** Requests to a path starting with this. */
  to(prefix: string): SeenRequest[];
  close(): Promise<void>;
}

export async function startHttpPeer(handler: Handler): Promise<HttpPeer> {
  const requests: SeenRequest[] = [];
  let bytesIn = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      bytesIn += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      handler(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bytesIn: () => bytesIn,
    to: (prefix) => requests.filter((r) => r.url.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers the IMS token request with a numbered token; returns true when it did. */
export function answerIms(req: SeenRequest, res: ServerResponse, state: { issued: number; expiresIn?: number }): boolean {
  if (req.url !== '/ims/token/v3') return false;
  state.issued++;
  sendJson(res, 200, { access_token: `tok-${state.issued}`, token_type: 'bearer', expires_in: state.expiresIn ?? 86399 });
  return true;
}
