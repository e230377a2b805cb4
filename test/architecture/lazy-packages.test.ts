import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAIN } from '../e2e/workspace';

/*
 * Issue 20 (memory): a process loads a protocol's library only when it opens a connection of that
 * type, and the emulator only in embedded mode or for `dataflowd emulator`. Loaded by every
 * process, the AWS and Azure SDKs, ssh2 and basic-ftp cost ~35 MB of resident memory, and the
 * emulator ~10 MB. The CLI from dist/ is run with a preload that prints, at exit, every package
 * in Node's module cache.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const HEAVY = ['@aws-sdk/client-s3', '@azure/storage-blob', '@azure/identity', 'ssh2', 'ssh2-sftp-client', 'basic-ftp'];

async function loadedPackages(args: string[], dir: string): Promise<Set<string>> {
  const preload = path.join(dir, 'packages-at-exit.js');
  const out = path.join(dir, 'packages.json');
  await writeFile(
    preload,
    `process.on('exit', () => {
      const names = new Set();
      for (const f of Object.keys(require.cache)) {
        const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f.slice(f.lastIndexOf('node_modules/')));
        if (m) names.add(m[1]);
      }
      require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify([...names]));
    });`,
  );
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['--require', preload, MAIN, ...args], { cwd: ROOT, env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'error' } }, (err, _stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(),
    ),
  );
  return new Set(JSON.parse(await readFile(out, 'utf8')) as string[]);
}

describe('packages a process loads', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-lazy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validate on the demo config (a local folder, embedded Platform) loads no SDK, no SSH or FTP client and no emulator', async () => {
    const loaded = await loadedPackages(['validate', '--config', 'config'], dir);
    expect(loaded.has('zod')).toBe(true); // the probe sees packages at all
    expect(HEAVY.filter((p) => loaded.has(p))).toEqual([]);
    expect(loaded.has('fastify')).toBe(false);
  });
});
