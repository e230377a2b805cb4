import { existsSync } from 'node:fs';
import { chown, mkdir, writeFile } from 'node:fs/promises';
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
    async put(rel, data) {
      await makeDirs(path.posix.dirname(rel));
      await writeFile(local(rel), data);
      await chown(local(rel), owner.uid, owner.gid);
    },
  };
}
