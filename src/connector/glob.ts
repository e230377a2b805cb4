import picomatch from 'picomatch';
import { dataflowError } from '../lib/errors';

/**
 * A dataflow's file selection (`source.include` / `source.exclude`), compiled once per run.
 * Globs are relative to the dataflow's `path`; the paths given to the matcher must be too
 * (see `relativeToFolder` in ./paths).
 *
 * Rules, close to .gitignore so that they read the way people expect:
 * - A pattern without a '/' matches a name at any depth: `*.json` takes `a.json` and
 *   `2024/05/a.json`. A pattern with a '/' is anchored at the dataflow's path: `2024/*.json`,
 *   `/a.json` (only the top-level file). A trailing '/' means "everything in that folder".
 * - Hidden names (a segment starting with '.') are matched only by a pattern segment that
 *   starts with '.' (picomatch `dot: false`): `*` and `**` never take `.x.json.part` or anything
 *   in `.staging/`. Upload tools write temporary dotfiles, so this is also the default selection.
 * - An exclude pattern that matches a folder excludes everything in it: `exclude: ["archive"]`
 *   drops `archive/a.json` and `x/archive/b.json`.
 * - Exclude wins over include. No include means every (non-hidden) file.
 * - Case-sensitive, '/' is the only separator on every platform.
 */

export interface GlobRules {
  include?: readonly string[];
  exclude?: readonly string[];
}

/** Why a path is (not) selected; `--dry-run` prints it. */
export type GlobVerdict =
  | { selected: true; include: string | undefined }
  /** `folder` is set when the pattern matched a folder above the file rather than the file. */
  | { selected: false; reason: 'excluded'; pattern: string; folder: string | undefined }
  /** No include given, and the path has a hidden segment. */
  | { selected: false; reason: 'hidden' }
  | { selected: false; reason: 'no_include'; patterns: readonly string[] };

export interface GlobMatcher {
  /** Whether the file at relPath (relative to the dataflow's path) is taken. */
  matches(relPath: string): boolean;
  /** Which rule decided, for "why not" output. */
  explain(relPath: string): GlobVerdict;
}

export const INVALID_GLOB_CODE = 'ERR_CONFIG_GLOB';

const PICOMATCH_OPTIONS: picomatch.PicomatchOptions = {
  dot: false,
  windows: false,
  nocase: false,
  nonegate: true,
  strictSlashes: false,
};

/** Why pattern cannot be used, or undefined; src/config can call it from a zod refinement. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'is empty';
  if (pattern.includes('\0')) return 'contains a NUL byte';
  if (pattern.startsWith('!')) return "starts with '!': use exclude instead of a negated include";
  if (pattern.split('/').some((segment) => segment === '..')) return "has a '..' segment: globs stay inside the dataflow's path";
  return undefined;
}

/**
 * The pattern picomatch actually compiles: unanchored patterns get `**\/` in front, anchored ones
 * lose their leading '/' or './', and a trailing '/' becomes '/**'.
 */
export function effectivePattern(pattern: string): string {
  let p = pattern;
  let folderOnly = false;
  while (p.endsWith('/') && p.length > 1) {
    p = p.slice(0, -1);
    folderOnly = true;
  }
  const anchored = p.includes('/');
  if (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  if (p === '') return '**';
  const body = folderOnly ? `${p}/**` : p;
  return anchored ? body : `**/${body}`;
}

function compileOne(pattern: string): picomatch.Matcher {
  const problem = globProblem(pattern);
  if (problem !== undefined) {
    throw dataflowError(INVALID_GLOB_CODE, 'config', `invalid glob ${JSON.stringify(pattern)}: ${problem}`, {
      context: { pattern },
    });
  }
  return picomatch(effectivePattern(pattern), PICOMATCH_OPTIONS);
}

/** relPath itself and every folder above it, outermost first: 'a/b/c' → 'a', 'a/b', 'a/b/c'. */
function withAncestors(relPath: string): string[] {
  const segments = relPath.split('/');
  return segments.map((_, i) => segments.slice(0, i + 1).join('/'));
}

/** Compiles the rules; throws a `config` error (code ERR_CONFIG_GLOB) for an invalid pattern. */
export function compileGlobs(rules: GlobRules): GlobMatcher {
  const includes = (rules.include ?? []).map((pattern) => ({ pattern, test: compileOne(pattern) }));
  const excludes = (rules.exclude ?? []).map((pattern) => ({ pattern, test: compileOne(pattern) }));
  const everything = picomatch('**', PICOMATCH_OPTIONS);

  const explain = (relPath: string): GlobVerdict => {
    for (const candidate of withAncestors(relPath)) {
      const hit = excludes.find((e) => e.test(candidate));
      if (hit) {
        return { selected: false, reason: 'excluded', pattern: hit.pattern, folder: candidate === relPath ? undefined : candidate };
      }
    }
    if (includes.length === 0) {
      return everything(relPath) ? { selected: true, include: undefined } : { selected: false, reason: 'hidden' };
    }
    const hit = includes.find((i) => i.test(relPath));
    if (hit) return { selected: true, include: hit.pattern };
    return { selected: false, reason: 'no_include', patterns: includes.map((i) => i.pattern) };
  };

  return { matches: (relPath) => explain(relPath).selected, explain };
}

/** One line for `--dry-run`: "excluded by \"*.tmp\"", "no include matched (*.json, *.csv)". */
export function describeVerdict(verdict: GlobVerdict): string {
  if (verdict.selected) {
    return verdict.include === undefined ? 'selected (no include: every file)' : `selected by ${JSON.stringify(verdict.include)}`;
  }
  switch (verdict.reason) {
    case 'excluded': {
      const where = verdict.folder === undefined ? '' : ` (folder ${JSON.stringify(verdict.folder)})`;
      return `excluded by ${JSON.stringify(verdict.pattern)}${where}`;
    }
    case 'hidden':
      return 'hidden: only an include pattern starting with "." takes hidden files';
    case 'no_include':
      return `no include matched (${verdict.patterns.join(', ')})`;
  }
}

/**
 * The longest folder, relative to the dataflow's path, that holds every file the includes can
 * match: '' when an include can match at any depth (or there is none). Object stores list from it
 * as a key prefix instead of walking the whole folder. No trailing '/'.
 */
export function listingPrefix(include: readonly string[] | undefined): string {
  if (include === undefined || include.length === 0) return '';
  let common: string[] | undefined;
  for (const pattern of include) {
    const folder = staticFolder(effectivePattern(pattern));
    common = common === undefined ? folder : commonSegments(common, folder);
    if (common.length === 0) return '';
  }
  return (common ?? []).join('/');
}

function staticFolder(pattern: string): string[] {
  const scan = picomatch.scan(pattern);
  if (scan.negated) return [];
  const segments = scan.base === '' ? [] : scan.base.split('/');
  // A literal pattern's base is the file itself: its folder is one segment up.
  const folder = scan.isGlob ? segments : segments.slice(0, -1);
  // Stop before a segment with an escape: picomatch leaves the backslash in `base`.
  const escaped = folder.findIndex((segment) => segment.includes('\\'));
  return escaped < 0 ? folder : folder.slice(0, escaped);
}

function commonSegments(a: string[], b: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.min(a.length, b.length) && a[i] === b[i]; i++) out.push(a[i]);
  return out;
}
