import type { Command } from 'commander';
import { connectorDefinitions } from '../../connectors';
import { formatProblem, loadConfig } from '../config';
import { EXIT, withConfigOption } from './common';

/** `dataflowd validate`: every problem in every file, then exit 2; or exit 0 when all is valid. */
export function registerValidate(program: Command): void {
  withConfigOption(program.command('validate').description('check every config file and report every problem'))
    .action(async (opts: { config: string }) => {
      const { config, problems } = await loadConfig(opts.config, { connectors: connectorDefinitions });
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      if (!config) {
        process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const enabled = config.dataflows.filter((d) => d.enabled).length;
      process.stdout.write(`valid: ${config.files.length} files, ${config.dataflows.length} dataflows (${enabled} enabled), ${Object.keys(config.daemon.connections).length} connections\n`);
    });
}
