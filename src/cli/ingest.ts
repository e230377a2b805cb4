import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import { describeBatchErrors } from '../run/deliver-batch';
import { openServices } from '../services';
import { type CliDeps, commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';

function formatOf(file: string): 'json' | 'csv' | 'parquet' {
  const ext = path.extname(file).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.parquet' ? 'parquet' : 'json';
}

/** `dataflowd ingest FILE --dataset ID`: the tutorial's "add data" on a dataset, one batch. */
export function registerIngest(program: Command, deps: CliDeps): void {
  withConfigOption(program.command('ingest <file>').description('upload one local file into a dataset as one batch'))
    .requiredOption('--dataset <id>', 'dataset id (or name)')
    .option('--format <format>', 'json | csv | parquet (default: by extension)')
    .option('--multiline', 'the file is one JSON array (isMultiLineJson)')
    .action(async (file: string, opts: { config: string; dataset: string; format?: 'json' | 'csv' | 'parquet'; multiline?: boolean }) => {
      const config = await loadConfigOrExit(opts.config, deps);
      let size: number;
      try {
        const st = await stat(file);
        if (!st.isFile()) throw new Error('not a regular file');
        size = st.size;
      } catch (err) {
        process.stderr.write(`cannot read ${file}: ${errorMessage(err)}\n`);
        process.exitCode = EXIT.failed;
        return;
      }
      const logger = commandLogger(config);
      const services = await openServices(config, logger, systemClock);
      const { platform } = services;
      try {
        const dataset = (await platform.getDataset(opts.dataset)) ?? (await platform.findDatasetByName(opts.dataset));
        if (!dataset) throw new Error(`dataset ${opts.dataset} not found`);
        const batch = await platform.createBatch({ datasetId: dataset.id, format: opts.format ?? formatOf(file), isMultiLineJson: opts.multiline });
        await platform.uploadFile(batch.id, dataset.id, path.basename(file), createReadStream(file), { size });
        await platform.completeBatch(batch.id);
        const final = await platform.waitForBatch(batch.id, { pollMs: 250, maxPollMs: 5_000 });
        const m = final.metrics;
        process.stdout.write(`batch ${final.id}: ${final.status}; records ${m.inputRecordCount ?? '?'} in, ${m.outputRecordCount ?? '?'} out, ${m.failedRecordCount ?? 0} failed\n`);
        if (!final.succeeded) process.stdout.write(`  ${describeBatchErrors(final)}\n`);
        process.exitCode = final.succeeded ? EXIT.ok : EXIT.failed;
      } catch (err) {
        process.stderr.write(`ingest failed: ${errorMessage(err)}\n`);
        process.exitCode = EXIT.failed;
      } finally {
        await services.close();
      }
    });
}
