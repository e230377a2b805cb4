/*
 * "Run now": says what happened — started (with the run's link), or why not. When the daemon
 * does not give the new run's id at once, the run is looked for in the dataflow's history.
 */

import { api } from './api.js';
import { fill, h } from './dom.js';
import { runHref } from './widgets.js';

const controls = new Map();
const FIND_TRIES = 30;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function findRun(name, requestedAt) {
  const since = new Date(requestedAt).getTime();
  for (let i = 0; i < FIND_TRIES; i++) {
    const runs = await api.runs(name, { limit: 10 });
    const run = runs.find((r) => r.trigger === 'api' && new Date(r.startedAt).getTime() >= since);
    if (run) return run;
    await pause(1000);
  }
  return undefined;
}

function say(notice, kind, ...parts) {
  notice.className = `notice ${kind}`;
  fill(notice, parts);
}

async function runNow(name, button, notice, changed) {
  button.disabled = true;
  say(notice, 'info', 'Starting…');
  try {
    const answer = await api.runNow(name);
    if (!answer.started) {
      say(notice, 'warn', `Not started: ${answer.reason}`, answer.runId ? [' — ', h('a', { href: runHref(answer.runId) }, 'see that run')] : null);
      return;
    }
    changed();
    if (answer.runId) {
      say(notice, 'ok', 'Started run ', h('a', { href: runHref(answer.runId) }, answer.runId));
      return;
    }
    say(notice, 'ok', 'Started; waiting for the run to appear…');
    const run = await findRun(name, answer.requestedAt);
    if (run) say(notice, 'ok', 'Started run ', h('a', { href: runHref(run.id) }, run.id));
    else say(notice, 'warn', 'Started, but the run has not begun yet: it may be waiting for a free slot (limits.runs).');
    changed();
  } catch (err) {
    if (err.status !== 401) say(notice, 'error', `Could not start a run: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

/** The button and its answer for one dataflow; the same element across re-renders, so its answer stays. */
export function runNowControl(name, changed) {
  let control = controls.get(name);
  if (!control) {
    const notice = h('p', { class: 'notice', role: 'status', hidden: true });
    const button = h('button', { type: 'button', class: 'run-now', 'data-dataflow': name }, 'Run now');
    button.addEventListener('click', () => {
      notice.hidden = false;
      runNow(name, button, notice, changed);
    });
    control = h('div', { class: 'run-now-control' }, button, notice);
    controls.set(name, control);
  }
  return control;
}
