import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  raw: string;
  /** What the listener answered. */
  status: number;
}

/**
 * A real webhook receiver on loopback: records every request with its raw body and answers with
 * the status `answer` gives (200 by default); tests wait on what it received, never sleep.
 */
export class WebhookListener {
  readonly received: Received[] = [];
  /** The status of the next answer (a test flips it to make the receiver fail, then recover). */
  answer: (path: string) => number = () => 200;
  private waiters: Array<() => void> = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookListener> {
    const server = createServer();
    const listener = new WebhookListener(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = listener.answer(req.url ?? '/');
        listener.received.push({ path: req.url ?? '/', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'receiver down for maintenance');
        for (const w of listener.waiters.splice(0)) w();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return listener;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The requests that got a 2xx answer. */
  delivered(path?: string): Received[] {
    return this.received.filter((r) => r.status < 300 && (path === undefined || r.path === path));
  }

  /** Waits (bounded) until `check` holds over what was received. */
  async until(what: string, check: (received: readonly Received[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${this.received.length} requests`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}
