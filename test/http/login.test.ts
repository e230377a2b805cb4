import { FakeClock } from '../support/fake-clock';
import { Fixture, startFixture } from './dashboard-fixture';
import { rawRequest } from './raw-request';

/*
 * With http.token set, a browser logs in with a form that exchanges the token for a session
 * cookie (HttpOnly, SameSite=Strict, with an expiry); API clients keep the bearer header.
 */

const TOKEN = 'login-token-5d0a9c';
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the dashboard login', () => {
  let fx: Fixture;
  const clock = new FakeClock('2026-03-01T09:00:00Z');

  beforeAll(async () => {
    fx = await startFixture({ http: '{ listen: "127.0.0.1:0", token: "${env:TOKEN}", sessionTtl: 2h }', env: { TOKEN }, deps: { clock } });
  });
  afterAll(() => fx?.close());

  const url = (route: string) => `${fx.http.url}${route}`;
  const login = (token: string, next = '/dataflows/orders') =>
    rawRequest(url('/login'), { method: 'POST', headers: form, body: new URLSearchParams({ token, next }).toString() });
  const cookieOf = (answer: { headers: Record<string, unknown> }) => String(answer.headers['set-cookie']).split(';')[0];

  it('sends a browser to the login form, remembering the page it asked for', async () => {
    const page = await rawRequest(url('/dataflows/orders?x=1'));
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Fdataflows%2Forders%3Fx%3D1');
    const form = await rawRequest(url('/login?next=%2Fdataflows%2Forders'));
    expect(form.status).toBe(200);
    expect(form.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(form.headers['content-security-policy']).toContain("script-src 'self'");
    expect(form.body).toContain('<form method="post" action="/login">');
    expect(form.body).toContain('<input type="hidden" name="next" value="/dataflows/orders">');
    expect(form.body).not.toMatch(/<script/);
  });

  it('refuses a wrong token with the form again, and no cookie', async () => {
    const answer = await login('not-the-token');
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('That token is not the one in http.token.');
    expect(answer.headers['set-cookie']).toBeUndefined();
  });

  it('exchanges the token for an HttpOnly, SameSite=Strict session cookie that opens the dashboard and its API', async () => {
    const answer = await login(TOKEN);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/dataflows/orders');
    const setCookie = String(answer.headers['set-cookie']);
    expect(setCookie).toMatch(/^dataflowd_session=[\w-]+\.\d+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=7200$/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = cookieOf(answer);
    const page = await rawRequest(url('/dataflows/orders'), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('action="/logout"');
    expect((await rawRequest(url('/api/dataflows'), { headers: { cookie } })).status).toBe(200);
  });

  it('never sends a login elsewhere than a page of its own', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      expect((await login(TOKEN, next)).headers.location).toBe('/');
    }
  });

  it('ends a session at its expiry, on a forged signature, and at logout', async () => {
    const cookie = cookieOf(await login(TOKEN));
    const [id, expires] = cookie.split('=')[1].split('.');
    const forged = `dataflowd_session=${id}.${Number(expires) + 86_400_000}.${'A'.repeat(43)}`;
    expect((await rawRequest(url('/api/dataflows'), { headers: { cookie: forged } })).status).toBe(401);

    await clock.advance(2 * 3_600_000 - 1000);
    expect((await rawRequest(url('/api/dataflows'), { headers: { cookie } })).status).toBe(200);
    await clock.advance(2000);
    expect((await rawRequest(url('/api/dataflows'), { headers: { cookie } })).status).toBe(401);
    expect((await rawRequest(url('/'), { headers: { cookie } })).headers.location).toBe('/login?next=%2F');

    const fresh = cookieOf(await login(TOKEN));
    const out = await rawRequest(url('/logout'), { method: 'POST', headers: { cookie: fresh, origin: fx.http.url } });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/login');
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await rawRequest(url('/api/dataflows'), { headers: { cookie: fresh } })).status).toBe(401);
  });

  it('keeps the bearer header for API clients, and leaves the assets open to the login form', async () => {
    expect((await rawRequest(url('/api/dataflows'), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const api = await rawRequest(url('/api/dataflows'));
    expect(api.status).toBe(401);
    expect(api.headers['www-authenticate']).toBe('Bearer');
    expect((await rawRequest(url('/assets/dashboard.css'))).status).toBe(200);
  });
});
