import type { Command } from 'commander';
import { Daemon } from '../daemon';
import { systemClock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import { parseDuration } from '../config';
import { commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';

/** `dataflowd start`: the daemon. First SIGTERM/SIGINT drains, a second aborts. */
export function registerStart(program: Command): void {
  withConfigOption(program.command('start').description('run every enabled dataflow on its schedule and serve HTTP'))
    .option('--shutdown-timeout <duration>', 'how long a stop lets uploads finish', '30s')
    .action(async (opts: { config: string; shutdownTimeout: string }) => {
      const config = await loadConfigOrExit(opts.config);
      const logger = commandLogger(config);
      let daemon: Daemon;
      try {
        daemon = await Daemon.start(config, { logger, clock: systemClock, shutdownTimeoutMs: parseDuration(opts.shutdownTimeout) });
      } catch (err) {
        logger.fatal({ err: errorMessage(err) }, 'dataflowd could not start');
        process.exitCode = EXIT.failed;
        return;
      }
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          logger.info({ signal }, 'stop requested');
          daemon.stop().then(resolve, (err) => {
            logger.error({ err: errorMessage(err) }, 'unclean stop');
            process.exitCode = EXIT.failed;
            resolve();
          });
        };
        process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
      });
    });
}
