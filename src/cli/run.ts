import type { Command } from 'commander';
import { connectorDefinitions } from '../../connectors';
import type { Decision } from '../detect/detect';
import { systemClock } from '../lib/clock';
import type { RunRecord } from '../store/types';
import { openServices } from '../services';
import { commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';
import { startProgress } from './progress';

export function exitCodeFor(run: RunRecord): number {
  switch (run.status) {
    case 'succeeded':
    case 'skipped':
      return EXIT.ok;
    case 'partially_succeeded':
      return EXIT.partial;
    default:
      return EXIT.failed;
  }
}

/** `dataflowd run NAME`: one run now, in the foreground. */
export function registerRun(program: Command): void {
  withConfigOption(program.command('run <name>').description('run one dataflow now (exit 0 succeeded, 1 failed, 3 partially succeeded)'))
    .option('--dry-run', 'list every candidate file with its decision and reason; touch nothing')
    .option('--json', 'print the run (or the dry-run decisions) as JSON')
    .action(async (name: string, opts: { config: string; dryRun?: boolean; json?: boolean }) => {
      const config = await loadConfigOrExit(opts.config);
      const df = config.dataflows.find((d) => d.name === name);
      if (!df) {
        process.stderr.write(`no dataflow named ${name} in ${opts.config} (known: ${config.dataflows.map((d) => d.name).join(', ') || 'none'})\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const logger = commandLogger(config);
      const services = await openServices(config, connectorDefinitions, logger, systemClock);
      const abort = new AbortController();
      const onSignal = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      try {
        if (opts.dryRun) {
          const decisions = await services.runner.dryRun(df, abort.signal);
          process.stdout.write(opts.json ? `${JSON.stringify(decisions.map(decisionJson), null, 2)}\n` : formatDecisions(decisions));
          return;
        }
        const progress = opts.json ? undefined : startProgress();
        const run = await services.runner.run(df, 'manual', abort.signal, progress?.callbacks).finally(() => progress?.stop());
        process.stdout.write(opts.json ? `${JSON.stringify(run, null, 2)}\n` : `${summary(run)}\n`);
        process.exitCode = exitCodeFor(run);
      } finally {
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
        await services.close();
      }
    });
}

function summary(run: RunRecord): string {
  const lines = [
    `run ${run.id}: ${run.status}`,
    `  files: ${run.filesTaken} taken, ${run.filesIngested} ingested, ${run.filesFailed} failed`,
    `  records: ${run.recordsIn} in, ${run.recordsOut} out, ${run.recordsFailed} failed; ${run.bytes} bytes`,
  ];
  if (run.batchIds.length) lines.push(`  batches: ${run.batchIds.join(', ')}`);
  if (run.error) lines.push(`  ${run.status === 'skipped' ? 'why' : 'error'}: ${run.error}`);
  return lines.join('\n');
}

function decisionJson(d: Decision) {
  return {
    path: d.file.path,
    size: d.file.size,
    modifiedAt: d.file.modifiedAt.toISOString(),
    action: d.action,
    reason: d.reason,
    detail: d.action === 'skip' ? d.detail : undefined,
  };
}

function formatDecisions(decisions: Decision[]): string {
  if (decisions.length === 0) return 'no files listed\n';
  const rows = decisions.map((d) => {
    const why = d.action === 'take' ? d.reason : `${d.reason.replace(/_/g, ' ')}: ${d.detail}`;
    return `${d.action === 'take' ? 'TAKE' : 'skip'}  ${d.file.path}  (${d.file.size} B, ${d.file.modifiedAt.toISOString()})  ${why}`;
  });
  const taken = decisions.filter((d) => d.action === 'take').length;
  return `${rows.join('\n')}\n${taken} of ${decisions.length} files would be taken\n`;
}
