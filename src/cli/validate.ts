import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { definitionHash, formatProblem, loadConfig, LoadedConfig } from '../config';
import { openStore } from '../store/open-store';
import { parseStoreUrl } from '../store/store-url';
import { type CliDeps, EXIT, withConfigOption } from './common';
import { type CheckReport, ConfigYaml, mergeReports } from './check-report';
import { checkConnections } from './connection-check';
import { checkFolders } from './folder-check';
import { checkCsvHeaders } from './header-check';
import { checkPlatform } from './platform-check';
import { checkState } from './state-check';

const CHECK_TIMEOUT_MS = 20_000;

/** What the config decides about rejected rows' values, said where people check their config. */
export const ROW_ERRORS_HELP = `
Rejected rows (mapping, conversion or dataset-schema failures) are sent to Platform as
rejected-row lines that carry the reason, the field and the position (file, row, line, column),
never the value; nor do logs, run --json, --dry-run or the run's error show it. The value is
kept only in the local row-error store, and only with ingestion.errorDiagnostics: true
(see: dataflowd history NAME --run ID).`;

/**
 * `validate --check`: everything a run needs, live — each connection, Platform (a token, the
 * sandbox, each target dataset), each dataflow's folder, and where the state is written — every
 * failure a problem at the YAML key it is about. Then the CSV headers, as information.
 */
async function liveChecks(config: LoadedConfig): Promise<{ report: CheckReport; headerLines: string[] }> {
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  const yaml = await ConfigYaml.read(config);
  const [connections, platform, state] = await Promise.all([checkConnections(config, yaml, signal), checkPlatform(config, yaml, signal), checkState(config, yaml)]);
  const folders = await checkFolders(config, yaml, connections.failed, signal);
  const report = mergeReports([connections, platform, folders, state]);
  if (report.problems.length > 0) return { report, headerLines: [] };
  // Columns left out are reported, not refused: a header may carry columns on purpose unsent.
  const headers = await checkCsvHeaders(config, signal);
  return { report, headerLines: headers.flatMap((h) => h.lines) };
}

/** Whether there can be a state to read: a PostgreSQL one, or a SQLite file that exists. */
function hasState(url: string, dir: string): boolean {
  try {
    const location = parseStoreUrl(url, dir);
    return location.kind === 'postgres' || (location.kind === 'sqlite' && existsSync(location.filename));
  } catch {
    return false;
  }
}

/** For `once` dataflows: whether the state says they already had their run. */
async function onceNotes(config: LoadedConfig): Promise<string[]> {
  const once = config.dataflows.filter((d) => d.enabled && !d.schedule.cron && d.schedule.frequency === 'once');
  const url = config.daemon.state.url;
  if (once.length === 0 || !hasState(url, config.dir)) return [];
  const store = await openStore(url, { baseDir: config.dir, migrate: false }).catch(() => undefined);
  if (!store) return [];
  try {
    const notes: string[] = [];
    for (const df of once) {
      // A state not yet migrated to this version has no once records to read: nothing to say.
      const record = await store.onceRun(df.name).catch(() => undefined);
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
export function registerValidate(program: Command, deps: CliDeps): void {
  withConfigOption(program.command('validate').description('check every config file and report every problem'))
    .addHelpText('after', ROW_ERRORS_HELP)
    .option('--check', 'also check, live, every connection, Platform (token, sandbox, datasets), each dataflow\'s folder and where the state is written; then map the newest CSV header of each CSV dataflow')
    .action(async (opts: { config: string; check?: boolean }) => {
      const { config, problems } = await loadConfig(opts.config, { connectors: deps.connectors });
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      if (!config) {
        process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const enabled = config.dataflows.filter((d) => d.enabled).length;
      const summary = `valid: ${config.files.length} files, ${config.dataflows.length} dataflows (${enabled} enabled), ${Object.keys(config.daemon.connections).length} connections`;
      if (opts.check) {
        const { report, headerLines } = await liveChecks(config);
        const problems = [...report.problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
        for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
        for (const line of [...report.lines].sort()) process.stdout.write(`${line}\n`);
        if (problems.length > 0) {
          process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} found by the live checks\n`);
          process.exitCode = EXIT.invalid;
          return;
        }
        for (const line of headerLines) process.stdout.write(`${line}\n`);
      }
      for (const note of await onceNotes(config)) process.stdout.write(`${note}\n`);
      process.stdout.write(`${summary}\n`);
    });
}
