/**
 * The dashboard: one static page that reads the status API. No build step, no framework: it
 * shows each dataflow's schedule, last run and recent history, and can trigger a run.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dataflowd</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
 h1{font-size:1.3rem} table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
 th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;white-space:nowrap}
 td.err{white-space:normal;color:#a00;max-width:30rem}
 .succeeded{color:#070}.failed{color:#a00}.partially_succeeded{color:#b60}.skipped{color:#777}.running{color:#06c}
 button{font:inherit}
</style></head><body>
<h1>dataflowd</h1>
<table id="flows"><thead><tr><th>dataflow</th><th>dataset</th><th>schedule</th><th>next run</th><th>last run</th><th>status</th><th>records in/out/failed</th><th></th></tr></thead><tbody></tbody></table>
<h2>Recent runs</h2>
<table id="runs"><thead><tr><th>run</th><th>dataflow</th><th>trigger</th><th>started</th><th>status</th><th>files t/i/f</th><th>records in/out/failed</th><th>batches</th><th>error</th></tr></thead><tbody></tbody></table>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
const when = (s) => s ? new Date(s).toLocaleString() : '-';
const sched = (s) => s.cron ? 'cron ' + s.cron : s.frequency + (s.interval > 1 ? ' ×' + s.interval : '');
async function load() {
  const flows = await (await fetch('api/dataflows')).json();
  document.querySelector('#flows tbody').innerHTML = flows.map((f) => '<tr><td>' + esc(f.name) + '</td><td>' + esc(f.dataset) +
    '</td><td>' + esc(sched(f.schedule)) + '</td><td>' + when(f.nextRun) + '</td><td>' + when(f.lastRun?.startedAt) +
    '</td><td class="' + esc(f.lastRun?.status) + '">' + esc(f.lastRun?.status ?? '-') + '</td><td>' +
    (f.lastRun ? f.lastRun.recordsIn + '/' + f.lastRun.recordsOut + '/' + f.lastRun.recordsFailed : '-') +
    '</td><td><button data-run="' + esc(f.name) + '">run now</button></td></tr>').join('');
  const runs = (await Promise.all(flows.map(async (f) => (await fetch('api/dataflows/' + encodeURIComponent(f.name) + '/runs?limit=10')).json()))).flat()
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, 30);
  document.querySelector('#runs tbody').innerHTML = runs.map((r) => '<tr><td>' + esc(r.id) + '</td><td>' + esc(r.dataflow) + '</td><td>' + esc(r.trigger) +
    '</td><td>' + when(r.startedAt) + '</td><td class="' + esc(r.status) + '">' + esc(r.status) + '</td><td>' + r.filesTaken + '/' + r.filesIngested + '/' + r.filesFailed +
    '</td><td>' + r.recordsIn + '/' + r.recordsOut + '/' + r.recordsFailed + '</td><td>' + esc(r.batchIds.join(', ')) + '</td><td class="err">' + (r.errorKind ? '<b>' + esc(r.errorKind) + '</b> ' : '') + esc(r.error) + '</td></tr>').join('');
}
document.addEventListener('click', async (e) => {
  const name = e.target.dataset?.run;
  if (name) { await fetch('api/dataflows/' + encodeURIComponent(name) + '/runs', { method: 'POST' }); setTimeout(load, 500); }
});
load(); setInterval(load, 5000);
</script></body></html>
`;
