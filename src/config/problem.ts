import path from 'node:path';

/** A key path into a YAML document: mapping keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/** One thing wrong with the configuration, pointing at the offending node. */
export interface Problem {
  /** Absolute path of the file. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** Like `source.include[1]` or `connections.inbox.root`; '' for the whole file. */
  path: string;
  message: string;
}

/** `a.b[1].c`: the form problems and error messages name a node by. */
export function formatPath(p: YamlPath): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** The file as the user would type it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return file;
  return rel;
}

/** `FILE:LINE:COL: yaml.path: message`, the path left out when the problem is about the whole file. */
export function formatProblem(p: Problem): string {
  const where = `${displayPath(p.file)}:${p.line}:${p.col}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/** Problems in reading order: by file (in the given order), then line, then column. */
export function sortProblems(problems: readonly Problem[], fileOrder: readonly string[]): Problem[] {
  const rank = (f: string): number => {
    const i = fileOrder.indexOf(f);
    return i === -1 ? fileOrder.length : i;
  };
  return [...problems].sort(
    (a, b) => rank(a.file) - rank(b.file) || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col,
  );
}

/**
 * Replaces every secret value found in a message. Messages are built without echoing secret
 * fields; this is the second line of defence for values that reached a message anyway (a
 * connector's own error text, a value echoed as "invalid duration").
 */
export function scrubProblems(problems: readonly Problem[], secrets: readonly string[]): Problem[] {
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return problems.map((p) => {
    let message = p.message;
    for (const s of ordered) message = message.split(s).join('[redacted]');
    return message === p.message ? p : { ...p, message };
  });
}
