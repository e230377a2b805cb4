import { z } from 'zod';
import type { ConnectorDefinition } from '../connector/types';
import { buildDaemonSchema, connectionSchema } from './daemon-schema';
import { dataflowSchema } from './dataflow-schema';

function toJsonSchema(schema: z.ZodType, title: string): Record<string, unknown> {
  // Input side: what the YAML holds (durations as strings, defaults optional), draft-07 for
  // the widest editor support (yaml-language-server, VS Code).
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' });
  return { ...json, title };
}

/**
 * JSON Schemas of dataflowd.yaml (connections checked by every given connector's schema) and
 * of dataflows/*.yaml, generated from the zod schemas that validate them: `dataflowd schema`.
 */
export function configJsonSchema(connectors: readonly ConnectorDefinition[]): {
  daemon: Record<string, unknown>;
  dataflow: Record<string, unknown>;
} {
  const schemas = connectors.map((c) => c.configSchema);
  const connection = schemas.length === 0 ? connectionSchema : z.union(schemas);
  return {
    daemon: toJsonSchema(buildDaemonSchema(connection), 'dataflowd.yaml'),
    dataflow: toJsonSchema(dataflowSchema, 'dataflows/*.yaml'),
  };
}
