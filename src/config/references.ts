import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, Scalar } from 'yaml';
import { displayPath, Problem, YamlPath } from './problem';
import { keyName, YamlFile } from './yaml-file';

/*
 * `${env:NAME}` and `${file:PATH}` stand for a whole scalar or for part of a longer string
 * (`postgres://app:${env:PG_PASSWORD}@db/dataflowd`). `$${` writes a literal `${`. A relative
 * PATH resolves from the folder of the YAML file that names it; the file's content loses one
 * trailing newline. An unset or empty variable, or a missing, unreadable or empty file, is a
 * problem at the scalar, never an empty string. Inside a YAML flow collection (`{ a: ... }`)
 * a reference must be quoted, since `{` and `}` end plain scalars there.
 */

const REF = /\$\$\{|\$\{([A-Za-z][\w-]*):([^}]*)\}/g;
const WHOLE_REF = /^\$\{(?:env|file):[^}]*\}$/;
const UNTERMINATED = /\$\{(?:env|file):/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ResolvedReferences {
  problems: Problem[];
  /** What each reference stood for: secret values, to scrub from logs and messages. */
  values: string[];
  /** Scalars that were exactly one reference: their text may stand for a number or a boolean. */
  wholePaths: YamlPath[];
  /** Scalars whose reference failed: validation problems there would only repeat the cause. */
  failedPaths: YamlPath[];
}

interface Site {
  path: YamlPath;
  scalar: Scalar;
  text: string;
}

function collect(node: unknown, at: YamlPath, out: Site[]): void {
  if (isMap(node)) {
    for (const pair of node.items) collect(pair.value, [...at, keyName(pair.key)], out);
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collect(item, [...at, i], out));
  } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
    out.push({ path: at, scalar: node, text: node.value });
  }
}

type Lookup = { value: string } | { error: string };

async function readRefFile(ref: string, baseDir: string): Promise<Lookup> {
  if (ref.trim() === '') return { error: '${file:} needs a path' };
  const file = path.resolve(baseDir, ref);
  const shown = displayPath(file);
  try {
    const content = (await fs.readFile(file, 'utf8')).replace(/\r?\n$/, '');
    return content === '' ? { error: `file ${shown} is empty` } : { value: content };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { error: `file ${shown} not found` };
    if (code === 'EACCES' || code === 'EPERM') return { error: `file ${shown} is not readable (permission denied)` };
    if (code === 'EISDIR') return { error: `${shown} is a folder, not a file` };
    return { error: `cannot read file ${shown} (${code ?? 'unknown error'})` };
  }
}

function lookupEnv(name: string, env: NodeJS.ProcessEnv): Lookup {
  if (!ENV_NAME.test(name)) return { error: `invalid environment variable name "${name}"` };
  const value = env[name];
  if (value === undefined) return { error: `environment variable ${name} is not set` };
  if (value === '') return { error: `environment variable ${name} is empty` };
  return { value };
}

async function lookup(scheme: string, arg: string, baseDir: string, env: NodeJS.ProcessEnv): Promise<Lookup> {
  if (scheme === 'env') return lookupEnv(arg, env);
  if (scheme === 'file') return readRefFile(arg, baseDir);
  return { error: `unknown reference \${${scheme}:…}: use \${env:NAME} or \${file:PATH}` };
}

/**
 * Replaces every reference in the file's scalars with what it stands for, in place in the
 * parsed document (so aliases of a scalar see the resolved value too).
 */
export async function resolveReferences(yaml: YamlFile, env: NodeJS.ProcessEnv): Promise<ResolvedReferences> {
  const out: ResolvedReferences = { problems: [], values: [], wholePaths: [], failedPaths: [] };
  const sites: Site[] = [];
  collect(yaml.doc?.contents, [], sites);
  for (const site of sites) {
    const matches = [...site.text.matchAll(REF)];
    const looked = await Promise.all(
      matches.map((m) => (m[0] === '$${' ? { value: '${' } : lookup(m[1], m[2], yaml.dir, env))),
    );
    const errors = looked.flatMap((l) => ('error' in l ? [l.error] : []));
    const rest = site.text.replace(REF, '');
    if (UNTERMINATED.test(rest)) errors.push('unterminated reference: missing "}"');
    if (errors.length > 0) {
      for (const e of errors) out.problems.push(yaml.problem(site.path, e));
      out.failedPaths.push(site.path);
      continue;
    }
    let i = 0;
    site.scalar.value = site.text.replace(REF, () => (looked[i++] as { value: string }).value);
    matches.forEach((m, j) => {
      if (m[0] !== '$${') out.values.push((looked[j] as { value: string }).value);
    });
    if (WHOLE_REF.test(site.text)) out.wholePaths.push(site.path);
  }
  return out;
}
