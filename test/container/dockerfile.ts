import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One instruction of a Dockerfile: continuation lines joined, comments apart. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
  /** The stage it belongs to (its FROM's `AS` name, or its index). */
  stage: string;
  /** `# hadolint ignore=DL…` rules on the comment lines right above it. */
  ignored: string[];
}

export const DOCKERFILE = path.resolve(__dirname, '..', '..', 'Dockerfile');

/** The instructions of the Dockerfile, in order (the few rules of its syntax this file uses). */
export function parseDockerfile(text = readFileSync(DOCKERFILE, 'utf8')): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  let stage = '';
  let ignored: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    if (raw.startsWith('#')) {
      const m = /^#\s*hadolint\s+ignore=(\S+)/.exec(raw);
      if (m) ignored.push(...m[1].split(','));
      continue;
    }
    const start = i;
    let joined = raw;
    while (joined.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i].trim();
      joined = `${joined.slice(0, -1).trimEnd()} ${next.startsWith('#') ? '' : next}`.trimEnd();
    }
    const m = /^(\S+)\s*(.*)$/.exec(joined)!;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage = /\bAS\s+(\S+)/i.exec(m[2])?.[1] ?? String(out.filter((x) => x.keyword === 'FROM').length);
    out.push({ keyword, args: m[2], line: start + 1, stage, ignored });
    ignored = [];
  }
  return out;
}

/** An exec-form (JSON array) argument list, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const value = JSON.parse(args) as unknown;
    return Array.isArray(value) && value.every((x) => typeof x === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** ENV instructions of a stage as a map (KEY=value pairs, as this Dockerfile writes them). */
export function envOf(instructions: readonly Instruction[], stage: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of instructions.filter((x) => x.keyword === 'ENV' && x.stage === stage)) {
    for (const m of ins.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return env;
}

/** ARG defaults before the first FROM, for the FROM lines that use them. */
export function globalArgs(instructions: readonly Instruction[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') break;
    const m = /^(\w+)=(\S+)$/.exec(ins.args);
    if (ins.keyword === 'ARG' && m) args[m[1]] = m[2];
  }
  return args;
}
