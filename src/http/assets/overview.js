/* The overview: every dataflow with its last ingestion, what runs now, and when it runs next. */

import { api } from './api.js';
import { fill, h, patch } from './dom.js';
import { bytes, count, schedule } from './format.js';
import { runNowControl } from './run-now.js';
import { ago, badge, dataflowHref, progressView, runError, runLink, split } from './widgets.js';

function holderLine(holder) {
  return holder ? h('p', { class: 'muted small' }, `Held by ${holder.owner} on ${holder.host} (pid ${holder.pid}) since `, ago(holder.since)) : null;
}

function lastIngestion(df) {
  const run = df.lastIngestion;
  if (!run) return h('p', { class: 'muted' }, 'No ingestion yet.');
  return [
    h('p', null, badge(run.status), ' ', runLink(run, 'last ingestion'), ' ', ago(run.startedAt)),
    h(
      'p',
      { class: 'figures' },
      h('span', null, h('b', null, 'Files '), split([['ingested', run.filesIngested], ['taken', run.filesTaken]])),
      h('span', null, h('b', null, 'Records '), count(run.recordsOut), run.recordsFailed ? h('span', { class: 'error-text' }, ` (${count(run.recordsFailed)} failed)`) : null),
      h('span', null, h('b', null, 'Bytes '), bytes(run.bytes)),
    ),
    run.status === 'failed' || run.status === 'partially_succeeded' ? h('p', { class: 'small' }, runError(run)) : null,
  ];
}

function lastCheck(df) {
  const check = df.lastCheck;
  if (!check) return null;
  const since = df.skippedSinceIngestion > 1 ? ` (${count(df.skippedSinceIngestion)} checks since the last ingestion)` : '';
  return h('p', { class: 'muted small' }, 'Checked ', ago(check.at), `: ${check.result ?? 'nothing new'}${since}`);
}

function card(df, changed) {
  return h(
    'article',
    { class: 'card', 'data-dataflow': df.name },
    h('header', null, h('h2', null, h('a', { href: dataflowHref(df.name) }, df.name)), df.enabled ? null : h('span', { class: 'badge s-disabled' }, 'disabled')),
    df.description ? h('p', { class: 'muted' }, df.description) : null,
    df.running.map((p) => progressView(p)),
    lastIngestion(df),
    lastCheck(df),
    h('p', { class: 'small' }, h('b', null, 'Next run '), df.nextRun ? ago(df.nextRun) : 'none scheduled', ` · ${schedule(df.schedule)}`),
    h('p', { class: 'small muted' }, `${df.connection} → ${df.dataset}`),
    holderLine(df.holder),
    runNowControl(df.name, changed),
  );
}

export async function overviewPage(main, crumbs, changed) {
  const flows = await api.dataflows();
  fill(crumbs);
  document.title = 'dataflowd';
  if (!main.querySelector('#cards')) {
    fill(main, h('h1', null, 'Dataflows'), h('p', { id: 'summary', class: 'muted' }), h('div', { id: 'cards', class: 'cards' }));
  }
  const running = flows.reduce((n, f) => n + f.running.length, 0);
  const failing = flows.filter((f) => f.lastIngestion?.status === 'failed').length;
  fill(
    main.querySelector('#summary'),
    `${count(flows.length)} dataflows`,
    running ? ` · ${count(running)} running` : '',
    failing ? h('span', { class: 'error-text' }, ` · ${count(failing)} failed last time`) : '',
  );
  const cards = main.querySelector('#cards');
  if (flows.length === 0) fill(cards, h('p', { class: 'muted' }, 'No dataflows: add one under dataflows/ in the config folder.'));
  for (const df of flows) {
    let slot = [...cards.children].find((c) => c.dataset.slot === df.name);
    if (!slot) slot = cards.appendChild(h('div', { 'data-slot': df.name }));
    // The data minus what only moves the clock: a card is redrawn when something happened.
    patch(slot, df, (d) => card(d, changed));
  }
  for (const slot of [...cards.children]) if (slot.dataset.slot && !flows.some((f) => f.name === slot.dataset.slot)) slot.remove();
  return { busy: running > 0 };
}
