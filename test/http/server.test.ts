import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectorDefinitions } from '../../connectors';
import { loadConfig, type LoadedConfig } from '../../src/config';
import { DaemonMetrics } from '../../src/http/metrics';
import { HttpServer, startHttp } from '../../src/http/server';
import { silentLogger } from '../../src/lib/logger';
import { openStore } from '../../src/store/open-store';
import type { Store } from '../../src/store/types';

const TOKEN = 'api-token-3b7e1d';

describe('the HTTP API with a token', () => {
  let dir: string;
  let store: Store;
  let http: HttpServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-http-'));
    await writeFile(path.join(dir, 'dataflowd.yaml'), 'platform: { mode: embedded }\nstate: { url: "sqlite::memory:" }\nhttp: { listen: "127.0.0.1:0", token: "${env:API_TOKEN}" }\n');
    const { config, problems } = await loadConfig(dir, { connectors: connectorDefinitions, env: { API_TOKEN: TOKEN } });
    expect(problems).toEqual([]);
    store = await openStore('sqlite::memory:');
    const loaded = config as LoadedConfig;
    http = await startHttp({
      store,
      config: () => loaded,
      logger: silentLogger,
      trigger: async () => ({ started: false, reason: 'not in this test' }),
      nextRun: () => undefined,
      metrics: new DaemonMetrics({ store, dataflows: () => [], nextRun: () => undefined }),
    });
  });
  afterAll(async () => {
    await http?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (route: string, token?: string) => fetch(`${http.url}${route}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  it.each(['/api/dataflows', '/metrics'])('refuses %s without the token, or with another, and serves it with the token', async (route) => {
    const refused = await get(route);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect((await get(route, 'not-the-token')).status).toBe(401);
    expect((await get(route, TOKEN)).status).toBe(200);
  });

  it('sends a browser without the token to the login form, and serves the dashboard with the token', async () => {
    const refused = await fetch(`${http.url}/`, { redirect: 'manual' });
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/login?next=%2F');
    expect((await get('/', TOKEN)).status).toBe(200);
  });

  it('leaves the health probes open, for the orchestrator', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
  });
});

describe('closing the HTTP server', () => {
  it('does not wait for connections a browser keeps open, with or without a request on them', async () => {
    const store = await openStore('sqlite::memory:');
    const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-http-'));
    await writeFile(path.join(dir, 'dataflowd.yaml'), 'platform: { mode: embedded }\nstate: { url: "sqlite::memory:" }\nhttp: { listen: "127.0.0.1:0" }\n');
    const { config } = await loadConfig(dir, { connectors: connectorDefinitions, env: {} });
    const http = await startHttp({
      store,
      config: () => config as LoadedConfig,
      logger: silentLogger,
      trigger: async () => ({ started: false, reason: 'not in this test' }),
      nextRun: () => undefined,
      metrics: new DaemonMetrics({ store, dataflows: () => [], nextRun: () => undefined }),
    });
    const { port } = new URL(http.url);
    // One connection opened ahead of use (nothing sent yet), one kept alive after a request.
    const ahead = connect(Number(port), '127.0.0.1');
    await once(ahead, 'connect');
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => get(`${http.url}/healthz`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject));

    const closing = http.close().then(() => 'closed');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => (timer = setTimeout(() => resolve('still open after 5 s'), 5000)));
    const outcome = await Promise.race([closing, deadline]);
    clearTimeout(timer);
    // Whatever the outcome, nothing is left open behind the test.
    ahead.destroy();
    agent.destroy();
    await closing;
    expect(outcome).toBe('closed');
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});
