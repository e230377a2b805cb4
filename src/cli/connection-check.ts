import { connectorDefinitions } from '../../connectors';
import type { LoadedConfig, Problem } from '../config';
import { silentLogger } from '../lib/logger';
import type { CheckReport, ConfigYaml } from './check-report';
import { describeError } from './run-text';

/** Reaches, authenticates and lists every connection; a failure is a problem at its YAML key. */
export async function checkConnections(config: LoadedConfig, yaml: ConfigYaml, signal: AbortSignal): Promise<CheckReport & { failed: Set<string> }> {
  const problems: Problem[] = [];
  const lines: string[] = [];
  const failed = new Set<string>();
  await Promise.all(
    Object.entries(config.daemon.connections).map(async ([name, raw]) => {
      const def = connectorDefinitions.find((d) => d.type === raw.type)!;
      const connector = def.create(def.configSchema.parse(raw), { logger: silentLogger, baseDir: config.dir });
      try {
        if (!connector.check) {
          lines.push(`connection ${name} (${raw.type}): no live check for this type`);
          return;
        }
        await connector.check({ signal });
        lines.push(`connection ${name} (${raw.type}): ok`);
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

