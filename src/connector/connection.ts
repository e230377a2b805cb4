import type { z } from 'zod';
import { dataflowError } from '../lib/errors';
import type { ConnectorContext, ConnectorDefinition, ConnectorTraits, SourceConnector } from './types';

/**
 * A connection of dataflowd.yaml as the config loader leaves it: its definition and its options,
 * parsed once, with the config, by the definition's own schema. The options' type is known only
 * where the definition and the options meet (`bindConnection`), so no caller casts them, and
 * nobody parses them a second time (STYLE.md rule 14).
 */
export interface Connection {
  readonly name: string;
  readonly type: string;
  /** What the definition declares for these options; a live connector may know better (`traits()`). */
  readonly traits: ConnectorTraits;
  /** A new connector to this connection; the caller closes it. */
  create(ctx: ConnectorContext): Promise<SourceConnector>;
}

/** Binds options its definition's schema produced to that definition. */
export function bindConnection<S extends z.ZodType>(name: string, definition: ConnectorDefinition<S>, options: z.output<S>): Connection {
  return {
    name,
    type: definition.type,
    traits: definition.traits(options),
    create: (ctx) => definition.create(options, ctx),
  };
}

export type Connections = Readonly<Record<string, Connection>>;

/**
 * The one way to open a source: finds the connection by name among the config's and creates its
 * connector. Every command and the runner call this, so that a connection is found, typed and
 * created the same way everywhere.
 */
export async function openConnection(connections: Connections, name: string, ctx: ConnectorContext): Promise<{ connection: Connection; connector: SourceConnector }> {
  const connection = Object.hasOwn(connections, name) ? connections[name] : undefined;
  if (connection === undefined) throw dataflowError('ERR_CONFIG_CONNECTION', 'config', `connection ${name} is not defined`);
  return { connection, connector: await connection.create(ctx) };
}
