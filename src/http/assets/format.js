/* Numbers, sizes, times and schedules as people read them. */

const number = new Intl.NumberFormat();
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export const count = (n) => (n === null || n === undefined ? '–' : number.format(n));

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : decimal.format(v)} ${units[i]}`;
}

export const rate = (bytesPerSecond) => (bytesPerSecond === null || bytesPerSecond === undefined ? '–' : `${bytes(bytesPerSecond)}/s`);

export function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${decimal.format(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export const when = (iso) => (iso ? dateTime.format(new Date(iso)) : '–');
export const shortWhen = (iso) => (iso ? shortTime.format(new Date(iso)) : '–');

/** "3 min ago", "in 2 h": the absolute time goes in a title beside it. */
export function relative(iso, now = Date.now()) {
  if (!iso) return '–';
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  let text;
  if (abs < 45_000) return diff < 0 ? 'just now' : 'in a moment';
  if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`;
  else if (abs < 48 * 3_600_000) text = `${decimal.format(abs / 3_600_000)} h`;
  else text = `${Math.round(abs / 86_400_000)} d`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

const UNITS = { minute: 'minute', hour: 'hour', day: 'day', week: 'week' };

export function schedule(s) {
  if (!s) return '–';
  const zone = s.timezone && s.timezone !== 'UTC' ? ` (${s.timezone})` : '';
  let text;
  if (s.cron) text = `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}`;
  else if (s.frequency === 'once') text = 'once';
  else text = `every ${s.interval > 1 ? `${s.interval} ${UNITS[s.frequency]}s` : UNITS[s.frequency]}${zone}`;
  if (s.startTime) text += `, from ${when(s.startTime)}`;
  return text;
}

const STATUS_WORDS = {
  succeeded: 'succeeded',
  partially_succeeded: 'partially succeeded',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
  running: 'running',
};

export const statusWord = (status) => STATUS_WORDS[status] ?? String(status);
