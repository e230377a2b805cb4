import type { Command } from 'commander';
import type { Decision } from '../detect/detect';
import { systemClock } from '../lib/clock';
import { normalizeRemotePath } from '../connector/paths';
import { cancellation, errorMessage, isAbortError } from '../lib/errors';
import { sendRunNotifications } from '../notify/send-run';
import { BUSY_CODE } from '../run/lease';
import { LEDGER_EMPTY_CODE } from '../run/ledger-guard';
import type { RunRecord } from '../store/types';
import type { FileSample } from '../prep/sample';
import { describeRowError, rowErrorRecord } from '../prep/row-errors';
import { openServices } from '../services';
import { type CliDeps, commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';
import { mappingLines } from './header-check';
import { errorText } from './history';
import { formatBytes, formatCount, formatDuration } from './human-units';
import { startProgress } from './progress';

/** 128 + SIGINT, as shells report a command stopped by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

export function exitCodeFor(run: RunRecord): number {
  switch (run.status) {
    case 'cancelled':
      return EXIT_INTERRUPTED;
    case 'skipped':
      return run.errorCode === BUSY_CODE ? EXIT.busy : EXIT.ok;
    case 'succeeded':
      return EXIT.ok;
    case 'partially_succeeded':
      return EXIT.partial;
    default:
      return run.errorCode === LEDGER_EMPTY_CODE ? EXIT.ledgerEmpty : EXIT.failed;
  }
}

interface RunCommandOptions {
  config: string;
  dryRun?: boolean;
  json?: boolean;
  wait?: boolean;
  acceptEmptyLedger?: boolean;
  quiet?: boolean;
}

/** `dataflowd run NAME` and `dataflowd reprocess NAME PATH…`: one run now, in the foreground. */
export function registerRun(program: Command, deps: CliDeps): void {
  withConfigOption(
    program
      .command('run <name>')
      .description(
        'run one dataflow now (exit 0 succeeded or nothing new, 1 failed, 3 partially succeeded, 4 its ledger is empty but Platform holds its data, 75 another process is running it, 130 cancelled)',
      ),
  )
    .option('--accept-empty-ledger', "start an empty ledger even though Platform already holds the dataflow's batches: every file is sent again (else: dataflowd ledger rebuild)")
    .option('--dry-run', 'list every candidate file with its decision and reason; touch nothing')
    .option('--wait', 'when another process is running the dataflow, wait for it to finish (or to die) instead of exiting 75')
    .option('--json', 'print the run (or the dry-run decisions) as JSON')
    .option('-q, --quiet', 'no progress, and only warnings and errors in the log; the summary (or --json) still prints')
    .action((name: string, opts: RunCommandOptions) => runCommand(name, opts, deps));
  withConfigOption(
    program
      .command('reprocess <name> <paths...>')
      .description('send chosen files of a dataflow again, whatever the ledger says (ingested or rejected before); paths below its source.path, or as history shows them'),
  )
    .option('--dry-run', 'show what would be sent; touch nothing')
    .option('--wait', 'when another process is running the dataflow, wait for it instead of exiting 75')
    .option('--json', 'print the run as JSON')
    .option('-q, --quiet', 'no progress, and only warnings and errors in the log')
    .action((name: string, paths: string[], opts: RunCommandOptions) => runCommand(name, opts, deps, paths));
}

async function runCommand(name: string, opts: RunCommandOptions, deps: CliDeps, reprocess?: readonly string[]): Promise<void> {
  const config = await loadConfigOrExit(opts.config, deps);
  const df = config.dataflows.find((d) => d.name === name);
  if (!df) {
    process.stderr.write(`no dataflow named ${name} in ${opts.config} (known: ${config.dataflows.map((d) => d.name).join(', ') || 'none'})\n`);
    process.exitCode = EXIT.invalid;
    return;
  }
  let only: Set<string> | undefined;
  try {
    only = reprocess && new Set(reprocess.map((p) => requestedPath(df.source.path, p)));
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    process.exitCode = EXIT.invalid;
    return;
  }
  const logger = commandLogger(config, { level: opts.quiet ? 'warn' : undefined });
  const services = await openServices(config, logger, systemClock);
  // First Ctrl-C (or SIGTERM): stop cleanly — abort the batch being filled, follow a completed
  // one to Platform's answer, record the run `cancelled`. A second one quits at once; whoever
  // runs the dataflow next takes over its lease and settles what it left.
  const abort = new AbortController();
  const cancel = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (cancel.signal.aborted) {
      process.stderr.write('\nstopped at once: the next run settles what this one left\n');
      process.exit(EXIT_INTERRUPTED);
    }
    cancel.abort(cancellation(`cancelled by ${signal === 'SIGINT' ? 'Ctrl-C' : signal}`));
    process.stderr.write(`\nstopping: no new uploads; a batch already completed is followed to Platform's answer (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)\n`);
    if (opts.dryRun) abort.abort(cancel.signal.reason);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    if (opts.dryRun) {
      const dry = await services.runner.dryRun(df, abort.signal, { only });
      const samples = new Map(dry.samples.map((x) => [x.path, x]));
      const json = dry.decisions.map((d) => ({ ...decisionJson(d), sample: samples.get(d.file.path) && sampleJson(samples.get(d.file.path) as FileSample) }));
      process.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : formatDecisions(dry.decisions, samples));
      for (const note of dry.notes) process.stderr.write(`note: ${note}\n`);
      return;
    }
    // On a terminal, a live line; off one (a cron job's log), a plain progress line now and then.
    const progress = opts.json ? undefined : startProgress({ quiet: opts.quiet, logger, name: df.name });
    const run = await services.runner
      .run(df, only ? 'reprocess' : 'manual', abort.signal, { ...progress?.callbacks, wait: opts.wait, cancel: cancel.signal, only, acceptEmptyLedger: opts.acceptEmptyLedger })
      .catch((err: unknown) => {
        // Ctrl-C while waiting for another process's lease: nothing was started.
        if (cancel.signal.aborted && isAbortError(err)) return undefined;
        throw err;
      })
      .finally(() => progress?.stop());
    if (!run) {
      process.stderr.write('not run: cancelled while waiting for the dataflow\n');
      process.exitCode = EXIT_INTERRUPTED;
      return;
    }
    process.stdout.write(opts.json ? `${JSON.stringify(run, null, 2)}\n` : `${summary(run)}\n`);
    await sendRunNotifications(run, { store: services.store, config, processId: services.leases.owner.processId, logger, cancel: cancel.signal });
    if (only && !opts.json) {
      const taken = new Set((await services.store.filesOfRun(run.id)).map((f) => f.path));
      for (const path of [...only].filter((p) => !taken.has(p))) process.stderr.write(`not sent: ${path} (not listed, not selected by the dataflow, or in progress)\n`);
    }
    process.exitCode = exitCodeFor(run);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await services.close();
  }
}

/** A path as given to `reprocess`: below the dataflow's folder, or already connection-relative (as history shows it). */
function requestedPath(folder: string, given: string): string {
  const base = normalizeRemotePath(folder);
  const path = normalizeRemotePath(given);
  return base === '' || path === base || path.startsWith(`${base}/`) ? path : `${base}/${path}`;
}

function summary(run: RunRecord): string {
  const lines = [
    `run ${run.id}: ${run.status}`,
    `  files: ${run.filesTaken} taken, ${run.filesIngested} ingested, ${run.filesFailed} failed${run.filesRefused ? `, ${run.filesRefused} skipped for their names` : ''}`,
    `  records: ${formatCount(run.recordsIn)} in, ${formatCount(run.recordsOut)} out, ${formatCount(run.recordsFailed)} failed; ${formatBytes(run.bytes)}${run.finishedAt ? ` in ${formatDuration(run.finishedAt.getTime() - run.startedAt.getTime())}` : ''}`,
  ];
  if (run.batchIds.length) lines.push(`  batches: ${run.batchIds.join(', ')}`);
  if (run.errorCode === BUSY_CODE) return `not run: ${run.dataflow} is ${run.error}; try again later, or add --wait`;
  if (run.status === 'cancelled') lines.push(`  ${run.error ?? 'cancelled'}`);
  else if (run.error) lines.push(`  ${run.status === 'skipped' ? 'why' : 'error'}: ${errorText(run)}`);
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

function formatDecisions(decisions: Decision[], samples: ReadonlyMap<string, FileSample>): string {
  if (decisions.length === 0) return 'no files listed\n';
  const rows = decisions.flatMap((d) => {
    const why = d.action === 'take' ? d.reason : `${d.reason.replace(/_/g, ' ')}: ${d.detail}`;
    const line = `${d.action === 'take' ? 'TAKE' : 'skip'}  ${d.file.path}  (${d.file.size} B, ${d.file.modifiedAt.toISOString()})  ${why}`;
    const sample = samples.get(d.file.path);
    return sample ? [line, ...formatSample(sample)] : [line];
  });
  const taken = decisions.filter((d) => d.action === 'take').length;
  return `${rows.join('\n')}\n${taken} of ${decisions.length} files would be taken\n`;
}

function sampleJson(s: FileSample) {
  return {
    records: s.records,
    rowErrors: s.rowErrors.map(rowErrorRecord),
    rowsRead: s.rowsRead,
    rejected: s.rejected,
    complete: s.complete,
    mapping: s.mapping,
    error: s.error,
  };
}

/** The columns' fate, the first records and the first row errors, indented under the file. */
function formatSample(s: FileSample): string[] {
  const out: string[] = [];
  if (s.mapping) out.push(...mappingLines(s.mapping));
  s.records.forEach((r, i) => out.push(`record ${i + 1}: ${typeof r === 'string' ? r : JSON.stringify(r)}`));
  for (const e of s.rowErrors) out.push(`row error: ${describeRowError(e)}`);
  if (s.error) out.push(`ERROR: ${s.error}`);
  else out.push(`${s.rowsRead} records read${s.complete ? ' (whole file)' : ' (first part of the file)'}, ${s.rejected} rejected`);
  return out.map((l) => `    ${l}`);
}
