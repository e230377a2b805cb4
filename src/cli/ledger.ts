import type { Command } from 'commander';
import { systemClock } from '../lib/clock';
import { cancellation, errorMessage, isDataflowError } from '../lib/errors';
import { BUSY_CODE } from '../run/lease';
import type { RebuildReport } from '../run/ledger-rebuild';
import { openServices } from '../services';
import type { RunRecord } from '../store/types';
import { type CliDeps, commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';

interface LedgerCommandOptions {
  config: string;
  json?: boolean;
  byTime?: boolean;
}

/** `dataflowd ledger rebuild [NAME]`: an emptied ledger written again from Platform's batches (src/run/ledger-rebuild.ts). */
export function registerLedger(program: Command, deps: CliDeps): void {
  const ledger = program.command('ledger').description('the ledger of file versions and what became of them');
  withConfigOption(
    ledger
      .command('rebuild [name]')
      .description(
        "rebuild an empty ledger from Platform: the dataflow's batches in Catalog (by their externalIds) and their files in Data Access, " +
          'matched to the files now in the source by their upload names; every enabled dataflow when no name is given (exit 0 rebuilt, 1 failed, 75 busy)',
      ),
  )
    .option('--by-time', "also record a listed file whose name matches nothing as ingested when it was modified before the dataflow's newest batch (Platform names files its own way)")
    .option('--json', 'print what was rebuilt as JSON')
    .action((name: string | undefined, opts: LedgerCommandOptions) => rebuildCommand(name, opts, deps));
}

async function rebuildCommand(name: string | undefined, opts: LedgerCommandOptions, deps: CliDeps): Promise<void> {
  const config = await loadConfigOrExit(opts.config, deps);
  const chosen = name === undefined ? config.dataflows.filter((d) => d.enabled) : config.dataflows.filter((d) => d.name === name);
  if (chosen.length === 0) {
    process.stderr.write(`no dataflow named ${name ?? '(any enabled)'} in ${opts.config}\n`);
    process.exitCode = EXIT.invalid;
    return;
  }
  const logger = commandLogger(config);
  const services = await openServices(config, logger, systemClock);
  const abort = new AbortController();
  const onSignal = () => abort.abort(cancellation('cancelled by a signal'));
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const results: Array<{ run?: RunRecord; report?: RebuildReport; dataflow: string; error?: string }> = [];
  try {
    for (const df of chosen) {
      // Without a name, dataflows whose ledger holds something are left as they are, not failed.
      if (name === undefined && !(await services.store.ledgerIsEmpty(df.name))) {
        results.push({ dataflow: df.name, error: 'kept: its ledger is not empty' });
        continue;
      }
      try {
        results.push({ dataflow: df.name, ...(await services.runner.rebuildLedger(df, abort.signal, { byTime: opts.byTime })) });
      } catch (err) {
        results.push({ dataflow: df.name, error: errorMessage(err) });
        process.exitCode = isDataflowError(err) && err.code === BUSY_CODE ? EXIT.busy : EXIT.failed;
      }
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await services.close();
  }
  for (const r of results) {
    if (r.run?.status === 'failed') process.exitCode = EXIT.failed;
    if (!opts.json) process.stdout.write(`${describe(r)}\n`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(results.map((r) => ({ dataflow: r.dataflow, runId: r.run?.id, status: r.run?.status, error: r.error ?? r.run?.error ?? undefined, ...r.report })), null, 2)}\n`);
}

function describe(r: { run?: RunRecord; report?: RebuildReport; dataflow: string; error?: string }): string {
  if (r.error !== undefined) return `${r.dataflow}: ${r.error}`;
  if (!r.report) return `${r.dataflow}: not rebuilt: ${r.run?.error ?? 'failed'}`;
  const x = r.report;
  return (
    `${r.dataflow}: ledger rebuilt from ${x.batches} batches in Platform: ${x.byName} files by name` +
    `${x.changedSince ? ` (${x.changedSince} changed since: taken again as changed)` : ''}${x.byTime ? `, ${x.byTime} by time` : ''}; ` +
    `${x.left} files left for the next run${x.unmatchedNames ? `; ${x.unmatchedNames} names in Platform match no file in the source` : ''} (run ${r.run?.id})`
  );
}
