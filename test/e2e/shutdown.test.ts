import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { jsonl, people, sorted, Workspace } from './workspace';

interface Daemon {
  child: ChildProcess;
  logs(): string;
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];

function startDaemon(ws: Workspace): Daemon {
  const child = ws.spawn(['start', '--shutdown-timeout', '20s']);
  started.push(child);
  let logs = '';
  child.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, logs: () => logs, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const UPLOADS = { path: '/data/foundation/import/batches/', method: 'PUT' };

describe('stopping dataflowd', () => {
  let ws: Workspace;
  const records = [...people(0, 5), ...people(50, 5)];
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.put('one.json', jsonl(records.slice(0, 5)));
    await ws.put('two.json', jsonl(records.slice(5)));
    await ws.writeDataflow('slow', 'source: { connection: inbox }\ntarget: { dataset: people }\nschedule: { frequency: once }\n');
  });
  afterAll(() => ws.close());
  afterEach(async () => {
    ws.emulator.faults.set({ rules: [] });
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
  });

  it('a second signal aborts uploads in flight; the next start settles them and the once run happens after all', async () => {
    ws.emulator.faults.set({ rules: [{ ...UPLOADS, latencyMs: 60_000 }] });
    const d = startDaemon(ws);
    await until('the batch to be created', () => d.logs().includes('"msg":"batch created"'));
    d.child.kill('SIGTERM');
    await until('the drain to begin', () => d.logs().includes('letting runs in flight finish'));
    const t0 = Date.now();
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    // The aborted run aborted its batch in Platform and gave its files back for a later run.
    expect(d.logs()).toMatch(/"status":"failed".*"msg":"run finished"/);
    expect(await ws.landed()).toEqual([]);

    ws.emulator.faults.set({ rules: [] });
    const again = startDaemon(ws);
    await until('the once run to succeed', () => /"status":"succeeded".*"msg":"run finished"/.test(again.logs()));
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(sorted(await ws.landed())).toEqual(sorted(records));
  });

  it('the first signal lets uploads in flight finish', async () => {
    await ws.put('three.json', jsonl(people(90, 3)));
    await ws.writeDataflow('slow', 'source: { connection: inbox, include: ["three.json"] }\ntarget: { dataset: people }\nschedule: { frequency: once }\n');
    ws.emulator.faults.set({ rules: [{ ...UPLOADS, latencyMs: 1_500 }] });
    const d = startDaemon(ws);
    await until('the batch to be created', () => d.logs().includes('"msg":"batch created"'));
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(d.logs()).toMatch(/"status":"succeeded".*"msg":"run finished"/);
    expect(sorted(await ws.landed())).toEqual(sorted([...records, ...people(90, 3)]));
  });
});
