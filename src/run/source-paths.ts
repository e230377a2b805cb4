import { createHash } from 'node:crypto';
import { normalizeRemotePath, relativeToFolder } from '../connector/paths';

/*
 * The forms of one source file's path, in one place:
 * - connection-relative: what connectors list and the ledger keys on ('in/2024/a.json');
 * - folder-relative: below the dataflow's source.path, what globs match and what the archive and
 *   the Platform name keep ('2024/a.json');
 * - archive path: where afterIngest: move puts it (moveTo + folder-relative);
 * - upload name: its name inside a Platform batch, readable, one Platform takes, saying what the
 *   upload holds, and unique in its batch.
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
 * The names of a batch's files inside it, by connection-relative path. Each is the file's
 * folder-relative path, readable: each segment in NFC, characters other systems cannot carry
 * replaced by '_', cut to a length every store takes, and ending in what the upload holds
 * (`.json` for JSON Lines, `.parquet`): `in/a.csv` goes up as `in/a.csv.json`, `c.json` as itself.
 * Two files must never share a name in one batch (the second PUT would replace the first), so
 * where two would (ignoring case), a short hash of the original path goes before the extension of
 * every one but a file that kept its own name: `x:y.json` and `x?y.json` → `x_y~1f3a9c2e.json`, …
 */
export function uploadNames(folder: string, paths: readonly string[], holds: 'json' | 'parquet'): Map<string, string> {
  const extension = holds === 'parquet' ? '.parquet' : '.json';
  const named = paths.map((path) => {
    const rel = folderRelative(folder, path);
    const safe = rel
      .split('/')
      .map((segment) => cut(segment.normalize('NFC').replace(UNSAFE, '_')))
      .join('/');
    const name = safe.toLowerCase().endsWith(extension) ? safe : `${safe}${extension}`;
    return { path, rel, name };
  });
  const groups = new Map<string, typeof named>();
  for (const n of named) {
    const key = n.name.toLowerCase();
    const group = groups.get(key);
    if (group) group.push(n);
    else groups.set(key, [n]);
  }
  const names = new Map<string, string>();
  for (const group of groups.values()) {
    // The one that may keep its name: a file whose name is its own path, else none.
    const keeper = group.length === 1 ? group[0] : [...group].sort((a, b) => (a.path < b.path ? -1 : 1)).find((n) => n.name === n.rel);
    for (const n of group) names.set(n.path, n === keeper ? n.name : tagged(n.name, n.rel, extension));
  }
  return names;
}

/**
 * The names a file may have had in a batch: its own, or tagged with its hash when it shared a
 * name with another file of that batch (`ledger rebuild` maps Platform's names back to paths).
 */
export function uploadNameCandidates(folder: string, path: string, holds: 'json' | 'parquet'): string[] {
  const own = uploadNames(folder, [path], holds).get(path) as string;
  return [own, tagged(own, folderRelative(folder, path), holds === 'parquet' ? '.parquet' : '.json')];
}

/** `dir/name.ext` → `dir/name~HASH.ext`, the hash of the original relative path. */
function tagged(name: string, rel: string, extension: string): string {
  const tag = createHash('sha256').update(rel).digest('hex').slice(0, 8);
  return `${name.slice(0, name.length - extension.length)}~${tag}${extension}`;
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
