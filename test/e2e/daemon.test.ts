import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { jsonl, people, sorted, STORES, Workspace } from './workspace';

interface FlowStatus {
  name: string;
  lastRun: { status: string; error: string | null } | null;
}

/** Starts `dataflowd start` and resolves its HTTP address from the log line that announces it. */
async function startDaemon(ws: Workspace): Promise<{ child: ChildProcess; url: string; logs: () => string }> {
  const child = ws.spawn(['start', '--shutdown-timeout', '10s']);
  let logs = '';
  child.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (c: Buffer) => {
      logs += c.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)","msg":"http listening"/.exec(logs);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}: ${logs}`)));
  });
  return { child, url, logs: () => logs };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** Polls until `check` holds; bounded, so a broken daemon fails the test instead of hanging it. */
async function until<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(STORES)('dataflowd start (%s store)', (store) => {
  let ws: Workspace;
  const records = people(0, 30);

  beforeAll(async () => {
    ws = await Workspace.create({ store });
    await ws.writeDaemonConfig('  missing: { type: local, root: /nonexistent/dataflowd-e2e }');
    await ws.put('good/a.json', jsonl(records));
    await ws.put('ticks/t.json', jsonl(people(500, 1)));
    await ws.writeDataflow('good', 'source: { connection: inbox, path: good }\ntarget: { dataset: people }\nschedule: { frequency: once }\n');
    await ws.writeDataflow('broken', 'source: { connection: missing }\ntarget: { dataset: people }\nschedule: { frequency: once }\n');
    await ws.writeDataflow('ticks', 'source: { connection: inbox, path: ticks }\ntarget: { dataset: people }\nschedule: { cron: "* * * * * *" }\n');
  });
  afterAll(() => ws.close());

  it('runs every dataflow on its schedule, keeps going when one fails, reports it in /metrics, and stops cleanly on SIGTERM', async () => {
    const daemon = await startDaemon(ws);
    try {
      const flows = await until(
        'the once dataflows to finish',
        () => getJson<FlowStatus[]>(`${daemon.url}/api/dataflows`),
        (fs) => fs.every((f) => f.name === 'ticks' || (f.lastRun && f.lastRun.status !== 'running')),
      );
      const byName = Object.fromEntries(flows.map((f) => [f.name, f]));
      expect(byName.good.lastRun?.status).toBe('succeeded');
      expect(byName.broken.lastRun?.status).toBe('failed');
      expect(byName.broken.lastRun?.error).toMatch(/nonexistent/);
      // The cron dataflow fires every second: its first tick takes the file, later ones find nothing new.
      const ticks = await until('three cron ticks', () => getJson<Array<{ status: string }>>(`${daemon.url}/api/dataflows/ticks/runs`), (rs) => rs.length >= 3);
      expect(ticks.map((r) => r.status)).toContain('skipped');
      expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${daemon.url}/`)).text()).toContain('<title>dataflowd</title>');

      const scrape = await fetch(`${daemon.url}/metrics`);
      expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const metrics = await scrape.text();
      expect(metrics).toContain('dataflowd_runs_total{dataflow="good",status="succeeded"} 1');
      expect(metrics).toContain('dataflowd_runs_total{dataflow="broken",status="failed"} 1');
      expect(metrics).toContain(`dataflowd_records_total{dataflow="good",outcome="ingested"} ${records.length}`);
      expect(metrics).toContain('dataflowd_last_run_status{dataflow="broken",status="failed"} 1');
      expect(metrics).toMatch(/^dataflowd_next_run_timestamp_seconds\{dataflow="ticks"\} \d+/m);
    } finally {
      daemon.child.kill('SIGTERM');
      const [code] = await once(daemon.child, 'exit');
      expect(code).toBe(0);
    }
    expect(daemon.logs()).toContain('dataflowd stopped');
    expect(sorted(await ws.landed())).toEqual(sorted([...records, ...people(500, 1)]));
  });

  it('runs a once dataflow a single time, even across restarts, and triggers runs over HTTP', async () => {
    const daemon = await startDaemon(ws);
    try {
      const before = await getJson<unknown[]>(`${daemon.url}/api/dataflows/good/runs`);
      expect(before).toHaveLength(1);
      const res = await fetch(`${daemon.url}/api/dataflows/good/runs`, { method: 'POST' });
      expect(res.status).toBe(202);
      const after = await until('the triggered run', () => getJson<Array<{ status: string; trigger: string }>>(`${daemon.url}/api/dataflows/good/runs`), (rs) => rs.length === 2 && rs[0].status !== 'running');
      expect(after[0]).toMatchObject({ trigger: 'api', status: 'skipped' });
      expect((await fetch(`${daemon.url}/api/dataflows/nope/runs`, { method: 'POST' })).status).toBe(404);
    } finally {
      daemon.child.kill('SIGTERM');
      await once(daemon.child, 'exit');
    }
  });

  it('validate says whether a once dataflow will run again, and --check reaches every connection', async () => {
    const notes = await ws.cli(['validate']);
    expect(notes.code).toBe(0);
    expect(notes.stdout).toMatch(/^note: good \(once\) already ran in run \S+ on \S+; it will not run again/m);
    await ws.writeDataflow('good', 'source: { connection: inbox, path: good, include: ["*.json"] }\ntarget: { dataset: people }\nschedule: { frequency: once }\n');
    expect((await ws.cli(['validate'])).stdout).toMatch(/^note: good \(once\) changed since its run \S+: it will run once more at the next start/m);

    const check = await ws.cli(['validate', '--check']);
    expect(check.code).toBe(2);
    expect(check.stdout).toMatch(/dataflowd\.yaml:\d+:\d+: connections\.missing: check failed: .*nonexistent/);
    expect(check.stdout).toMatch(/^connection inbox \(local\): ok$/m);
  });
});
