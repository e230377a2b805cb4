import { existsSync } from 'node:fs';
import { chown, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writing below a server's root as its login user would: every file and folder made is owned by
 * `owner`, so that the server (running the session as that user) may rename and delete it.
 */
export interface OwnedFiles {
  /** Local path of a file below the root ('/'-separated relative path). */
  local(rel: string): string;
  /** Writes a file below the root, creating its folders. */
  put(rel: string, data: Buffer | string): Promise<void>;
  /** Creates folders below the root. */
  mkdir(rel: string): Promise<void>;
  /** A file's bytes, or undefined when there is none. */
  read(rel: string): Promise<Buffer | undefined>;
  /** The files below a folder, '/'-separated from the root, sorted; [] when there is no folder. */
  list(folder: string): Promise<string[]>;
  setModifiedAt(rel: string, at: Date): Promise<void>;
}

export function ownedFiles(root: string, owner: { uid: number; gid: number }): OwnedFiles {
  const local = (rel: string) => path.join(root, ...rel.split('/').filter(Boolean));
  const makeDirs = async (rel: string) => {
    let at = root;
    for (const segment of rel.split('/').filter((s) => s !== '' && s !== '.')) {
      at = path.join(at, segment);
      if (existsSync(at)) continue;
      await mkdir(at);
      await chown(at, owner.uid, owner.gid);
    }
  };
  return {
    local,
    mkdir: makeDirs,
    read: (rel) => readFile(local(rel)).catch(() => undefined),
    setModifiedAt: (rel, at) => utimes(local(rel), at, at),
    async list(folder) {
      const entries = await readdir(local(folder), { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile())
        .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
        .sort();
    },
    async put(rel, data) {
      await makeDirs(path.posix.dirname(rel));
      await writeFile(local(rel), data);
      await chown(local(rel), owner.uid, owner.gid);
    },
  };
}
