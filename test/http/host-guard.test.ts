import { allowedHostNames, crossSiteRefusal, hostOf } from '../../src/http/host-guard';

const interfaces = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [
    { address: '10.1.2.3', netmask: '255.255.255.0', family: 'IPv4', mac: '02:42:0a:01:02:03', internal: false, cidr: '10.1.2.3/24' },
    { address: 'fe80::42:aff:fe01:203', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:42:0a:01:02:03', internal: false, cidr: 'fe80::42:aff:fe01:203/64', scopeid: 2 },
  ],
} as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;

describe('the host names the server answers to', () => {
  it.each([
    ['loopback', { host: '127.0.0.1', allowedHosts: [] }, ['127.0.0.1', 'localhost', '::1']],
    ['IPv6 loopback', { host: '::1', allowedHosts: ['Dash.Example.com'] }, ['::1', 'localhost', '127.0.0.1', 'dash.example.com']],
    ['one address', { host: '10.1.2.3', allowedHosts: ['dataflowd.internal'] }, ['10.1.2.3', 'dataflowd.internal']],
    ['every interface', { host: '0.0.0.0', allowedHosts: [] }, ['127.0.0.1', '10.1.2.3', 'fe80::42:aff:fe01:203', 'localhost', '::1']],
  ])('%s', (_what, http, names) => {
    expect([...allowedHostNames(http, interfaces)].sort()).toEqual([...names].sort());
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
