import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../lib/errors';
import { ConfigFile, parseContext } from './config-file';
import { DataflowSpec, dataflowSchema } from './dataflow-schema';
import { fileProblem } from './yaml-file';
import { Problem } from './problem';
import { SchemaRef } from './schema-files';
import { parseNode } from './zod-issues';

export const DATAFLOWS_FOLDER = 'dataflows';

/** A dataflow as loaded: its file's content, defaults filled in, and where it came from. */
export type DataflowConfig = DataflowSpec & {
  /** Absolute path of the YAML file that defines it. */
  file: string;
};

/**
 * `dataflows/*.yaml` and `*.yml`, in name order. Hidden files and sub-folders are ignored; a
 * missing folder means no dataflows.
 */
export async function listDataflowFiles(configDir: string): Promise<{ files: string[]; problems: Problem[] }> {
  const folder = path.join(configDir, DATAFLOWS_FOLDER);
  let names: string[];
  try {
    const entries = await fs.readdir(folder, { withFileTypes: true });
    names = entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name) && !e.name.startsWith('.'))
      .map((e) => e.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { files: [], problems: [] };
    return { files: [], problems: [fileProblem(folder, `cannot list dataflows: ${errorMessage(err)}`)] };
  }
  names.sort();
  return { files: names.map((n) => path.join(folder, n)), problems: [] };
}

/** The JSON Schema file mapping.schema names, absolute, whether or not the rest is valid. */
export function mappingSchemaRefs(f: ConfigFile): SchemaRef[] {
  const data = f.data as { mapping?: { schema?: unknown } } | null | undefined;
  const schema = data?.mapping?.schema;
  return typeof schema === 'string' && schema !== '' ? [{ file: path.resolve(f.yaml.dir, schema), yaml: f.yaml, path: ['mapping', 'schema'] }] : [];
}

export function loadDataflow(f: ConfigFile): { dataflow?: DataflowConfig; problems: Problem[]; schemaRefs: SchemaRef[] } {
  if (f.data === undefined) return { problems: [], schemaRefs: [] };
  const r = parseNode(dataflowSchema, f.data, parseContext(f));
  const schemaRefs = mappingSchemaRefs(f);
  if (r.data === undefined || f.problems.length > 0) return { problems: r.problems, schemaRefs };
  const spec = r.data;
  const mapping =
    spec.mapping?.schema === undefined ? spec.mapping : { ...spec.mapping, schema: path.resolve(f.yaml.dir, spec.mapping.schema) };
  return { dataflow: { ...spec, mapping, file: f.yaml.file }, problems: [], schemaRefs };
}
