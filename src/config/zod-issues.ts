import { z } from 'zod';
import { Problem, YamlPath } from './problem';
import { YamlFile } from './yaml-file';

type Issue = z.core.$ZodIssue;

/** An issue with its path made absolute (from the parse root) and unions resolved to one branch. */
interface FlatIssue {
  issue: Issue;
  path: (string | number)[];
}

export interface ParseContext {
  yaml: YamlFile;
  /** Where the parsed value sits in its file. */
  at: YamlPath;
  /** Whole-scalar references (file-relative paths), see references.ts. */
  wholePaths: readonly YamlPath[];
  /** Scalars whose reference failed (file-relative paths). */
  failedPaths: readonly YamlPath[];
}

function keyPath(p: readonly PropertyKey[]): (string | number)[] {
  return p.map((k) => (typeof k === 'number' ? k : String(k)));
}

/**
 * A union that fails reports every branch's issues; the branch with the fewest is taken to be the
 * one the author meant (a mapping field missing `target` is a `source` field, not a `value` one).
 */
function flatten(issues: readonly Issue[], base: (string | number)[]): FlatIssue[] {
  return issues.flatMap((issue) => {
    const p = [...base, ...keyPath(issue.path)];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors.map((errs) => flatten(errs, p));
      return branches.reduce((best, b) => (b.length < best.length ? b : best));
    }
    return [{ issue, path: p }];
  });
}

function valueAt(data: unknown, p: readonly (string | number)[]): unknown {
  let v = data;
  for (const seg of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

const EXPECTED: Record<string, string> = { object: 'a mapping', array: 'a list', int: 'an integer' };

function oneOf(values: readonly unknown[]): string {
  const shown = values.filter((v) => v !== undefined && v !== null).map((v) => String(v));
  return shown.length === 1 ? `must be ${shown[0]}` : `must be one of: ${shown.join(', ')}`;
}

function bound(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const small = issue.code === 'too_small';
  const n = Number(small ? issue.minimum : (issue as { maximum: number | bigint }).maximum);
  if (issue.origin === 'string' || issue.origin === 'array') {
    if (small && n === 1) return 'must not be empty';
    const unit = issue.origin === 'string' ? 'characters' : 'items';
    return `must have ${small ? 'at least' : 'at most'} ${n} ${unit}`;
  }
  if (issue.inclusive === false) return `must be ${small ? 'greater' : 'less'} than ${n}`;
  return `must be ${small ? 'at least' : 'at most'} ${n}`;
}

/** zod's own messages start like this; any other message was written for the schema. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)/;

function message(issue: Issue, value: unknown): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? `a ${issue.expected}`;
      return value === undefined ? `required (${expected})` : `expected ${expected}, got ${kindOf(value)}`;
    }
    case 'invalid_value':
      return oneOf(issue.values);
    case 'invalid_union': {
      // A discriminated union with no matching discriminator lists the accepted values.
      const options = (issue as { options?: unknown[] }).options ?? [];
      if (options.length === 0) return issue.message;
      return value === undefined ? `required: ${oneOf(options)}` : oneOf(options);
    }
    case 'too_small':
    case 'too_big':
      return bound(issue);
    case 'invalid_format':
      return `invalid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_key':
      return `invalid name: ${issue.issues.map((i) => message(i, undefined)).join('; ')}`;
    case 'custom':
      return issue.message === 'Invalid input' ? 'invalid value' : issue.message;
    default:
      return issue.message;
  }
}

function startsWith(p: readonly (string | number)[], prefix: YamlPath): boolean {
  return prefix.length <= p.length && prefix.every((seg, i) => String(seg) === String(p[i]));
}

function coerce(s: string, expected: string): { ok: true; value: number | boolean } | { ok: false } {
  if (expected === 'boolean' && (s === 'true' || s === 'false')) return { ok: true, value: s === 'true' };
  if ((expected === 'number' || expected === 'int') && s.trim() !== '' && Number.isFinite(Number(s))) {
    return { ok: true, value: Number(s) };
  }
  return { ok: false };
}

/**
 * Where a reference stood for a whole scalar that the schema wants as a number or boolean
 * (`port: ${env:SFTP_PORT}`), turns the resolved text into one. Returns whether anything changed.
 */
function coerceReferences(flat: readonly FlatIssue[], data: unknown, ctx: ParseContext): boolean {
  let changed = false;
  for (const { issue, path: p } of flat) {
    if (issue.code !== 'invalid_type' || p.length === 0) continue;
    if (!ctx.wholePaths.some((w) => w.length === ctx.at.length + p.length && startsWith([...ctx.at, ...p], w))) continue;
    const parent = valueAt(data, p.slice(0, -1));
    const key = p[p.length - 1];
    const current = valueAt(data, p);
    if (parent === null || typeof parent !== 'object' || typeof current !== 'string') continue;
    const c = coerce(current, issue.expected);
    if (!c.ok) continue;
    (parent as Record<string | number, unknown>)[key] = c.value;
    changed = true;
  }
  return changed;
}

export function issuesToProblems(issues: readonly Issue[], data: unknown, ctx: ParseContext): Problem[] {
  const problems: Problem[] = [];
  for (const { issue, path: p } of flatten(issues, [])) {
    const full = [...ctx.at, ...p];
    if (ctx.failedPaths.some((f) => startsWith(full, f))) continue;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(ctx.yaml.problem([...full, key], 'unknown key', { atKey: true }));
    } else {
      problems.push(ctx.yaml.problem(full, message(issue, valueAt(data, p)), { atKey: issue.code === 'invalid_key' }));
    }
  }
  return problems;
}

/**
 * Validates `data` (which it may change: see coerceReferences) and reports every issue as a
 * problem at its node.
 */
export function parseNode<S extends z.ZodType>(
  schema: S,
  data: unknown,
  ctx: ParseContext,
): { data?: z.output<S>; problems: Problem[] } {
  for (let attempt = 0; ; attempt++) {
    const r = schema.safeParse(data);
    if (r.success) return { data: r.data, problems: [] };
    if (attempt < 2 && coerceReferences(flatten(r.error.issues, []), data, ctx)) continue;
    return { problems: issuesToProblems(r.error.issues, data, ctx) };
  }
}
