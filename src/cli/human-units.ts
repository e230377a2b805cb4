/*
 * Figures as people read them on a terminal: sizes in decimal units, as the config writes them
 * (src/config/units.ts: 256MB is 256 000 000 bytes), durations from milliseconds to hours, and
 * counts with thousands grouped. `--json` keeps the raw numbers.
 */

const SIZE_UNITS = ['KB', 'MB', 'GB', 'TB', 'PB'];

/** 812 → "812 B", 1234567 → "1.2 MB", 312000000 → "312 MB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 999.5) return `${Math.max(0, Math.round(n))} B`;
  let value = n;
  let unit = -1;
  while (value >= 999.5 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 9.95 ? value.toFixed(1) : Math.round(value)} ${SIZE_UNITS[unit]}`;
}

/** 420 → "0.4s", 25300 → "25s", 252000 → "4m12s", 3900000 → "1h05m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 9_950) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  if (m < 24 * 60) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(m / 1440)}d${String(Math.floor((m % 1440) / 60)).padStart(2, '0')}h`;
}

/** 1234 → "1,234", 1234567 → "1.2M" when compact. */
export function formatCount(n: number, opts: { compact?: boolean } = {}): string {
  if (opts.compact && n >= 100_000) {
    const [value, unit] = n >= 1e9 ? [n / 1e9, 'G'] : n >= 1e6 ? [n / 1e6, 'M'] : [n / 1e3, 'k'];
    return `${value < 9.95 ? value.toFixed(1) : Math.round(value)}${unit}`;
  }
  return Math.round(n).toLocaleString('en-US');
}

/** A date in the local time zone, to the minute (or second): "2026-11-29 05:35". */
export function formatLocalTime(d: Date, opts: { seconds?: boolean } = {}): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  return opts.seconds ? `${base}:${p(d.getSeconds())}` : base;
}
