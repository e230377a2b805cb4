import { createHash } from 'node:crypto';
import { normalizeRemotePath, relativeToFolder } from '../connector/paths';

/*
 * The forms of one source file's path, in one place:
 * - connection-relative: what connectors list and the ledger keys on ('in/2024/a.json');
 * - folder-relative: below the dataflow's source.path, what globs match and what the archive and
 *   the Platform name keep ('2024/a.json');
 * - archive path: where afterIngest: move puts it (moveTo + folder-relative);
 * - upload name: its name inside a Platform batch, readable, and one Platform takes.
 * Paths are normalised (src/connector/paths.ts) before they get here: no '..', no empty segments.
 */

/** The file's path below the dataflow's folder; throws when a listing put it outside. */
export function folderRelative(folder: string, path: string): string {
  return relativeToFolder(normalizeRemotePath(folder), path);
}

/** Where `afterIngest: move` puts the file: its folder-relative path under moveTo. */
export function archivePath(folder: string, moveTo: string | undefined, path: string): string {
  const target = normalizeRemotePath(moveTo ?? '');
  const rel = folderRelative(folder, path);
  return target ? `${target}/${rel}` : rel;
}

/** Characters a batch file name may not hold: separators and wildcards of other systems, controls. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\\:*?"<>|#%\u0000-\u001f\u007f]/g;
/** Bytes per segment: file systems (and Platform's storage) take 255; room left for the suffix. */
const MAX_SEGMENT_BYTES = 200;

/**
 * The file's name inside a Platform batch: its folder-relative path, each segment in NFC with
 * unsafe characters replaced by '_' and cut to a length every store takes. Two files must never
 * share a name in one batch (the second PUT would replace the first), so a name that had to change
 * gets a short hash of the original path before its extension: `x:y.json` → `x_y~1f3a9c2e.json`.
 */
export function uploadName(folder: string, path: string): string {
  const rel = folderRelative(folder, path);
  const safe = rel
    .split('/')
    .map((segment) => cut(segment.normalize('NFC').replace(UNSAFE, '_')))
    .join('/');
  if (safe === rel) return rel;
  const tag = createHash('sha256').update(rel).digest('hex').slice(0, 8);
  const slash = safe.lastIndexOf('/');
  const base = safe.slice(slash + 1);
  const dot = base.indexOf('.', 1);
  const named = dot > 0 ? `${base.slice(0, dot)}~${tag}${base.slice(dot)}` : `${base}~${tag}`;
  return `${safe.slice(0, slash + 1)}${named}`;
}

function cut(segment: string): string {
  if (Buffer.byteLength(segment) <= MAX_SEGMENT_BYTES) return segment;
  let out = '';
  for (const ch of segment) {
    if (Buffer.byteLength(out + ch) > MAX_SEGMENT_BYTES) break;
    out += ch;
  }
  return out;
}
