import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { connectorDefinitions } from '../../connectors';
import { formatProblem, loadConfig } from '../../src/config';

/*
 * The container recipes people copy — the README's `docker run` and deploy/compose.yaml — hold
 * together: their configs load, every ${env:…} they name is passed into the container, the
 * ports, mounts and state are the image's. (No Docker engine here to run them.)
 */

const ROOT = path.resolve(__dirname, '..', '..');
const envRefs = (text: string) => [...text.matchAll(/\$\{env:(\w+)\}/g)].map((m) => m[1]);
const dummies = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, `value-of-${n.toLowerCase()}`]));

describe("the README's docker run", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Container'), readme.indexOf('\n## ', readme.indexOf('## Container') + 1));
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
  const files = blocks.filter((b) => b.lang === 'yaml').map((b) => ({ name: /^# my-config\/(\S+)/.exec(b.text)?.[1], text: b.text }));
  const run = blocks.find((b) => b.lang === 'sh' && b.text.includes('docker run -d'))!.text.replace(/\\\n\s*/g, ' ');
  const daemonRun = run.split('\n').find((l) => l.startsWith('docker run -d'))!;
  const passed = [...daemonRun.matchAll(/-e (\w+)/g)].map((m) => m[1]);
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-readme-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('shows a complete config that loads, with every variable it names passed in', async () => {
    expect(files.map((f) => f.name)).toEqual(['dataflowd.yaml', 'dataflows/purchases.yaml']);
    for (const f of files) {
      await mkdir(path.dirname(path.join(dir, f.name!)), { recursive: true });
      await writeFile(path.join(dir, f.name!), f.text);
    }
    const needed = files.flatMap((f) => envRefs(f.text));
    expect(needed.length).toBeGreaterThan(0);
    for (const name of needed) expect(passed).toContain(name);
    // As in the image: DATAFLOWD_DATA=/data, and only the variables the command passes.
    const { config, problems } = await loadConfig(dir, { connectors: connectorDefinitions, env: { ...dummies(passed), DATAFLOWD_DATA: '/data' } });
    expect(problems.map(formatProblem)).toEqual([]);
    expect(config?.daemon.state.url).toBe('sqlite:/data/state.db');
    expect(config?.daemon.http).toMatchObject({ host: '0.0.0.0', port: 8080, token: 'value-of-dataflowd_token' });
    expect(config?.daemon.connections.exports).toMatchObject({ type: 's3' });
  });

  it('mounts the config read-only and a volume at /data, and publishes the port the config listens on', () => {
    expect(daemonRun).toMatch(/-v "\$PWD\/my-config:\/config:ro"/);
    expect(daemonRun).toMatch(/-v [\w-]+:\/data /);
    expect(daemonRun).toMatch(/-p 8080:8080 /);
    expect(daemonRun).toMatch(/ dataflowd$/);
  });
});

describe('deploy/compose.yaml: replicas on PostgreSQL', () => {
  const compose = parse(readFileSync(path.join(ROOT, 'deploy', 'compose.yaml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: string; environment?: Record<string, string>; volumes?: string[]; ports?: string[]; depends_on?: Record<string, { condition: string }>; deploy?: { replicas?: number }; healthcheck?: { test: string[] } }>;
  };
  const { dataflowd, postgres } = compose.services;

  it('runs several dataflowd replicas once PostgreSQL answers', () => {
    expect(dataflowd.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(dataflowd.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(postgres.image).toMatch(/^postgres:\d+/);
    expect(postgres.healthcheck?.test).toContain('pg_isready');
    expect(existsSync(path.join(ROOT, 'deploy', String(dataflowd.build), 'Dockerfile'))).toBe(true);
    expect(dataflowd.volumes).toContain('./config:/config:ro');
    expect(dataflowd.ports).toEqual(['127.0.0.1:8080-8081:8080']);
  });

  it('gives the config every variable it names, and the config loads with its state in that PostgreSQL', async () => {
    const dir = path.join(ROOT, 'deploy', 'config');
    const texts = await Promise.all(
      (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.yaml')).map((f) => readFile(path.join(dir, f), 'utf8')),
    );
    const environment = Object.keys(dataflowd.environment ?? {});
    for (const name of texts.flatMap(envRefs)) expect(environment).toContain(name);
    const env = { ...dummies(environment), POSTGRES_PASSWORD: 'pw' };
    const { config, problems } = await loadConfig(dir, { connectors: connectorDefinitions, env });
    expect(problems.map(formatProblem)).toEqual([]);
    const url = new URL(config!.daemon.state.url);
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(postgres.environment?.POSTGRES_USER);
    expect(url.pathname).toBe(`/${postgres.environment?.POSTGRES_DB}`);
    expect(config!.daemon.http).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config!.dataflows.map((d) => d.name)).toEqual(['purchases']);
  });
});
