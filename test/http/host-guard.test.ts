import { crossSiteRefusal, hostAllowed, hostOf } from '../../src/http/host-guard';

describe('the host names the server answers to', () => {
  const ASKED = ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '10.1.2.3', '192.168.1.5', 'fe80::1', 'dash.example.com', 'dataflowd.internal', 'evil.example'];
  it.each([
    ['loopback', { host: '127.0.0.1', allowedHosts: [] }, ['127.0.0.1', 'localhost', '::1']],
    ['IPv6 loopback', { host: '::1', allowedHosts: ['Dash.Example.com'] }, ['127.0.0.1', 'localhost', '::1', 'dash.example.com']],
    ['one address', { host: '10.1.2.3', allowedHosts: ['dataflowd.internal'] }, ['10.1.2.3', 'dataflowd.internal']],
    ['every interface', { host: '0.0.0.0', allowedHosts: [] }, ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '10.1.2.3', '192.168.1.5', 'fe80::1']],
    ['every interface, IPv6', { host: '::', allowedHosts: ['dash.example.com'] }, ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '10.1.2.3', '192.168.1.5', 'fe80::1', 'dash.example.com']],
  ])('%s', (_what, http, names) => {
    const allowed = hostAllowed(http);
    expect(ASKED.filter(allowed)).toEqual(names);
  });

  it.each([
    ['localhost:8080', 'localhost'],
    ['LOCALHOST.', 'localhost'],
    ['[::1]:8080', '::1'],
    ['dash.example.com', 'dash.example.com'],
    ['evil.example@127.0.0.1', undefined],
    ['a b', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads the Host header %j as %j', (header, name) => {
    expect(hostOf(header)).toBe(name);
  });
});

describe('requests that change something must come from our own origin', () => {
  const host = '127.0.0.1:8080';
  it.each([
    ['GET from anywhere', 'GET', { origin: 'http://evil.example', host }, false],
    ['POST without Origin (curl, a script)', 'POST', { host }, false],
    ['POST from the same origin', 'POST', { origin: 'http://127.0.0.1:8080', host }, false],
    ['POST from another site', 'POST', { origin: 'http://evil.example', host }, true],
    ['POST from the same host on another port', 'POST', { origin: 'http://127.0.0.1:9999', host }, true],
    ['POST from an opaque origin', 'POST', { origin: 'null', host }, true],
    ['POST marked same-origin by the browser', 'POST', { 'sec-fetch-site': 'same-origin', host }, false],
    ['POST the user typed (Sec-Fetch-Site: none)', 'POST', { 'sec-fetch-site': 'none', host }, false],
    ['POST marked cross-site', 'POST', { 'sec-fetch-site': 'cross-site', origin: 'http://127.0.0.1:8080', host }, true],
    ['POST from a sibling subdomain', 'POST', { 'sec-fetch-site': 'same-site', host }, true],
    ['DELETE from another site', 'DELETE', { origin: 'https://evil.example', host }, true],
  ])('%s', (_what, method, headers, refused) => {
    expect(crossSiteRefusal(method, headers) !== undefined).toBe(refused);
  });
});
