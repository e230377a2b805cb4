import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { connectorDefinitions } from '../../connectors';
import { definitionHash, formatProblem, loadConfig, LoadedConfig, Problem } from '../config';
import { YamlFile } from '../config/yaml-file';
import { errorMessage } from '../lib/errors';
import { silentLogger } from '../lib/logger';
import { openStore } from '../store/open-store';
import { EXIT, withConfigOption } from './common';
import { checkCsvHeaders } from './header-check';

const CHECK_TIMEOUT_MS = 20_000;

/** What the config decides about rejected rows' values, said where people check their config. */
export const ROW_ERRORS_HELP = `
Rejected rows (mapping, conversion or dataset-schema failures) are sent to Platform as
rejected-row lines that carry the reason, the field and the position (file, row, line, column),
never the value; nor do logs, run --json, --dry-run or the run's error show it. The value is
kept only in the local row-error store, and only with ingestion.errorDiagnostics: true
(see: dataflowd history NAME --run ID).`;

/** Reaches, authenticates and lists every connection; a failure is a problem at its YAML key. */
async function checkConnections(config: LoadedConfig): Promise<{ problems: Problem[]; lines: string[] }> {
  const file = path.join(config.dir, 'dataflowd.yaml');
  const { yaml } = await YamlFile.read(file);
  const problems: Problem[] = [];
  const lines: string[] = [];
  await Promise.all(
    Object.entries(config.daemon.connections).map(async ([name, raw]) => {
      const def = connectorDefinitions.find((d) => d.type === raw.type)!;
      const connector = def.create(def.configSchema.parse(raw), { logger: silentLogger, baseDir: config.dir });
      try {
        if (!connector.check) {
          lines.push(`connection ${name} (${raw.type}): no live check for this type`);
          return;
        }
        await connector.check({ signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
        lines.push(`connection ${name} (${raw.type}): ok`);
      } catch (err) {
        problems.push(yaml.problem(['connections', name], `check failed: ${errorMessage(err)}`));
      } finally {
        await connector.close().catch(() => undefined);
      }
    }),
  );
  return { problems, lines: lines.sort() };
}

/** For `once` dataflows: whether the state says they already had their run. */
async function onceNotes(config: LoadedConfig): Promise<string[]> {
  const once = config.dataflows.filter((d) => d.enabled && !d.schedule.cron && d.schedule.frequency === 'once');
  const url = config.daemon.state.url;
  if (once.length === 0 || (url.startsWith('sqlite:') && !existsSync(url.slice('sqlite:'.length)))) return [];
  const store = await openStore(url, { baseDir: config.dir, migrate: false }).catch(() => undefined);
  if (!store) return [];
  try {
    const notes: string[] = [];
    for (const df of once) {
      const record = await store.onceRun(df.name);
      if (!record) continue;
      notes.push(
        record.hash === definitionHash(df)
          ? `note: ${df.name} (once) already ran in run ${record.runId} on ${record.at.toISOString()}; it will not run again unless its source or target changes`
          : `note: ${df.name} (once) changed since its run ${record.runId}: it will run once more at the next start`,
      );
    }
    return notes;
  } finally {
    await store.close();
  }
}

/** `dataflowd validate`: every problem in every file, then exit 2; or exit 0 when all is valid. */
export function registerValidate(program: Command): void {
  withConfigOption(program.command('validate').description('check every config file and report every problem'))
    .option('--check', 'also reach, authenticate and list every connection, live, and map the newest CSV header of each CSV dataflow')
    .addHelpText('after', ROW_ERRORS_HELP)
    .action(async (opts: { config: string; check?: boolean }) => {
      const { config, problems } = await loadConfig(opts.config, { connectors: connectorDefinitions });
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      if (!config) {
        process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const enabled = config.dataflows.filter((d) => d.enabled).length;
      const summary = `valid: ${config.files.length} files, ${config.dataflows.length} dataflows (${enabled} enabled), ${Object.keys(config.daemon.connections).length} connections`;
      if (opts.check) {
        const checked = await checkConnections(config);
        for (const p of checked.problems) process.stdout.write(`${formatProblem(p)}\n`);
        for (const line of checked.lines) process.stdout.write(`${line}\n`);
        if (checked.problems.length > 0) {
          process.stderr.write(`${checked.problems.length} connection${checked.problems.length === 1 ? '' : 's'} failed the live check\n`);
          process.exitCode = EXIT.invalid;
          return;
        }
        // Columns left out are reported, not refused: a header may carry columns on purpose unsent.
        for (const h of await checkCsvHeaders(config, AbortSignal.timeout(CHECK_TIMEOUT_MS))) {
          for (const line of h.lines) process.stdout.write(`${line}\n`);
        }
      }
      for (const note of await onceNotes(config)) process.stdout.write(`${note}\n`);
      process.stdout.write(`${summary}\n`);
    });
}
