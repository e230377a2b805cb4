import { startSftpServer, SftpServer } from '../servers/sftp-server';
import { CliRun, killAll, runCli } from './daemon-process';
import { allBatches, landedRecords, statusCounts, tally } from './exactly-once';
import { jsonl, people, Workspace } from './workspace';

/*
 * Exactly-once when the source fails: the SFTP server (OpenSSH, test/servers/sftp-server.ts)
 * drops its sessions while dataflowd is in the middle of reading a file. The emulator holds each
 * upload for a moment (a latency fault) so the file is mid-read when the drop comes: uploads
 * stream, so reading stops while the upload waits. Whether the run retries the file at once or
 * fails and a later run takes it again, the file lands whole and once, and no half file is left
 * in Platform: every batch is either a success or aborted. The dataset has no schema, so the
 * JSON Lines pass through unchanged, of known size, in one streamed PUT (output to convert is
 * written to a local file before its upload, and its reading is not held by Platform).
 */

/** Big enough that loopback socket buffers cannot hold it: reading waits on the upload. */
const BIG_RECORDS = 150_000;
const HOLD_PUT = { rules: [{ path: '/data/foundation/import/batches', method: 'PUT', latencyMs: 1500 }] };

describe('source faults: the SFTP server drops in the middle of a file', () => {
  let sftp: SftpServer;
  let ws: Workspace;
  const expected: unknown[] = [];

  beforeAll(async () => {
    sftp = await startSftpServer();
    ws = await Workspace.create({ extraDatasets: [{ id: 'raw', name: 'Raw' }] });
    await ws.writeDaemonConfig(
      `  box: { type: sftp, host: ${sftp.host}, port: ${sftp.port}, username: ${sftp.username}, password: ${JSON.stringify(sftp.password)}, hostKey: "${sftp.hostKey}" }`,
    );
    for (const [name, folder, from] of [
      ['once', 'one', 0],
      ['again', 'two', 1_000_000],
    ] as const) {
      await ws.writeDataflow(name, ['source:', '  connection: box', `  path: /${folder}`, '  include: ["*.json"]', 'target:', '  dataset: raw'].join('\n'));
      const big = people(from, BIG_RECORDS);
      const small = people(from + BIG_RECORDS, 10);
      await sftp.put(`${folder}/big.json`, jsonl(big));
      await sftp.put(`${folder}/small.json`, jsonl(small));
      for (const r of [...big, ...small]) expected.push(r);
    }
  });

  afterAll(async () => {
    await killAll();
    await ws?.close();
    await sftp?.stop();
  });

  /**
   * Runs the dataflow; each time an upload reaches the emulator (and is held there, its file
   * half-read), drops the SFTP sessions, `drops` times at most. Resolves with the run and the
   * number of drops made.
   */
  async function runDropping(name: string, drops: number): Promise<{ run: CliRun; dropped: number }> {
    ws.emulator.faults.set(HOLD_PUT);
    const running = runCli(ws, ['run', name, '--json']);
    let done = false;
    void running.then(() => (done = true));
    let dropped = 0;
    let seen = 0;
    while (!done && dropped < drops) {
      // Bounded condition wait on the emulator's own count of held uploads: no fixed sleep.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const held = ws.emulator.faults.injected().delayed;
      if (held > seen) {
        seen = held;
        await sftp.dropSessions();
        dropped++;
      }
    }
    const run = await running;
    ws.emulator.faults.set({ rules: [] });
    return { run, dropped };
  }

  const bigFailures = (run: CliRun) => run.logs.filter((l) => l.msg === 'upload failed, retrying' && String(l.path).endsWith('big.json'));

  test('one drop mid-file: the read is retried from the start, and the file lands whole, once', async () => {
    const { run, dropped } = await runDropping('once', 1);
    expect(dropped).toBe(1);
    const first = JSON.parse(run.stdout) as { status: string; filesIngested: number };
    // The drop cut a read short: either the run retried the file, or it failed and a later run takes it.
    if (first.status === 'succeeded') expect(bigFailures(run).length).toBeGreaterThanOrEqual(1);
    const again = JSON.parse((await runCli(ws, ['run', 'once', '--json'])).stdout) as { status: string; filesIngested: number };
    expect(first.filesIngested + (again.status === 'skipped' ? 0 : again.filesIngested)).toBe(2);
  });

  test('the server keeps dropping: the run fails cleanly, and the next run takes the files again', async () => {
    const { run, dropped } = await runDropping('again', 50);
    expect(dropped).toBeGreaterThanOrEqual(3);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'failed', filesIngested: 0 });
    expect(bigFailures(run).length).toBeGreaterThanOrEqual(2);

    const next = await runCli(ws, ['run', 'again', '--json']);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 2, filesIngested: 2 });
  });

  test('in the end: every record once, and nothing half-ingested in Platform', async () => {
    const figures = tally(expected, await landedRecords(ws.platform, 'raw'));
    const batches = statusCounts(await allBatches(ws.platform, 'raw'));
    process.stdout.write(
      `source-faults test: batches ${JSON.stringify(batches)}; records expected ${figures.expected}, landed ${figures.landed}, duplicates ${figures.duplicates}, missing ${figures.missing}\n`,
    );
    expect(figures).toEqual({ expected: expected.length, landed: expected.length, duplicates: 0, missing: 0, unexpected: 0 });
    expect(Object.keys(batches).filter((s) => s !== 'success' && s !== 'aborted')).toEqual([]);
    expect(batches.aborted).toBeGreaterThanOrEqual(1);
  });
});
