import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { watchConfig } from '../../src/config/watch-config';

/*
 * The config watcher reloads for the config's own files only: dataflowd.yaml, dataflows/*.yaml
 * and the schema files they name, wherever those are; not for a state database, an inbox or an
 * editor's swap file written in the config folder. Real files, real fs.watch; the test waits
 * for the watcher's own events (a change, a change ignored, the files it watches).
 */

const DAEMON = (schema: string) => `platform:\n  mode: embedded\n  datasets:\n    - { id: orders, schema: ${schema} }\nconnections:\n  inbox: { type: local, root: ./inbox }\n`;
const FLOW = (schema: string) => `name: a\nsource: { connection: inbox }\ntarget: { dataset: orders }\nmapping: { schema: ${schema} }\n`;

describe('watchConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-watch-'));
    for (const sub of ['dataflows', 'schemas', 'other', 'elsewhere']) await mkdir(path.join(dir, sub));
    await writeFile(path.join(dir, 'dataflowd.yaml'), DAEMON('schemas/orders.schema.json'));
    await writeFile(path.join(dir, 'dataflows', 'a.yaml'), FLOW('../other/mapping.json'));
    await writeFile(path.join(dir, 'schemas', 'orders.schema.json'), '{}');
    await writeFile(path.join(dir, 'other', 'mapping.json'), '{}');
    await writeFile(path.join(dir, 'elsewhere', 'm.json'), '{}');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  function watching() {
    const seen = { changes: 0, ignored: [] as string[], watched: [] as string[] };
    let wake = () => undefined as void;
    const stop = watchConfig(
      dir,
      () => {
        seen.changes++;
        wake();
      },
      {
        settleMs: 50,
        onIgnored: (f) => {
          seen.ignored.push(path.relative(dir, f));
          wake();
        },
        onWatching: (files) => {
          seen.watched = files.map((f) => path.relative(dir, f));
          wake();
        },
      },
    );
    const until = async (what: string, ok: () => boolean) => {
      const started = Date.now();
      while (!ok()) {
        const left = 5000 - (Date.now() - started);
        if (left <= 0) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(seen)}`);
        // The next event of the watcher, or the end of the deadline.
        await new Promise<void>((resolve) => {
          const deadline = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(deadline);
            resolve();
          };
        });
      }
    };
    return { seen, stop, until };
  }

  it('reloads for dataflowd.yaml, dataflows/*.yaml and the schema files they name, and nothing else', async () => {
    const { seen, stop, until } = watching();
    try {
      await until('the schema files to be watched', () => seen.watched.includes(path.join('other', 'mapping.json')));
      expect(seen.watched).toEqual(['dataflowd.yaml', 'dataflows', path.join('other', 'mapping.json'), path.join('schemas', 'orders.schema.json')]);

      const noise = ['state.db', 'state.db-wal', 'notes.txt', path.join('dataflows', 'README.md'), path.join('dataflows', '.a.yaml.swp'), path.join('schemas', 'unused.json'), path.join('other', 'draft.json')];
      for (const f of noise) await writeFile(path.join(dir, f), 'x');
      await until('every unrelated write to be seen and ignored', () => noise.every((f) => seen.ignored.includes(f)));
      expect(seen.changes).toBe(0);

      const edits = ['dataflowd.yaml', path.join('dataflows', 'b.yml'), path.join('schemas', 'orders.schema.json'), path.join('other', 'mapping.json')];
      for (const f of edits) {
        const before = seen.changes;
        await writeFile(path.join(dir, f), f.endsWith('b.yml') ? FLOW('../other/mapping.json').replace('name: a', 'name: b') : f === 'dataflowd.yaml' ? DAEMON('schemas/orders.schema.json') : '{"type":"object"}');
        await until(`a reload for ${f}`, () => seen.changes > before);
      }
    } finally {
      stop();
    }
  });

  it('follows a schema file the config names after a change', async () => {
    const { seen, stop, until } = watching();
    try {
      await until('the first schema files to be watched', () => seen.watched.includes(path.join('other', 'mapping.json')));
      await writeFile(path.join(dir, 'dataflows', 'a.yaml'), FLOW('../elsewhere/m.json'));
      await until('the change to the dataflow', () => seen.changes >= 1);
      await until('the new schema file to be watched', () => seen.watched.includes(path.join('elsewhere', 'm.json')));
      expect(seen.watched).not.toContain(path.join('other', 'mapping.json'));
      const before = seen.changes;
      await writeFile(path.join(dir, 'elsewhere', 'm.json'), '{"type":"object"}');
      await until('a reload for the new schema file', () => seen.changes > before);
    } finally {
      stop();
    }
  });
});
