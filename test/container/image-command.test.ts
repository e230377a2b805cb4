import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { jsonl, PEOPLE_SCHEMA, people } from '../e2e/workspace';
import { envOf, execForm, parseDockerfile } from './dockerfile';

/*
 * The image's command, run on this machine as the image runs it (no Docker engine here): the
 * Dockerfile's ENTRYPOINT and CMD, its ENV, an unprivileged user, /app as the working directory
 * (here the project, which that user cannot write), /config a read-only copy of a config that
 * names no state, /data the only folder the user may write. What the image's paths become here:
 */
const ROOT = path.resolve(__dirname, '..', '..');
const NOBODY = 65534;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every file under a folder with its size and modification time: to tell that nothing changed. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(entries.map(async (e) => {
    const file = path.join(e.parentPath, e.name);
    const s = await stat(file);
    return `${path.relative(dir, file)} ${s.size} ${s.mtimeMs}`;
  })).then((l) => l.sort());
}

describe("the image's entry command, run as the image runs it", () => {
  const instructions = parseDockerfile();
  const entrypoint = execForm(instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)!.args)!;
  const cmd = execForm(instructions.filter((i) => i.keyword === 'CMD').at(-1)!.args)!;
  const imageEnv = envOf(instructions, 'runtime');
  let dir: string;
  let paths: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-image-'));
    await chmod(dir, 0o755);
    paths = { '/app': ROOT, '/config': path.join(dir, 'config'), '/data': path.join(dir, 'data') };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** An image path as it is on this machine. */
  const here = (p: string) => Object.entries(paths).reduce((s, [from, to]) => (s === from || s.startsWith(`${from}/`) ? to + s.slice(from.length) : s), p);

  it('starts with a read-only /config, serves /healthz on 0.0.0.0 behind a token, writes only under /data, and stops on SIGTERM', async () => {
    const port = await freePort();
    // The README's recipe: the daemon listens beyond loopback, so it needs its token.
    const config = paths['/config'];
    await mkdir(path.join(config, 'dataflows'), { recursive: true });
    await mkdir(path.join(paths['/data'], 'inbox'), { recursive: true });
    await writeFile(
      path.join(config, 'dataflowd.yaml'),
      [
        'platform:',
        '  datasets: [{ id: people, schema: people.schema.json }]',
        'http:',
        `  listen: 0.0.0.0:${port}`,
        '  token: ${env:DATAFLOWD_TOKEN}',
        'connections:',
        `  inbox: { type: local, root: ${here('/data/inbox')} }`,
      ].join('\n'),
    );
    await writeFile(path.join(config, 'people.schema.json'), JSON.stringify(PEOPLE_SCHEMA));
    await writeFile(path.join(config, 'dataflows', 'people.yaml'), 'name: people\nsource: { connection: inbox }\ntarget: { dataset: people }\nschedule: { frequency: once }\n');
    await writeFile(path.join(paths['/data'], 'inbox', 'a.json'), jsonl(people(0, 25)));
    await chown(paths['/data'], NOBODY, NOBODY);
    await chown(path.join(paths['/data'], 'inbox'), NOBODY, NOBODY);
    await cp(config, `${config}-ro`, { recursive: true });
    await rm(config, { recursive: true });
    await cp(`${config}-ro`, config, { recursive: true });
    for (const f of await readdir(config, { recursive: true })) await chmod(path.join(config, f), 0o444 | ((await stat(path.join(config, f))).isDirectory() ? 0o111 : 0));
    await chmod(config, 0o555);
    const before = await snapshot(config);

    // ENTRYPOINT without tini (PID 1's signal forwarding is the engine's business), then CMD.
    expect(entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    const [node, ...args] = [...entrypoint.slice(2), ...cmd].map(here);
    expect(node).toBe('node');
    const env = { PATH: process.env.PATH ?? '', ...Object.fromEntries(Object.entries(imageEnv).map(([k, v]) => [k, here(v)])), DATAFLOWD_TOKEN: 'image-test-token-0123' };
    const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...args], { cwd: here('/app'), env, stdio: ['ignore', 'ignore', 'pipe'] });
    const lines: Array<{ msg?: string; status?: string; url?: string }> = [];
    const waiters: Array<() => void> = [];
    createInterface({ input: child.stderr }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l));
      } catch {
        lines.push({ msg: l });
      }
      waiters.splice(0).forEach((w) => w());
    });
    const exited = once(child, 'exit');
    const waitFor = async (msg: string) => {
      for (;;) {
        const found = lines.find((l) => l.msg === msg);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), exited]);
      }
    };
    try {
      await waitFor('http listening');
      const finished = await waitFor('run finished');
      expect(finished.status).toBe('succeeded');

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/api/dataflows`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/api/dataflows`, { headers: { authorization: 'Bearer image-test-token-0123' } })).status).toBe(200);
      // The image's HEALTHCHECK command, as the engine would run it, on this port.
      const check = execForm(instructions.find((i) => i.keyword === 'HEALTHCHECK')!.args.replace(/^.*?\bCMD\s+/, ''))!;
      const code = await new Promise<number>((resolve) => {
        execFile(process.execPath, check.slice(1).map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${port}`)), (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0));
      });
      expect(code).toBe(0);
    } finally {
      child.kill('SIGTERM');
      const [exitCode] = await exited;
      expect(exitCode).toBe(0);
    }
    expect(await snapshot(config)).toEqual(before);
    const data = await readdir(paths['/data']);
    expect(data.sort()).toEqual(['inbox', 'platform', 'state.db', ...data.filter((f) => /^state\.db-(wal|shm)$/.test(f))].sort());
  });
});
