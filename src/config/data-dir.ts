import path from 'node:path';

/**
 * Where dataflowd writes what the config does not place: $DATAFLOWD_DATA (the image sets /data),
 * else `data` in the working directory. Never the config folder, which a container mounts
 * read-only: a default there passed `validate` and failed the first run with EACCES.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const dir = env.DATAFLOWD_DATA?.trim();
  return path.resolve(cwd, dir ? dir : 'data');
}

/** state.url when dataflowd.yaml has none: a SQLite file in the data folder. */
export function defaultStateUrl(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return `sqlite:${path.join(dataDir(env, cwd), 'state.db')}`;
}
