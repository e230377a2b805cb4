import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { FaultConfigInput } from '../emulator';
import { errorMessage } from '../lib/errors';
import { createLogger } from '../lib/logger';
import { emulatorDatasets } from '../services';
import { type CliDeps, EXIT, loadConfigOrExit } from './common';

/** `dataflowd emulator`: the local Platform alone, for tests and other tools. */
export function registerEmulator(program: Command, deps: CliDeps): void {
  program
    .command('emulator')
    .description("run the Platform emulator alone, serving the datasets of a config's platform.datasets")
    .option('-p, --port <port>', 'port on 127.0.0.1 (0: any free port)', '8090')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-d, --data <dir>', 'folder for its batches', 'data/emulator')
    .option('-c, --config <dir>', 'config whose platform.datasets it serves (default: $DATAFLOWD_CONFIG)', process.env.DATAFLOWD_CONFIG)
    .option('--tenant <id>', 'tenant id it reports', 'techmarketingdemos')
    .option('--faults <file>', 'YAML or JSON fault rules to inject from the start (see src/emulator/faults.ts); also PUT /_emulator/faults')
    .action(async (opts: { port: string; host: string; data: string; config?: string; tenant: string; faults?: string }) => {
      const faults = opts.faults === undefined ? undefined : await loadFaults(opts.faults);
      if (faults === null) {
        process.exitCode = EXIT.invalid;
        return;
      }
      const config = opts.config ? await loadConfigOrExit(opts.config, deps) : undefined;
      const logger = createLogger();
      if (!config) logger.warn('no --config: serving no datasets');
      // Loaded by this command only: every other command of the CLI starts without it.
      const { startEmulator } = await import('../emulator/index.js');
      const emulator = await startEmulator({
        dataDir: path.resolve(opts.data),
        datasets: config ? emulatorDatasets(config) : [],
        host: opts.host,
        port: Number(opts.port),
        tenantId: opts.tenant,
        logger,
        faults,
      });
      process.stdout.write(`${emulator.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve).once('SIGTERM', resolve);
      });
      await emulator.close();
    });
}

/** The fault rules of --faults, or null (after saying why) when the file is unreadable or wrong. */
async function loadFaults(file: string): Promise<FaultConfigInput | null> {
  try {
    const { faultConfigSchema } = await import('../emulator/index.js');
    const parsed = faultConfigSchema.safeParse(parseYaml(await readFile(file, 'utf8')));
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) process.stderr.write(`${file}: ${issue.path.join('.') || '(top)'}: ${issue.message}\n`);
  } catch (err) {
    process.stderr.write(`${file}: ${errorMessage(err)}\n`);
  }
  return null;
}
