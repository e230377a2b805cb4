import { formatDuration, parseDuration, parseSize } from '../../src/config';

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
  ])('%s is %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it.each(['', '30', '1.5h', '30 s', '30S', '-1s', '1w', 's', '99999999999999999999d'])('refuses %p', (s) => {
    expect(() => parseDuration(s)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_DURATION', kind: 'config' }));
  });
});

describe('parseSize', () => {
  it.each([
    ['0B', 0],
    ['512B', 512],
    ['1KB', 1000],
    ['256MB', 256_000_000],
    ['256 MB', 256_000_000],
    ['100GB', 100_000_000_000],
    ['2TB', 2e12],
    ['1KiB', 1024],
    ['1.5GiB', 1_610_612_736],
    ['0.5MiB', 524_288],
  ])('%s is %d bytes', (s, bytes) => {
    expect(parseSize(s)).toBe(bytes);
  });

  it.each(['', '100', '1.5', 'MB', '10mb', '10 gb', '1e3MB', '-1MB', '1PB', '10  MB'])('refuses %p', (s) => {
    expect(() => parseSize(s)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_SIZE', kind: 'config' }));
  });
});

describe('formatDuration', () => {
  it('writes a duration as the config would', () => {
    expect([43_200_000, 90_000, 1000, 86_400_000 + 61_000, 250].map(formatDuration)).toEqual(['12h', '1m30s', '1s', '1d1m1s', '250ms']);
    expect(parseDuration(formatDuration(5_400_000))).toBe(5_400_000);
  });
});
