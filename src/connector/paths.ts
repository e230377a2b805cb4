import { dataflowError, DataflowError } from '../lib/errors';

/**
 * Remote paths as the core and every connector speak them: relative to the connection's root,
 * '/'-separated, no leading or trailing slash, '' for the root itself.
 *
 * Paths reach connectors from YAML and from listings of servers we do not control, so none is
 * trusted to stay inside the root (a key `a/../../etc/passwd` is a valid S3 key). Every connector
 * passes each path argument through `normalizeRemotePath` before touching storage.
 *
 * A leading '/' is accepted and means the connection's root: DESIGN.md §3 writes dataflow folders
 * as `/outbound/purchases`, "relative to the connection's root". It can never reach the server's
 * own root because '..' is refused, and local paths are always joined below the root.
 */

export const UNSAFE_PATH_CODE = 'ERR_SOURCE_UNSAFE_PATH';

/** A path that would leave the connection's root, or that no storage can name. Kind `config`:
 *  retrying cannot help, and it comes from configuration or from a hostile listing. */
export function unsafePathError(path: string, reason: string): DataflowError {
  return dataflowError(UNSAFE_PATH_CODE, 'config', `unsafe path ${JSON.stringify(path)}: ${reason}`, {
    context: { path },
  });
}

/** A move's two paths, normalised; moving the root, or onto it, is refused. */
export function movePaths(from: string, to: string): { fromRel: string; toRel: string } {
  const fromRel = normalizeRemotePath(from);
  const toRel = normalizeRemotePath(to);
  if (fromRel === '') throw unsafePathError(from, 'is the root');
  if (toRel === '') throw unsafePathError(to, 'is the root');
  return { fromRel, toRel };
}

/** Why path cannot be used as a remote path, or undefined when it can. */
export function remotePathProblem(path: string): string | undefined {
  if (typeof path !== 'string') return 'not a string';
  if (path.includes('\0')) return 'contains a NUL byte';
  // `C:\x`, `C:/x` or `C:` would name a drive on Windows; `x:y.json` is an ordinary name.
  if (/^[A-Za-z]:(?:[\\/]|$)/.test(path)) return 'is a drive-letter path';
  if (path.startsWith('\\\\') || path.startsWith('//')) return 'is a network (UNC) path';
  // '\' is a separator on Windows: `..\x` must not slip through as one harmless-looking segment.
  if (path.split(/[/\\]/).some((segment) => segment === '..')) return "has a '..' segment";
  return undefined;
}

/**
 * The canonical form of a remote path: segments joined by '/', without empty or '.' segments.
 * Throws an unsafe-path error (kind `config`) for '..' segments, NUL bytes, drive letters and
 * UNC prefixes.
 */
export function normalizeRemotePath(path: string): string {
  const problem = remotePathProblem(path);
  if (problem !== undefined) throw unsafePathError(path, problem);
  return path
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

/** folder + name (name may hold several segments), normalised. Throws like normalizeRemotePath. */
export function joinRemotePath(folder: string, ...names: string[]): string {
  return [folder, ...names]
    .map(normalizeRemotePath)
    .filter((part) => part !== '')
    .join('/');
}

/** The folder holding path ('' for a file at the root). path must be normalised. */
export function remoteDirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The last segment of path. path must be normalised. */
export function remoteBasename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Whether path is folder itself or lies below it. Both must be normalised. */
export function isWithinFolder(folder: string, path: string): boolean {
  return folder === '' || path === folder || path.startsWith(`${folder}/`);
}

/**
 * path relative to folder (both normalised), e.g. for matching a dataflow's globs against a
 * listing. Throws an unsafe-path error when path is not below folder: a connector that yields such
 * a path is broken or hostile, and the file must not be taken.
 */
export function relativeToFolder(folder: string, path: string): string {
  if (path === folder) return '';
  if (!isWithinFolder(folder, path)) throw unsafePathError(path, `is not inside folder ${JSON.stringify(folder)}`);
  return folder === '' ? path : path.slice(folder.length + 1);
}
