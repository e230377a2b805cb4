import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config';
import { errorMessage } from '../lib/errors';
import { embeddedDataDir } from '../services';
import { openStore, parseStoreUrl } from '../store/open-store';
import type { CheckReport, ConfigYaml } from './check-report';

/*
 * `validate --check`, the state's part: where dataflowd will write — the state database, and in
 * embedded mode the emulator's batches — must be writable by this process, or the first run
 * fails (EACCES, EROFS: a config folder mounted read-only). Nothing is created: a folder that
 * does not exist yet is judged by the nearest one that does, where it would be created.
 */
export async function checkState(config: LoadedConfig, yaml: ConfigYaml): Promise<CheckReport> {
  const url = config.daemon.state.url;
  const location = parseStoreUrl(url, config.dir);
  const report: CheckReport = { problems: [], lines: [] };
  const where = ['state', 'url'];
  if (location.kind === 'postgres') {
    try {
      const store = await openStore(url, { baseDir: config.dir, migrate: false });
      try {
        await store.ping();
      } finally {
        await store.close();
      }
      report.lines.push('state: PostgreSQL: ok');
    } catch (err) {
      report.problems.push(yaml.daemon.problem(where, `the PostgreSQL state cannot be reached: ${errorMessage(err)}`));
    }
  } else if (location.kind === 'sqlite') {
    // SQLite writes its journal beside the database: the folder must be writable too.
    const why = (await unwritable(path.dirname(location.filename))) ?? (await unwritable(location.filename));
    if (why) report.problems.push(yaml.daemon.problem(where, `the state database ${location.filename} cannot be written: ${why}${HINT}`));
    else report.lines.push(`state: ${location.filename}: writable`);
  }
  if (config.daemon.platform.mode === 'embedded') {
    const dir = embeddedDataDir(config);
    const why = await unwritable(dir);
    if (why) report.problems.push(yaml.daemon.problem(['platform', 'mode'], `the embedded Platform's folder ${dir} cannot be written: ${why}${HINT}`));
    else report.lines.push(`platform: embedded, batches in ${dir}: writable`);
  }
  return report;
}

const HINT = ' (set state.url, or DATAFLOWD_DATA to a writable folder)';

/** Why this process could not write `target` (a file or a folder to create), or undefined. */
export async function unwritable(target: string): Promise<string | undefined> {
  let probe = target;
  for (;;) {
    try {
      await stat(probe);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return errorMessage(err);
      const parent = path.dirname(probe);
      if (parent === probe) return `no folder of ${target} exists`;
      probe = parent;
    }
  }
  try {
    await access(probe, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = probe === target ? probe : `${probe}, where it would be created,`;
    if (code === 'EROFS') return `${what} is on a read-only file system`;
    if (code === 'EACCES' || code === 'EPERM') return `${what} is not writable by this user`;
    return errorMessage(err);
  }
}
