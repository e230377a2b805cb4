import type { Command } from 'commander';
import { formatProblem, loadConfig, LoadedConfig, secretValues } from '../config';
import { connectorDefinitions } from '../../connectors';
import { createLogger, Logger } from '../lib/logger';

/** Exit statuses; `busy` is EX_TEMPFAIL of sysexits.h: another process runs the dataflow, try later. */
export const EXIT = { ok: 0, failed: 1, invalid: 2, partial: 3, busy: 75 } as const;

export function defaultConfigDir(): string {
  return process.env.DATAFLOWD_CONFIG ?? 'config';
}

export function withConfigOption(cmd: Command): Command {
  return cmd.option('-c, --config <dir>', 'config folder (default: $DATAFLOWD_CONFIG or ./config)', defaultConfigDir());
}

/** Loads the config or prints every problem and exits 2, before anything starts. */
export async function loadConfigOrExit(dir: string): Promise<LoadedConfig> {
  const { config, problems } = await loadConfig(dir, { connectors: connectorDefinitions });
  if (!config) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${dir}\n`);
    process.exit(EXIT.invalid);
  }
  return config;
}

/** A logger that also scrubs the config's resolved secret values out of every line. */
export function commandLogger(config?: LoadedConfig): Logger {
  return createLogger({ scrub: config ? secretValues(config).filter((s) => s.length >= 4) : [] });
}
