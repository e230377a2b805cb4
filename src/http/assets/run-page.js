/* One run: its figures, live progress while it goes, its batches, its files and its row errors. */

import { api } from './api.js';
import { fill, h, patch } from './dom.js';
import { bytes, count, duration, when } from './format.js';
import { badge, dataflowHref, facts, progressView, table } from './widgets.js';

let fileFilter = 'all';

const stateBadge = (state) => h('span', { class: ['badge', `f-${state}`] }, state);
const orDash = (v) => (v === null || v === undefined || v === '' ? '–' : v);

function summary(run) {
  const error = run.error
    ? h('p', { class: ['notice', run.status === 'skipped' ? 'info' : 'error'] }, run.errorKind && run.status !== 'skipped' ? h('b', null, `${run.errorKind}: `) : null, run.errorCode ? [h('code', null, run.errorCode), ' '] : null, run.error)
    : null;
  return [
    error,
    facts([
      ['Dataflow', h('a', { href: dataflowHref(run.dataflow) }, run.dataflow)],
      ['Trigger', run.trigger],
      ['Started', when(run.startedAt)],
      ['Finished', run.finishedAt ? when(run.finishedAt) : 'not yet'],
      // A run's counts are written when it ends; until then the progress above says how far it is.
      ...(run.status === 'running'
        ? []
        : [
            ['Duration', duration(run.durationMs)],
            ['Files', `${count(run.filesIngested)} ingested, ${count(run.filesFailed)} failed, of ${count(run.filesTaken)} taken`],
            ['Records', `${count(run.recordsIn)} in, ${count(run.recordsOut)} out, ${count(run.recordsFailed)} failed`],
            ['Bytes', bytes(run.bytes)],
          ]),
    ]),
  ];
}

const BATCH_COLUMNS = [
  { label: 'Batch', cell: (b) => h('code', null, b.id), class: 'key' },
  { label: 'State', cell: (b) => stateBadge(b.state), class: 'key' },
  { label: 'Platform status', cell: (b) => orDash(b.platformStatus) },
  { label: 'Files', cell: (b) => count(b.files), class: 'num' },
  { label: 'Records in / out / failed', cell: (b) => [b.recordsIn, b.recordsOut, b.recordsFailed].map(count).join(' / '), class: 'num' },
  { label: 'Error', cell: (b) => (b.error ? h('span', { class: 'error-text' }, b.error) : ''), class: 'wide' },
];

const FILE_COLUMNS = [
  { label: 'File', cell: (f) => h('span', { class: 'path' }, f.path), class: 'wide key' },
  { label: 'State', cell: (f) => stateBadge(f.state), class: 'key' },
  { label: 'Size', cell: (f) => bytes(f.size), class: 'num' },
  { label: 'Records', cell: (f) => count(f.records), class: 'num' },
  { label: 'Batch', cell: (f) => (f.batchId ? h('code', null, f.batchId) : '–') },
  { label: 'Error', cell: (f) => (f.error ? h('span', { class: 'error-text' }, f.error) : ''), class: 'wide' },
];

const ROW_ERROR_COLUMNS = [
  { label: 'File', cell: (e) => h('span', { class: 'path' }, e.file), class: 'wide key' },
  { label: 'Row', cell: (e) => count(e.rowNumber), class: 'num' },
  { label: 'Line', cell: (e) => count(e.lineNumber), class: 'num' },
  { label: 'Column', cell: (e) => orDash(e.column) },
  { label: 'Field', cell: (e) => orDash(e.field) },
  { label: 'Reason', cell: (e) => [h('code', null, e.code), ' ', e.message], class: 'wide' },
];

const NOTIFICATION_COLUMNS = [
  { label: 'Event', cell: (n) => h('code', null, n.event), class: 'key' },
  { label: 'Webhook', cell: (n) => h('span', { class: 'path' }, n.endpoint) },
  { label: 'State', cell: (n) => stateBadge(n.state), class: 'key' },
  { label: 'Attempts', cell: (n) => count(n.attempts), class: 'num' },
  {
    label: 'When',
    cell: (n) => (n.deliveredAt ? `delivered ${when(n.deliveredAt)}` : n.nextAttemptAt ? `next try ${when(n.nextAttemptAt)}` : '–'),
  },
  { label: 'Last error', cell: (n) => (n.lastError ? h('span', { class: 'error-text' }, n.lastError) : ''), class: 'wide' },
];

function files(run, changed) {
  const states = Object.entries(run.fileStates);
  const chips = states.length > 1 || fileFilter !== 'all'
    ? h(
        'p',
        { class: 'chips', role: 'group', 'aria-label': 'Show files by state' },
        [['all', run.fileCount], ...states].map(([state, n]) => {
          const chip = h('button', { type: 'button', class: 'chip', 'aria-pressed': String(fileFilter === state) }, `${state} ${count(n)}`);
          chip.addEventListener('click', () => {
            fileFilter = state;
            changed();
          });
          return chip;
        }),
      )
    : null;
  const shown = run.files.filter((f) => fileFilter === 'all' || f.state === fileFilter);
  const note = run.fileCount > run.files.length ? h('p', { class: 'muted small' }, `The first ${count(run.files.length)} of ${count(run.fileCount)} files.`) : null;
  return [chips, note, shown.length ? table(FILE_COLUMNS, shown) : h('p', { class: 'muted' }, run.fileCount ? 'No file in this state.' : 'No file taken.')];
}

function rowErrors(run) {
  if (run.rowErrors.length === 0) return h('p', { class: 'muted' }, 'No row error kept for this run.');
  return [
    table(ROW_ERROR_COLUMNS, run.rowErrors),
    run.moreRowErrors ? h('p', { class: 'muted small' }, `The first ${count(run.rowErrors.length)}; the rest: dataflowd history ${run.dataflow} --run ${run.id}`) : null,
  ];
}

export async function runPage(main, crumbs, id, changed) {
  const run = await api.run(id);
  document.title = `Run ${run.id} · dataflowd`;
  fill(crumbs, h('a', { href: '/' }, 'Dataflows'), ' › ', h('a', { href: dataflowHref(run.dataflow) }, run.dataflow), ' › ', h('span', null, run.id));
  if (!main.querySelector('#summary')) {
    fill(
      main,
      h('div', { class: 'title-row' }, h('h1', null, 'Run ', h('code', null, run.id)), h('span', { id: 'status' })),
      h('section', { id: 'progress' }),
      h('section', { id: 'summary' }),
      h('section', null, h('h2', null, 'Batches'), h('div', { id: 'batches' })),
      h('section', null, h('h2', null, 'Files'), h('div', { id: 'files' })),
      h('section', null, h('h2', null, 'Row errors'), h('div', { id: 'row-errors' })),
      h('section', { id: 'notifications-section', hidden: true }, h('h2', null, 'Notifications'), h('div', { id: 'notifications' })),
    );
  }
  patch(main.querySelector('#status'), run.status, badge);
  patch(main.querySelector('#progress'), run.progress, (p) => (p ? progressView(p, { link: false }) : []));
  const { progress: _progress, ...still } = run;
  patch(main.querySelector('#summary'), still, summary);
  patch(main.querySelector('#batches'), run.batches, (batches) => (batches.length ? table(BATCH_COLUMNS, batches) : h('p', { class: 'muted' }, 'No batch.')));
  patch(main.querySelector('#files'), { files: run.files, fileStates: run.fileStates, fileFilter }, () => files(run, changed));
  patch(main.querySelector('#row-errors'), run.rowErrors, () => rowErrors(run));
  // Only for runs a webhook was told about: most dataflows have none configured.
  main.querySelector('#notifications-section').hidden = run.notifications.length === 0;
  patch(main.querySelector('#notifications'), run.notifications, (list) => (list.length ? table(NOTIFICATION_COLUMNS, list) : []));
  return { busy: run.status === 'running' };
}
