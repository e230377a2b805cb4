import { promises as fs } from 'node:fs';
import { errorMessage } from '../lib/errors';
import { displayPath, Problem, YamlPath } from './problem';
import { YamlFile } from './yaml-file';

/** A parsed JSON Schema document (a dataset's records, a mapping's target). */
export type JsonSchema = Record<string, unknown>;

/** A YAML node naming a JSON Schema file, already resolved to an absolute path. */
export interface SchemaRef {
  file: string;
  yaml: YamlFile;
  path: YamlPath;
}

async function readJsonSchema(file: string): Promise<{ schema: JsonSchema } | { error: string }> {
  const shown = displayPath(file);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { error: `schema file ${shown} not found` };
    return { error: `cannot read schema file ${shown}: ${errorMessage(err)}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { error: `schema file ${shown} is not valid JSON: ${errorMessage(err)}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { error: `schema file ${shown} must hold a JSON object` };
  }
  return { schema: parsed as JsonSchema };
}

/**
 * Reads every schema file once, however many nodes name it; a file that fails is a problem at
 * each node naming it.
 */
export async function loadSchemaFiles(
  refs: readonly SchemaRef[],
): Promise<{ schemas: Record<string, JsonSchema>; problems: Problem[] }> {
  const distinct = [...new Set(refs.map((r) => r.file))];
  const results = new Map(await Promise.all(distinct.map(async (f) => [f, await readJsonSchema(f)] as const)));
  const schemas: Record<string, JsonSchema> = {};
  const problems: Problem[] = [];
  for (const ref of refs) {
    const r = results.get(ref.file);
    if (r === undefined) continue;
    if ('error' in r) problems.push(ref.yaml.problem(ref.path, r.error));
    else schemas[ref.file] = r.schema;
  }
  return { schemas, problems };
}
