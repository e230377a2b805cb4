/*
 * A dataflow's runs over time: one bar per ingestion run, oldest on the left, in three strips
 * (records, bytes, duration). Inline SVG drawn from the data; labels are HTML around it.
 */

import { h, svg } from './dom.js';
import { bytes, count, duration, shortWhen, statusWord } from './format.js';

const WIDTH = 600;
const HEIGHT = 60;

/** One strip; `failed(run)`, when given, is the part of the value drawn on top in the failure colour. */
function strip(title, runs, value, label, failed) {
  const max = Math.max(1, ...runs.map(value));
  const slot = WIDTH / Math.max(runs.length, 1);
  const width = Math.max(1, slot * 0.7);
  const scale = (v) => (v > 0 ? Math.max(1.5, (v / max) * (HEIGHT - 2)) : 0);
  const bars = runs.flatMap((run, i) => {
    const v = value(run);
    const bad = failed ? Math.min(v, failed(run)) : 0;
    const x = (i * slot + (slot - width) / 2).toFixed(2);
    const whole = scale(v);
    const top = bad > 0 ? Math.min(whole, Math.max(1.5, (bad / max) * (HEIGHT - 2))) : 0;
    const tip = svg('title', null, `${shortWhen(run.startedAt)} · ${statusWord(run.status)} · ${label(v)}${bad > 0 ? ` (${label(bad)} failed)` : ''}`);
    return [
      svg('rect', { x, y: (HEIGHT - whole).toFixed(2), width: width.toFixed(2), height: (whole - top).toFixed(2), class: `bar s-${run.status}` }, tip),
      top > 0 ? svg('rect', { x, y: (HEIGHT - whole).toFixed(2), width: width.toFixed(2), height: top.toFixed(2), class: 'bar failed-part' }, tip.cloneNode(true)) : null,
    ];
  });
  return h(
    'figure',
    { class: 'strip' },
    h('figcaption', null, h('span', null, title), h('span', { class: 'muted' }, `max ${label(max)}`)),
    svg(
      'svg',
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': `${title} of the last ${runs.length} runs, at most ${label(max)}` },
      svg('line', { x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5, class: 'axis' }),
      bars,
    ),
  );
}

/** runs: newest first, as the API gives them. */
export function runsChart(runs) {
  const ordered = runs.filter((r) => r.status !== 'running').reverse();
  if (ordered.length === 0) return h('p', { class: 'muted' }, 'No ingestion yet to chart.');
  return h(
    'div',
    { class: 'chart' },
    strip('Records', ordered, (r) => r.recordsOut + r.recordsFailed, count, (r) => r.recordsFailed),
    strip('Bytes', ordered, (r) => r.bytes, bytes),
    strip('Duration', ordered, (r) => r.durationMs ?? 0, duration),
    h('p', { class: 'axis-labels muted small' }, h('span', null, shortWhen(ordered[0].startedAt)), h('span', null, shortWhen(ordered[ordered.length - 1].startedAt))),
    h(
      'p',
      { class: 'legend small' },
      ['succeeded', 'partially_succeeded', 'failed'].map((s) => h('span', { class: `legend-key s-${s}` }, statusWord(s))),
      h('span', { class: 'legend-key failed-part' }, 'failed rows'),
    ),
  );
}
