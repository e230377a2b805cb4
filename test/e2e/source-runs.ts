import type { OwnedFiles } from '../servers/owned-files';
import { jsonl, people, sorted, Workspace } from './workspace';

/*
 * What every protocol must do end to end (issue 3), run against its real server by the real CLI
 * into the emulator: exactly the source records land, a second run takes nothing, a changed file
 * is ingested again, and `afterIngest: move` leaves the source folder empty and the archive full.
 * Each protocol's test file starts its server, writes the config and calls this inside its
 * describe; its own failure cases (credentials, certificates, host keys) stay there.
 */

export interface SourceUnderTest {
  ws: Workspace;
  /** Writes a file below the connection's root ('/'-separated path). */
  put(rel: string, content: string): Promise<void>;
  /** Writes a file again so that the source reports a new version of it. */
  rewrite(rel: string, content: string): Promise<void>;
  /** The files below a folder of the root, '/'-separated from the root, sorted. */
  list(folder: string): Promise<string[]>;
  /** A file's bytes, or undefined when there is none. */
  read(rel: string): Promise<Buffer | undefined>;
  /** Texts no output may hold (the secrets the config reads from the environment, keys). */
  secrets: string[];
}

/** A dataflow from a folder of `connection` (its *.json files) into the dataset `people`. */
export const sourceDataflow = (connection: string, folder: string, extra: string[] = []): string =>
  ['source:', `  connection: ${connection}`, `  path: ${folder}`, '  include: ["*.json"]', ...extra, 'target:', '  dataset: people'].join('\n');

/** The dataflows the scenarios run: `people` reads /incoming, `people-archived` reads /outbound
 *  recursively and moves what Platform accepted to /archive. */
export async function writeSourceRunDataflows(ws: Workspace, connection: string, archivedConnection = connection): Promise<void> {
  await ws.writeDataflow('people', sourceDataflow(connection, '/incoming'));
  await ws.writeDataflow('people-archived', sourceDataflow(archivedConnection, '/outbound', ['  recursive: true', '  afterIngest: move', '  moveTo: /archive']));
}

/**
 * A server that serves a folder of this machine (sshd, vsftpd). A rewritten file is dated an hour
 * back: these servers give times in seconds (SFTP) or minutes (FTP's LIST), so the new version
 * must differ from the old in its time as a rewrite later in the day would, not only in its size.
 */
export function serverFolder(ws: Workspace, files: OwnedFiles, secrets: string[]): SourceUnderTest {
  return {
    ws,
    put: files.put,
    rewrite: async (rel, content) => {
      await files.put(rel, content);
      await files.setModifiedAt(rel, new Date(Date.now() - 3_600_000));
    },
    list: files.list,
    read: files.read,
    secrets,
  };
}

/** The exit code next to the run record, so that a failure shows the run's error. */
const outcome = (run: { code: number; stdout: string }) => ({ code: run.code, ...JSON.parse(run.stdout) });

export function itRunsFromTheSource(source: () => SourceUnderTest): void {
  const a = people(0, 40);
  const b = people(100, 25);
  const c = people(400, 5);
  const more = people(200, 3);
  const landedFrom = async (...sets: unknown[][]) => expect(sorted(await source().ws.landed())).toEqual(sorted(sets.flat()));
  const noSecrets = (text: string) => {
    for (const secret of source().secrets) expect(text).not.toContain(secret);
  };

  it('ingests exactly the source records, and nothing on a second run', async () => {
    const { ws, put } = source();
    await put('incoming/a.json', jsonl(a));
    await put('incoming/b b.json', jsonl(b));
    await put('incoming/notes.txt', 'not selected');
    await put('incoming/sub/deeper.json', jsonl(people(900, 1)));
    const first = await ws.cli(['run', 'people', '--json']);
    expect(outcome(first)).toMatchObject({ code: 0, status: 'succeeded', filesTaken: 2, filesIngested: 2, recordsOut: 65 });
    noSecrets(first.stdout + first.stderr);
    await landedFrom(a, b);

    const second = await ws.cli(['run', 'people']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/skipped/);
    expect(second.stdout).toMatch(/2 already ingested/);
    await landedFrom(a, b);
  });

  it('ingests a changed file again as a new version', async () => {
    const { ws, rewrite } = source();
    await rewrite('incoming/b b.json', jsonl([...b, ...more]));
    const run = await ws.cli(['run', 'people', '--json']);
    expect(outcome(run)).toMatchObject({ code: 0, status: 'succeeded', filesTaken: 1, filesIngested: 1, recordsIn: 28, recordsOut: 28 });
    await landedFrom(a, b, b, more);
  });

  it('afterIngest: move leaves the source folder empty and the archive folder full', async () => {
    const { ws, put, list, read } = source();
    await put('outbound/c1.json', jsonl(c.slice(0, 2)));
    await put('outbound/2024/données ü.json', jsonl(c.slice(2)));
    const run = await ws.cli(['run', 'people-archived', '--json']);
    expect(outcome(run)).toMatchObject({ code: 0, status: 'succeeded', filesIngested: 2, recordsOut: 5 });
    noSecrets(run.stdout + run.stderr);
    expect(await list('outbound')).toEqual([]);
    expect(await list('archive')).toEqual(['archive/2024/données ü.json', 'archive/c1.json']);
    expect((await read('archive/2024/données ü.json'))?.toString()).toBe(jsonl(c.slice(2)));
    await landedFrom(a, b, b, more, c);
  });
}
