import path from 'node:path';
import { problem, PROBLEM_CODES } from './platform-errors';

/*
 * A batch file's filePath comes from the URL and names a file under the batch's folder on disk.
 * It may hold folders (Platform keeps them, e.g. `part1=a/file.json`), but must never reach
 * outside: '..' and '.' segments, absolute paths, empty segments, backslashes and NUL are refused.
 */

const MAX_FILE_PATH = 1024;

/** The filePath in normal form ('a/b.json'), or a 400 problem. */
export function checkFilePath(filePath: string): string {
  const refuse = (why: string) => problem(400, PROBLEM_CODES.badFilePath, 'Invalid file path', `${why}: ${JSON.stringify(filePath)}`);
  if (filePath === '') throw refuse('file path is empty');
  if (filePath.length > MAX_FILE_PATH) throw refuse('file path is too long');
  if (filePath.includes('\0')) throw refuse('file path holds a NUL byte');
  if (filePath.includes('\\')) throw refuse('file path holds a backslash');
  if (filePath.startsWith('/') || /^[A-Za-z]:/.test(filePath)) throw refuse('file path is absolute');
  for (const segment of filePath.split('/')) {
    if (segment === '') throw refuse('file path has an empty segment');
    if (segment === '.' || segment === '..') throw refuse('file path has a relative segment');
  }
  return filePath;
}

/** root joined with a checked relative path, verified once more to stay inside root. */
export function resolveInside(root: string, relative: string): string {
  const full = path.resolve(root, relative);
  const back = path.relative(root, full);
  if (back === '' || back === '..' || back.startsWith(`..${path.sep}`) || path.isAbsolute(back)) {
    throw problem(400, PROBLEM_CODES.badFilePath, 'Invalid file path', `path escapes its folder: ${JSON.stringify(relative)}`);
  }
  return full;
}
