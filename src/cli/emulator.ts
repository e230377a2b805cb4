import path from 'node:path';
import type { Command } from 'commander';
import { startEmulator } from '../emulator';
import { createLogger } from '../lib/logger';
import { emulatorDatasets } from '../services';
import { loadConfigOrExit } from './common';

/** `dataflowd emulator`: the local Platform alone, for tests and other tools. */
export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description("run the Platform emulator alone, serving the datasets of a config's platform.datasets")
    .option('-p, --port <port>', 'port on 127.0.0.1 (0: any free port)', '8090')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-d, --data <dir>', 'folder for its batches', 'data/emulator')
    .option('-c, --config <dir>', 'config whose platform.datasets it serves (default: $DATAFLOWD_CONFIG)', process.env.DATAFLOWD_CONFIG)
    .option('--tenant <id>', 'tenant id it reports', 'techmarketingdemos')
    .action(async (opts: { port: string; host: string; data: string; config?: string; tenant: string }) => {
      const config = opts.config ? await loadConfigOrExit(opts.config) : undefined;
      const logger = createLogger();
      if (!config) logger.warn('no --config: serving no datasets');
      const emulator = await startEmulator({
        dataDir: path.resolve(opts.data),
        datasets: config ? emulatorDatasets(config) : [],
        host: opts.host,
        port: Number(opts.port),
        tenantId: opts.tenant,
        logger,
      });
      process.stdout.write(`${emulator.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve).once('SIGTERM', resolve);
      });
      await emulator.close();
    });
}
