import { normalizeRemotePath, remotePathProblem, unsafePathError } from '../../src/connector/paths';

/** What a listed key turned out to be: a file at a safe path, or a key not listed, and why. */
export type ListedKey = { path: string } | { skip: string; quiet?: boolean };

/**
 * Maps remote paths (relative to the connection's root, '/'-separated) to object keys and back.
 * The root is the bucket, or the `prefix` folder inside it.
 *
 * Keys come from a bucket anyone with write access fills, so a listed key is only a file when
 * its path, relative to the root, is exactly its normalised form: no '..' segment (`in/../x`
 * must not turn into a file outside the listed folder), no empty or '.' segment (`in//x` and
 * `in/./x` would be opened as another key, `in/x`), no NUL byte. Such keys are skipped, not
 * fatal: one odd key must not stop every later run of the dataflow, and it could never be read
 * under a path the core can name anyway.
 */
export class KeySpace {
  /** '' or the prefix followed by '/'. */
  private readonly root: string;

  constructor(
    readonly bucket: string,
    prefix: string | undefined,
  ) {
    const normalised = normalizeRemotePath(prefix ?? '');
    this.root = normalised === '' ? '' : `${normalised}/`;
  }

  /** The key of a file. path must be normalised and not the root. */
  key(path: string): string {
    return this.root + path;
  }

  /** The key prefix of a folder's content: '' for the root of a whole bucket, else ending in '/'. */
  folderPrefix(folder: string): string {
    return folder === '' ? this.root : `${this.root}${folder}/`;
  }

  /** `s3://bucket/key` for messages. */
  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /**
   * The path of a key listed under folderPrefix. Throws when the server answered a key outside
   * the prefix it was asked for: a broken or hostile server, whose listing cannot be trusted.
   */
  listed(key: string, folderPrefix: string): ListedKey {
    if (!key.startsWith(folderPrefix)) throw unsafePathError(key, `was listed but is not under ${JSON.stringify(folderPrefix)}`);
    // "Folder" markers that consoles and tools create: no content, not a file.
    if (key.endsWith('/')) return { skip: 'a folder marker', quiet: true };
    const path = key.slice(this.root.length);
    if (path === '') return { skip: 'is empty' };
    const problem = remotePathProblem(path);
    if (problem !== undefined) return { skip: problem };
    if (normalizeRemotePath(path) !== path) return { skip: "has an empty or '.' segment" };
    return { path };
  }
}
