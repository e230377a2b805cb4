/*
 * The dashboard's entry: picks the page from the path, draws it, and keeps it current by asking
 * the API again — every 2 s while something runs, every 10 s otherwise, not while hidden.
 */

import { dataflowPage } from './dataflow-page.js';
import { fill, h } from './dom.js';
import { relative } from './format.js';
import { overviewPage } from './overview.js';
import { runPage } from './run-page.js';

const BUSY_MS = 2000;
const IDLE_MS = 10000;

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
let timer;
let drawing = false;
let again = false;

function page() {
  const path = location.pathname;
  const part = (prefix) => decodeURIComponent(path.slice(prefix.length));
  if (path.startsWith('/dataflows/')) return (changed) => dataflowPage(main, crumbs, part('/dataflows/'), changed);
  if (path.startsWith('/runs/')) return (changed) => runPage(main, crumbs, part('/runs/'), changed);
  return (changed) => overviewPage(main, crumbs, changed);
}

const draw = page();

async function refresh() {
  clearTimeout(timer);
  if (drawing) {
    again = true;
    return;
  }
  drawing = true;
  let busy = false;
  try {
    ({ busy } = await draw(refresh));
    document.getElementById('load-error')?.remove();
  } catch (err) {
    if (err.status === 404) {
      fill(main, h('h1', null, 'Not found'), h('p', null, err.message, ' — ', h('a', { href: '/' }, 'back to the dataflows')));
      return;
    }
    if (err.status === 401) return;
    let notice = document.getElementById('load-error');
    if (!notice) {
      notice = h('p', { id: 'load-error', class: 'notice error', role: 'alert' });
      main.prepend(notice);
    }
    fill(notice, `Could not reach dataflowd: ${err.message}. Trying again…`);
  } finally {
    drawing = false;
  }
  if (again) {
    again = false;
    return refresh();
  }
  if (!document.hidden) timer = setTimeout(refresh, busy ? BUSY_MS : IDLE_MS);
}

/** "3 min ago" moves on even when no data changed. */
function retime() {
  for (const t of document.querySelectorAll('time[datetime]')) t.textContent = relative(t.getAttribute('datetime'));
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) refresh();
});
setInterval(retime, 30000);
refresh();
