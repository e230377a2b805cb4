import type { Command } from 'commander';
import { formatProblem, loadConfig, parseDuration } from '../config';
import { watchConfig } from '../config/watch-config';
import type { Daemon } from '../daemon';
import { systemClock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { type CliDeps, commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';

/**
 * Reloads on SIGHUP and on any change to the config files: a valid config is applied, an invalid
 * one is refused with every problem logged, and the running config stays.
 */
function reloader(daemon: Daemon, dir: string, logger: Logger, deps: CliDeps): () => void {
  let busy = Promise.resolve();
  return () => {
    busy = busy.then(async () => {
      const { config, problems } = await loadConfig(dir, { connectors: deps.connectors });
      if (!config) {
        for (const p of problems) logger.error({ problem: formatProblem(p) }, 'invalid config');
        logger.error({ problems: problems.length }, 'config reload refused: keeping the running config');
        return;
      }
      await daemon.apply(config);
    }).catch((err) => logger.error({ err: errorMessage(err) }, 'config reload failed'));
  };
}

/** `dataflowd start`: the daemon. First SIGTERM/SIGINT drains, a second aborts. */
export function registerStart(program: Command, deps: CliDeps): void {
  withConfigOption(program.command('start').description('run every enabled dataflow on its schedule and serve HTTP'))
    .option('--shutdown-timeout <duration>', 'how long a stop lets uploads finish', '30s')
    .option('--no-watch', 'do not reload when the config files change (SIGHUP still reloads)')
    .action(async (opts: { config: string; shutdownTimeout: string; watch: boolean }) => {
      const config = await loadConfigOrExit(opts.config, deps);
      const logger = commandLogger(config);
      // SIGHUP would end the process by default: take it from the start, and reload once the
      // daemon is up if one came in while it was starting.
      const hup: { reload?: () => void; pending: boolean } = { pending: false };
      const onHup = () => (hup.reload ? hup.reload() : (hup.pending = true));
      process.on('SIGHUP', onHup);
      let daemon: Daemon;
      try {
        // The daemon's HTTP server, metrics and scheduler are loaded by this command only.
        const { Daemon } = await import('../daemon.js');
        daemon = await Daemon.start(config, { logger, clock: systemClock, shutdownTimeoutMs: parseDuration(opts.shutdownTimeout) });
      } catch (err) {
        logger.fatal({ err: errorMessage(err) }, 'dataflowd could not start');
        process.off('SIGHUP', onHup);
        process.exitCode = EXIT.failed;
        return;
      }
      const reload = reloader(daemon, opts.config, logger, deps);
      hup.reload = reload;
      if (hup.pending) reload();
      const unwatch = opts.watch ? watchConfig(config.dir, reload) : () => undefined;
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          logger.info({ signal }, 'stop requested');
          unwatch();
          daemon.stop().then(resolve, (err) => {
            logger.error({ err: errorMessage(err) }, 'unclean stop');
            process.exitCode = EXIT.failed;
            resolve();
          });
        };
        process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
      });
      process.off('SIGHUP', onHup);
    });
}
