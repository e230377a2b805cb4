import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonl, people, Workspace } from './workspace';

interface Daemon {
  child: ChildProcess;
  url: string;
  logs(): string;
}

async function startDaemon(ws: Workspace, args: string[] = []): Promise<Daemon> {
  const child = ws.spawn(['start', ...args]);
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

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const names = async (url: string) => ((await (await fetch(`${url}/api/dataflows`)).json()) as Array<{ name: string }>).map((d) => d.name).sort();
const runsOf = async (url: string, name: string) => (await (await fetch(`${url}/api/dataflows/${name}/runs`)).json()) as Array<{ status: string }>;

describe('dataflowd start reloads its config without a restart', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.put('a/one.json', jsonl(people(0, 3)));
    await ws.put('b/two.json', jsonl(people(10, 4)));
    await ws.writeDataflow('alpha', 'source: { connection: inbox, path: a }\ntarget: { dataset: people }\n');
  });
  afterAll(() => ws.close());

  it('applies added, edited and removed dataflows when files change, and refuses an invalid config whole', async () => {
    const d = await startDaemon(ws);
    try {
      await until('alpha to run', async () => (await runsOf(d.url, 'alpha')).some((r) => r.status === 'succeeded'));

      await ws.writeDataflow('beta', 'source: { connection: inbox, path: b }\ntarget: { dataset: people }\n');
      await until('beta to appear and run', async () => (await names(d.url)).includes('beta') && (await runsOf(d.url, 'beta')).some((r) => r.status === 'succeeded'));

      await ws.writeDataflow('gamma', 'source: { connection: nowhere }\ntarget: { dataset: people }\n');
      await until('the reload to be refused', () => /config reload refused/.test(d.logs()));
      expect(d.logs()).toMatch(/gamma\.yaml:\d+:\d+: source\.connection: connection \\"nowhere\\" is not defined/);
      expect(await names(d.url)).toEqual(['alpha', 'beta']);

      await rm(path.join(ws.configDir, 'dataflows', 'gamma.yaml'));
      await rm(path.join(ws.configDir, 'dataflows', 'beta.yaml'));
      await until('beta to be removed', async () => (await names(d.url)).join() === 'alpha');
    } finally {
      d.child.kill('SIGTERM');
      await once(d.child, 'exit');
    }
  });

  it('reloads on SIGHUP when not watching files', async () => {
    const d = await startDaemon(ws, ['--no-watch']);
    try {
      await writeFile(path.join(ws.configDir, 'dataflows', 'delta.yaml'), 'name: delta\nsource: { connection: inbox, path: b }\ntarget: { dataset: people }\n');
      d.child.kill('SIGHUP');
      await until('delta to appear', async () => (await names(d.url)).includes('delta'));
    } finally {
      d.child.kill('SIGTERM');
      await once(d.child, 'exit');
    }
  });
});
