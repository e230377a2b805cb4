import { Problem, YamlPath } from './problem';
import { resolveReferences, ResolvedReferences } from './references';
import { YamlFile } from './yaml-file';
import { ParseContext } from './zod-issues';

/** One YAML file of the config, parsed and with its references resolved. */
export interface ConfigFile {
  yaml: YamlFile;
  /** The file's content as plain data; absent when it could not be read or parsed. */
  data?: unknown;
  refs: ResolvedReferences;
  problems: Problem[];
}

const NO_REFS: ResolvedReferences = { problems: [], values: [], wholePaths: [], failedPaths: [] };

/**
 * Reads, parses and resolves references. A file with syntax errors yields only those: what a
 * broken document means is guesswork, and problems built on a guess would mislead.
 */
export async function readConfigFile(file: string, env: NodeJS.ProcessEnv): Promise<ConfigFile> {
  const { yaml, problems } = await YamlFile.read(file);
  if (!yaml.ok) return { yaml, refs: NO_REFS, problems };
  const refs = await resolveReferences(yaml, env);
  const js = yaml.toJS();
  return { yaml, data: js.value, refs, problems: [...refs.problems, ...js.problems] };
}

/** How to report problems for a value found at `at` in this file. */
export function parseContext(f: ConfigFile, at: YamlPath = []): ParseContext {
  return { yaml: f.yaml, at, wholePaths: f.refs.wholePaths, failedPaths: f.refs.failedPaths };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
