import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RECORD_ENV } from '../../src/emulator/contract/request-recorder';

/**
 * End-to-end tests drive the real CLI from dist/, so it is built from the current sources first
 * (a stale build would test yesterday's code, or serve yesterday's dashboard). tsc emits even when a type is wrong; type errors
 * are `npm run typecheck`'s to report, so only a build that produced nothing stops the tests.
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '..', '..');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0 && !existsSync(path.join(root, 'dist', 'src', 'main.js'))) {
    throw new Error(`build failed:\n${result.stdout}${result.stderr}`);
  }
  // The build's last step, as `npm run build` does it: the dashboard's browser files next to the server.
  const copied = spawnSync(process.execPath, [path.join(root, 'dist', 'scripts', 'copy-assets.js')], { cwd: root, encoding: 'utf8' });
  if (copied.status !== 0) throw new Error(`copying the dashboard's files failed:\n${copied.stdout}${copied.stderr}`);
  // Every emulator of the run, in the test workers and in the CLI processes they spawn, inherits
  // this and records the requests it answers; global-teardown.ts checks them.
  const record = path.join(tmpdir(), `dataflowd-contract-${process.pid}.jsonl`);
  rmSync(record, { force: true });
  process.env[RECORD_ENV] = record;
}
