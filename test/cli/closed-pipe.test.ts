import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { jsonl, MAIN, people, Workspace } from '../e2e/workspace';

/** Runs the CLI with its reader gone before it writes a byte, as `dataflowd … | head -1` ends up. */
async function withClosedPipe(ws: Workspace, args: string[], close: 'stdout' | 'both'): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args, '--config', ws.configDir], { env: { ...process.env, ...ws.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  if (close === 'both') child.stderr.destroy();
  else child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('every command survives a closed pipe', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', 'source: { connection: inbox, include: ["*.json"] }\ntarget: { dataset: people }\n');
    await ws.put('a.json', jsonl(people(0, 30)));
  });
  afterAll(() => ws.close());

  it.each([[['schema']], [['history']], [['run', 'people', '--dry-run']], [['validate']]])('%j | head ends quietly', async (args) => {
    const out = await withClosedPipe(ws, args, 'stdout');
    expect(out.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|at .*\.js:\d+/);
    expect(out.code).toBe(0);
  });

  it('a run whose stdout and stderr readers left still runs to the end and records it', async () => {
    const out = await withClosedPipe(ws, ['run', 'people'], 'both');
    expect(out.code).toBe(0);
    const history = JSON.parse((await ws.cli(['history', 'people', '--json'])).stdout) as Array<{ status: string; recordsOut: number }>;
    expect(history[0]).toMatchObject({ status: 'succeeded', recordsOut: 30 });
  });
});
