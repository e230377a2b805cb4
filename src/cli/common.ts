import type { Command } from 'commander';
import { formatProblem, loadConfig, LoadedConfig, secretValues } from '../config';
import type { ConnectorDefinition } from '../connector/types';
import { colourWanted, createLogger, Logger } from '../lib/logger';
import { stderrLine } from './live-line';

/** Exit statuses; `busy` is EX_TEMPFAIL of sysexits.h: another process runs the dataflow, try later. */
export const EXIT = { ok: 0, failed: 1, invalid: 2, partial: 3, ledgerEmpty: 4, busy: 75 } as const;

export function defaultConfigDir(): string {
  return process.env.DATAFLOWD_CONFIG ?? 'config';
}

export function withConfigOption(cmd: Command): Command {
  return cmd.option('-c, --config <dir>', 'config folder (default: $DATAFLOWD_CONFIG or ./config)', defaultConfigDir());
}

/**
 * What commands are given by main.ts, the command line's composition root: the connectors, so
 * that no command imports a concrete one (DESIGN.md §2).
 */
export interface CliDeps {
  connectors: readonly ConnectorDefinition[];
}

/** Loads the config or prints every problem and exits 2, before anything starts. */
export async function loadConfigOrExit(dir: string, deps: CliDeps): Promise<LoadedConfig> {
  const { config, problems } = await loadConfig(dir, { connectors: deps.connectors });
  if (!config) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${dir}\n`);
    process.exit(EXIT.invalid);
  }
  return config;
}

export interface CommandLoggerOptions {
  /** Only warnings and errors, unless DATAFLOWD_LOG_LEVEL says otherwise (a command's own chatter, such as opening the store). */
  quiet?: boolean;
  /** A level asked for on the command line (`run --quiet`): it wins over DATAFLOWD_LOG_LEVEL. */
  level?: 'warn';
}

/**
 * A command's logger: it scrubs the config's resolved secret values out of every line, and writes
 * through stderr's status line, so that log lines appear above the progress of a run instead of
 * through it. Human lines on a terminal (colour unless NO_COLOR), JSON lines otherwise.
 */
export function commandLogger(config?: LoadedConfig, opts: CommandLoggerOptions = {}): Logger {
  const line = stderrLine();
  return createLogger({
    level: opts.level ?? process.env.DATAFLOWD_LOG_LEVEL ?? (opts.quiet ? 'warn' : 'info'),
    scrub: config ? secretValues(config).filter((s) => s.length >= 4) : [],
    pretty: Boolean(process.stderr.isTTY),
    colour: colourWanted(process.stderr),
    destination: { write: (text: string) => line.write(text) },
  });
}
