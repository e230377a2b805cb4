import { DATASET_ID, Harness, TENANT } from './emulator-harness';

describe('emulator: IMS token and gateway headers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  const tokenRequest = (form: Record<string, string>) =>
    h.call('POST', '/ims/token/v3', {
      bare: true,
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  test('a client-credentials grant returns a bearer token valid for a day, in seconds', async () => {
    const reply = await tokenRequest({ grant_type: 'client_credentials', client_id: 'any', client_secret: 'thing', scope: 'openid' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 86399 });
  });

  test('parameters may also come in the query string', async () => {
    const reply = await h.call('POST', '/ims/token/v3?grant_type=client_credentials&client_id=q&client_secret=s', { bare: true });
    expect(reply.status).toBe(200);
  });

  test('a missing or wrong grant_type is an IMS invalid_request', async () => {
    const missing = await tokenRequest({ client_id: 'a', client_secret: 'b' });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('grant_type') });
    const wrong = await tokenRequest({ grant_type: 'password', client_id: 'a', client_secret: 'b' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe('invalid_request');
    const noSecret = await tokenRequest({ grant_type: 'client_credentials', client_id: 'a' });
    expect(noSecret.status).toBe(401);
    expect(noSecret.json.error).toBe('invalid_client');
  });

  const catalogCall = (headers: Record<string, string | undefined>) => {
    const sent = Object.fromEntries(Object.entries({ ...h.gatewayHeaders, ...headers }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    return h.call('GET', `/data/foundation/catalog/dataSets/${DATASET_ID}`, { bare: true, headers: sent });
  };

  test.each([
    ['no token', { authorization: undefined }, 403, '403010'],
    ['a token it never issued', { authorization: 'Bearer forged' }, 401, '401013'],
    ['a non-bearer authorization', { authorization: 'Basic abc' }, 401, '401013'],
    ['no API key', { 'x-api-key': undefined }, 403, '403000'],
    ['an API key that is not the token client', { 'x-api-key': 'someone-else' }, 403, '403003'],
    ['no org header', { 'x-gw-ims-org-id': undefined }, 400, '400003'],
    ['no sandbox header', { 'x-sandbox-name': undefined }, 400, '400003'],
  ])('a /data call with %s is refused by the gateway', async (_what, headers, status, code) => {
    const reply = await catalogCall(headers);
    expect(reply.status).toBe(status);
    expect(reply.json).toEqual({ error_code: code, message: expect.any(String) });
  });

  test('with all four headers the call goes through', async () => {
    expect((await catalogCall({})).status).toBe(200);
  });

  test('the schema registry stats name the tenant', async () => {
    const reply = await h.call('GET', '/data/foundation/schemaregistry/stats');
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ tenantId: TENANT, imsOrg: 'DATAFLOWD@AdobeOrg' });
  });

  test('an unknown route is a Platform-like 404 problem', async () => {
    const reply = await h.call('GET', '/data/foundation/nothing/here');
    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({ status: 404, title: 'Not Found', type: expect.stringMatching(/^http:\/\/ns\.adobe\.com\/aep\/errors\//) });
    expect((await h.call('GET', '/elsewhere', { bare: true })).status).toBe(404);
  });
});
