import { execFile } from 'node:child_process';
import { screen, SGR } from '../cli/terminal-screen';
import { jsonl, MAIN, people, Workspace } from './workspace';

/** Runs the CLI on a real pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function onTerminal(ws: Workspace, args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const command = [process.execPath, MAIN, ...args, '--config', ws.configDir].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve) => {
    execFile('script', ['-q', '-e', '-f', '-c', command, '/dev/null'], { env: { ...process.env, ...ws.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: stdout });
    });
  });
}

describe('dataflowd run on a terminal', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', 'source: { connection: inbox, include: ["*.json"] }\ntarget: { dataset: people }\n');
  });
  afterAll(() => ws.close());

  it('keeps log lines whole, above the progress line, and leaves no progress behind', async () => {
    for (let i = 0; i < 6; i++) await ws.put(`part-${i}.json`, jsonl(people(i * 20_000, 20_000)));
    const out = await onTerminal(ws, ['run', 'people'], { COLUMNS: '100' });
    expect(out.code).toBe(0);
    const shown = screen(out.output).filter((l) => l.trim() !== '');
    const logs = shown.filter((l) => /INFO|WARN|ERROR/.test(l));
    expect(logs.length).toBeGreaterThanOrEqual(3);
    for (const line of logs) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] (INFO|WARN|ERROR)( \([^)]*\))?: /);
    expect(logs.some((l) => /INFO: run finished/.test(l))).toBe(true);
    // The summary follows the logs; no progress line is left on the screen.
    const summary = shown.findIndex((l) => /^run \S+: succeeded$/.test(l));
    expect(summary).toBeGreaterThan(shown.lastIndexOf(logs.at(-1)!));
    expect(shown.filter((l) => /files {2}\d/.test(l) && !/INFO/.test(l))).toEqual([]);
  });

  it('with --quiet shows neither progress nor info logs, only the summary', async () => {
    for (let i = 0; i < 3; i++) await ws.put(`quiet-${i}.json`, jsonl(people(200_000 + i * 20_000, 20_000)));
    const out = await onTerminal(ws, ['run', 'people', '--quiet']);
    expect(out.code).toBe(0);
    const shown = screen(out.output).filter((l) => l.trim() !== '');
    expect(shown).toEqual([expect.stringMatching(/^run \S+: succeeded$/), ...shown.slice(1)]);
    expect(out.output).not.toMatch(/INFO|files {2}\d/);
  });

  it('off a terminal, says how far the run is in plain log lines', async () => {
    await ws.put('plain.json', jsonl(people(300_000, 5_000)));
    const out = await ws.cli(['run', 'people']);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/progress: .*1 file/);
  });

  it('shows no colour with NO_COLOR, and colour without', async () => {
    await ws.put('more.json', jsonl(people(500_000, 10)));
    const plain = await onTerminal(ws, ['run', 'people'], { NO_COLOR: '1' });
    expect(plain.code).toBe(0);
    expect(plain.output.match(SGR)).toBeNull();
    const coloured = await onTerminal(ws, ['history', 'people']);
    expect(coloured.output.match(SGR)).not.toBeNull();
  });
});
