import { Workspace } from './workspace';

/** The JSON log lines of a command, by message. */
function logLines(stderr: string): Array<Record<string, unknown> & { msg: string }> {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

describe('expected errors are one line with their kind and code', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', 'source: { connection: inbox, path: missing }\ntarget: { dataset: people }\n');
  });
  afterAll(() => ws.close());

  it('a source folder that does not exist is logged without a stack', async () => {
    const out = await ws.cli(['run', 'people']);
    expect(out.code).toBe(1);
    const failed = logLines(out.stderr).find((l) => l.msg === 'run failed');
    expect(failed?.err).toEqual({ type: 'DataflowError', kind: 'not_found', code: 'ERR_SOURCE_NOT_FOUND', message: expect.stringContaining('listing "missing"') });
    expect(out.stderr).not.toMatch(/\bat .*\(.*\.js:\d+:\d+\)/);
  });

  it('and with its stack at debug level', async () => {
    ws.env.DATAFLOWD_LOG_LEVEL = 'debug';
    const out = await ws.cli(['run', 'people']).finally(() => (ws.env.DATAFLOWD_LOG_LEVEL = 'info'));
    const failed = logLines(out.stderr).find((l) => l.msg === 'run failed') as { err?: { stack?: string } } | undefined;
    expect(failed?.err?.stack).toMatch(/\n\s+at /);
  });
});
