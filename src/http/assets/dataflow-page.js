/* A dataflow: its facts, what runs now, its runs over time, and its history with skips folded. */

import { api } from './api.js';
import { runsChart } from './chart.js';
import { fill, h, patch } from './dom.js';
import { bytes, count, duration, schedule, shortWhen } from './format.js';
import { runNowControl } from './run-now.js';
import { ago, badge, facts, progressView, runError, runLink, split, table } from './widgets.js';

const CHART_RUNS = 60;
const expanded = new Set();
let historyLimit = 100;

function holder(df) {
  if (!df.holderKnown) return null;
  if (!df.holder) return ['Held by', 'nobody'];
  return ['Held by', [`${df.holder.owner} on ${df.holder.host} (pid ${df.holder.pid}) since `, ago(df.holder.since)]];
}

function source(df) {
  const s = df.source;
  const everything = s.include.length === 1 && s.include[0] === '**';
  const globs = [everything ? null : `include ${s.include.join(', ')}`, s.exclude.length ? `exclude ${s.exclude.join(', ')}` : null].filter(Boolean).join('; ');
  return [h('code', null, `${s.connection}${s.connectionType ? ` (${s.connectionType})` : ''}:${s.path}`), globs ? ` ${globs}` : '', s.recursive ? ' (recursive)' : ''];
}

function about(df) {
  const last = df.lastIngestion;
  return facts([
    ['Last ingestion', last ? [badge(last.status), ' ', runLink(last, ago(last.startedAt))] : 'none yet'],
    df.lastCheck ? ['Last check', [runLink({ id: df.lastCheck.runId }, ago(df.lastCheck.at)), ` · ${df.lastCheck.result ?? 'nothing new'}`]] : null,
    ['Next run', df.nextRun ? ago(df.nextRun) : df.enabled ? 'none scheduled' : 'disabled'],
    ['Schedule', schedule(df.schedule)],
    holder(df),
    ['Source', source(df)],
    ['Target', [h('code', null, df.dataset), ` · ${df.format}`]],
    ['After ingest', df.source.afterIngest === 'move' ? ['move to ', h('code', null, df.source.moveTo ?? '')] : df.source.afterIngest],
    df.maxErrorPercent !== null ? ['Partial ingestion', `up to ${df.maxErrorPercent} % rows failed`] : null,
  ]);
}

/** A run's counts are written when it ends: before that, its progress shows above. */
const done = (r, cell) => (r.status === 'running' ? '…' : cell(r));

const COLUMNS = [
  { label: 'Run', cell: (r) => runLink(r, ago(r.startedAt)), class: 'key' },
  { label: 'Status', cell: (r) => badge(r.status), class: 'key' },
  { label: 'Trigger', cell: (r) => r.trigger },
  { label: 'Files', cell: (r) => done(r, () => split([['ingested', r.filesIngested], ['failed', r.filesFailed], ['taken', r.filesTaken]])), class: 'num' },
  { label: 'Records', cell: (r) => done(r, () => split([['out', r.recordsOut], ['failed', r.recordsFailed]])), class: 'num' },
  { label: 'Bytes', cell: (r) => done(r, () => bytes(r.bytes)), class: 'num' },
  { label: 'Duration', cell: (r) => duration(r.durationMs), class: 'num' },
  { label: 'Error', cell: runError, class: 'wide' },
];

/** Runs that found nothing new, in a row of their own that opens on a click. */
function foldRow(group, changed) {
  const key = group[0].id;
  const open = expanded.has(key);
  const nothingNew = group.every((r) => (r.error ?? '').startsWith('nothing new'));
  const what = `${count(group.length)} ${group.length === 1 ? 'run' : 'runs'} skipped${nothingNew ? ': nothing new' : ''}`;
  const span = `${shortWhen(group[group.length - 1].startedAt)} – ${shortWhen(group[0].startedAt)}`;
  const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': String(open) }, `${open ? '▾' : '▸'} ${what}`);
  toggle.addEventListener('click', () => {
    if (open) expanded.delete(key);
    else expanded.add(key);
    changed();
  });
  return h('tr', { class: 'fold' }, h('td', { colspan: COLUMNS.length }, toggle, h('span', { class: 'muted small' }, ` ${span}`)));
}

function history(runs, changed) {
  const rows = [];
  for (let i = 0; i < runs.length; ) {
    if (runs[i].status !== 'skipped') {
      rows.push(runs[i++]);
      continue;
    }
    const group = [];
    while (i < runs.length && runs[i].status === 'skipped') group.push(runs[i++]);
    rows.push(foldRow(group, changed));
    if (expanded.has(group[0].id)) rows.push(...group);
  }
  const more = runs.length >= historyLimit && historyLimit < 500;
  const button = more ? h('button', { type: 'button', class: 'link' }, 'Show older runs') : null;
  button?.addEventListener('click', () => {
    historyLimit = Math.min(500, historyLimit * 2.5);
    changed();
  });
  return [table(COLUMNS, rows, { rowClass: (r) => (r.status === 'skipped' ? 'run skipped' : 'run'), class: 'runs' }), button];
}

export async function dataflowPage(main, crumbs, name, changed) {
  const [df, recent, ingestions] = await Promise.all([api.dataflow(name), api.runs(name, { limit: historyLimit }), api.runs(name, { limit: CHART_RUNS, skipped: false })]);
  document.title = `${df.name} · dataflowd`;
  fill(crumbs, h('a', { href: '/' }, 'Dataflows'), ' › ', h('span', null, df.name));
  if (!main.querySelector('#about')) {
    fill(
      main,
      h('div', { class: 'title-row' }, h('h1', null, df.name), runNowControl(df.name, changed)),
      df.description ? h('p', { class: 'muted' }, df.description) : null,
      h('section', { id: 'about' }),
      h('section', { id: 'running' }),
      h('section', null, h('h2', null, 'Runs over time'), h('div', { id: 'chart' })),
      h('section', null, h('h2', null, 'Runs'), h('div', { id: 'history' })),
    );
  }
  patch(main.querySelector('#about'), df, about);
  patch(main.querySelector('#running'), df.running, (running) => (running.length ? [h('h2', null, 'Running now'), running.map((p) => progressView(p))] : []));
  patch(main.querySelector('#chart'), ingestions, runsChart);
  patch(main.querySelector('#history'), { recent, open: [...expanded], historyLimit }, () => history(recent, changed));
  return { busy: df.running.length > 0 };
}
