import { Fixture, startFixture } from './dashboard-fixture';
import { rawRequest } from './raw-request';

/*
 * Issue 21 item 8, over real HTTP: a page on another site (or under a rebound DNS name) must
 * not start runs through the user's browser, with or without a token.
 */

const TOKEN = 'cross-site-token-71f3';

describe('cross-site requests, on loopback without a token', () => {
  let fx: Fixture;
  const triggered: string[] = [];
  let origin: string;
  let port: string;

  beforeAll(async () => {
    fx = await startFixture({
      deps: {
        trigger: async (name) => {
          triggered.push(name);
          return { started: true, runId: `run-of-${name}` };
        },
      },
    });
    origin = fx.http.url;
    port = new URL(origin).port;
  });
  afterAll(() => fx?.close());
  beforeEach(() => {
    triggered.length = 0;
  });

  const post = (headers: Record<string, string>) => rawRequest(`${fx.http.url}/api/dataflows/orders/runs`, { method: 'POST', headers });

  it('refuses a POST from another origin, which used to start a run, and starts none', async () => {
    const answer = await post({ origin: 'http://evil.example', 'content-type': 'text/plain' });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toMatch(/another origin cannot change anything here/);
    expect(triggered).toEqual([]);
  });

  it('refuses what the browser marks cross-site or same-site', async () => {
    expect((await post({ 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'same-site', origin: 'http://sub.example', 'content-type': 'text/plain' })).status).toBe(403);
    expect(triggered).toEqual([]);
  });

  it('starts a run asked from its own origin, or by a client that is no browser', async () => {
    const same = await post({ origin, 'sec-fetch-site': 'same-origin' });
    expect(same.status).toBe(202);
    expect(JSON.parse(same.body)).toMatchObject({ started: true, runId: 'run-of-orders' });
    expect((await post({ origin })).status).toBe(202);
    expect((await post({})).status).toBe(202);
    expect(triggered).toEqual(['orders', 'orders', 'orders']);
  });

  it('answers only to its own names: a rebound DNS name gets nothing, not even a read', async () => {
    for (const route of ['/api/dataflows', '/', '/metrics', `/runs/${fx.runs.partial.id}`, '/assets/app.js']) {
      const answer = await rawRequest(`${fx.http.url}${route}`, { headers: { host: `evil.example:${port}` } });
      expect(answer.status).toBe(403);
      expect(answer.body).not.toContain('orders');
    }
    const rebound = await post({ host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'sec-fetch-site': 'same-origin' });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error).toBe('this server does not answer to the host name "evil.example": add it to http.allowedHosts');
    expect(triggered).toEqual([]);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await rawRequest(`${fx.http.url}/api/dataflows`, { headers: { host } })).status).toBe(200);
    }
  });

  it('leaves the health probes open to any name, for orchestrators that probe by address', async () => {
    expect((await rawRequest(`${fx.http.url}/healthz`, { headers: { host: 'pod-10-1-2-3' } })).status).toBe(200);
    expect((await rawRequest(`${fx.http.url}/readyz`, { headers: { host: 'pod-10-1-2-3' } })).status).toBe(200);
  });
});

describe('host names and cross-site requests with a token', () => {
  let fx: Fixture;
  const triggered: string[] = [];

  beforeAll(async () => {
    fx = await startFixture({
      http: '{ listen: "127.0.0.1:0", token: "${env:TOKEN}", allowedHosts: [dash.example.com] }',
      env: { TOKEN },
      deps: {
        trigger: async (name) => {
          triggered.push(name);
          return { started: true };
        },
      },
    });
  });
  afterAll(() => fx?.close());

  const url = (route: string) => `${fx.http.url}${route}`;

  it('answers to http.allowedHosts as well', async () => {
    const bearer = { authorization: `Bearer ${TOKEN}` };
    expect((await rawRequest(url('/api/dataflows'), { headers: { ...bearer, host: 'dash.example.com' } })).status).toBe(200);
    expect((await rawRequest(url('/api/dataflows'), { headers: { ...bearer, host: 'DASH.example.com.:443' } })).status).toBe(200);
    expect((await rawRequest(url('/api/dataflows'), { headers: { ...bearer, host: 'other.example.com' } })).status).toBe(403);
  });

  it('takes the bearer token from any origin (a browser never adds it on its own), but not a session cookie', async () => {
    const withToken = await rawRequest(url('/api/dataflows/orders/runs'), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' } });
    expect(withToken.status).toBe(202);
    expect(JSON.parse(withToken.body)).toMatchObject({ started: true, runId: null });

    const login = await rawRequest(url('/login'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}&next=%2F` });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const crossSite = await rawRequest(url('/api/dataflows/orders/runs'), { method: 'POST', headers: { cookie, origin: 'http://evil.example' } });
    expect(crossSite.status).toBe(403);
    const sameSite = await rawRequest(url('/api/dataflows/orders/runs'), { method: 'POST', headers: { cookie, origin: fx.http.url } });
    expect(sameSite.status).toBe(202);
    expect(triggered).toEqual(['orders', 'orders']);
  });

  it('refuses a login posted from another site (login CSRF)', async () => {
    const answer = await rawRequest(url('/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: `token=${TOKEN}`,
    });
    expect(answer.status).toBe(403);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });
});

describe('listening on every interface', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({ http: '{ listen: "0.0.0.0:0", token: "${env:TOKEN}" }', env: { TOKEN } });
  });
  afterAll(() => fx?.close());

  it('answers to any address and the loopback names, and to no other name', async () => {
    const port = new URL(fx.http.url).port;
    const get = (host: string) => rawRequest(`http://127.0.0.1:${port}/api/dataflows`, { headers: { host, authorization: `Bearer ${TOKEN}` } });
    expect((await get(`127.0.0.1:${port}`)).status).toBe(200);
    expect((await get(`localhost:${port}`)).status).toBe(200);
    expect((await get(`192.168.77.5:${port}`)).status).toBe(200);
    expect((await get(`rebound.example:${port}`)).status).toBe(403);
  });
});
