import type { LoadedConfig, Problem } from '../config';
import { openConnection } from '../connector/connection';
import { silentLogger } from '../lib/logger';
import type { CheckReport, ConfigYaml } from './check-report';
import { describeError } from './run-text';

/** Reaches, authenticates and lists every connection; a failure is a problem at its YAML key. */
export async function checkConnections(config: LoadedConfig, yaml: ConfigYaml, signal: AbortSignal): Promise<CheckReport & { failed: Set<string> }> {
  const problems: Problem[] = [];
  const lines: string[] = [];
  const failed = new Set<string>();
  await Promise.all(
    Object.keys(config.connections).map(async (name) => {
      const { connection, connector } = await openConnection(config.connections, name, { logger: silentLogger, baseDir: config.dir });
      try {
        if (!connector.check) {
          lines.push(`connection ${name} (${connection.type}): no live check for this type`);
          return;
        }
        await connector.check({ signal });
        lines.push(`connection ${name} (${connection.type}): ok`);
      } catch (err) {
        failed.add(name);
        problems.push(yaml.daemon.problem(['connections', name], `check failed: ${describeError(err)}`));
      } finally {
        await connector.close().catch(() => undefined);
      }
    }),
  );
  return { problems, lines, failed };
}

