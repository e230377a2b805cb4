/* Parts the pages share: status badges, run links, tables that stack on a phone, live progress. */

import { h } from './dom.js';
import { bytes, count, duration, rate, relative, statusWord, when } from './format.js';

export const runHref = (id) => `/runs/${encodeURIComponent(id)}`;
export const dataflowHref = (name) => `/dataflows/${encodeURIComponent(name)}`;

export const badge = (status) => h('span', { class: ['badge', `s-${status}`] }, statusWord(status));

/** A time as "3 min ago", with the exact time on hover and for screen readers. */
export const ago = (iso) => (iso ? h('time', { datetime: iso, title: when(iso) }, relative(iso)) : '–');

export const runLink = (run, text) => h('a', { href: runHref(run.id ?? run.runId) }, text ?? run.id ?? run.runId);

/**
 * A table whose rows become labelled blocks on a narrow screen (CSS reads data-label), so that
 * nothing scrolls sideways. columns: [{ label, cell(row) → text or node, class? }].
 */
export function table(columns, rows, opts = {}) {
  return h(
    'table',
    { class: ['rows', opts.class] },
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    h(
      'tbody',
      null,
      rows.map((row) => (row instanceof Node ? row : h('tr', { class: opts.rowClass?.(row) }, columns.map((c) => h('td', { 'data-label': c.label, class: c.class }, c.cell(row)))))),
    ),
  );
}

export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs.filter(Boolean).map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))),
  );
}

/** A run in flight: what it does, how far it is, how fast it goes (linked, except on its own page). */
export function progressView(p, opts = { link: true }) {
  const bar =
    p.bytesTotal !== null && p.bytesTotal > 0
      ? h('progress', { max: p.bytesTotal, value: p.bytesDone, 'aria-label': `${p.dataflow}: bytes uploaded` })
      : h('progress', { 'aria-label': `${p.dataflow}: ${p.phase}` });
  const files = p.filesTotal === null ? count(p.filesDone) : `${count(p.filesDone)} / ${count(p.filesTotal)}`;
  const size = p.bytesTotal === null ? bytes(p.bytesDone) : `${bytes(p.bytesDone)} / ${bytes(p.bytesTotal)}`;
  return h(
    'div',
    { class: 'progress', 'data-run': p.runId },
    h('p', null, h('span', { class: 'badge s-running' }, p.phase), ' ', opts.link ? [runLink(p), ' · '] : null, 'started ', ago(p.startedAt), ` · ${duration(p.elapsedMs)}`),
    bar,
    h(
      'p',
      { class: 'figures' },
      h('span', null, h('b', null, 'Files '), files),
      h('span', null, h('b', null, 'Bytes '), size),
      h('span', null, h('b', null, 'Records '), count(p.records)),
      h('span', null, h('b', null, 'Rate '), rate(p.bytesPerSecond)),
    ),
    p.source === 'store' ? h('p', { class: 'muted small' }, 'Counted file by file from the store.') : null,
  );
}

/** "12 / 10 / 2": one figure with its parts named on hover. */
export const split = (parts) => h('span', { title: parts.map(([label]) => label).join(' / ') }, parts.map(([, n]) => count(n)).join(' / '));

/** A run's error: a skipped run's reason is no error and reads as a note. */
export function runError(run) {
  if (!run.error) return '';
  if (run.status === 'skipped') return h('span', { class: 'muted' }, run.error);
  return h('span', { class: 'error-text' }, run.errorCode ? h('code', null, run.errorCode) : null, run.errorCode ? ' ' : null, run.error);
}
