import type { Command } from 'commander';
import { configJsonSchema } from '../config';
import type { CliDeps } from './common';

/** `dataflowd schema`: JSON Schemas of dataflowd.yaml and dataflows/*.yaml for editors. */
export function registerSchema(program: Command, deps: CliDeps): void {
  program
    .command('schema')
    .description('print the JSON Schema of the YAML files (editor autocompletion)')
    .option('--dataflow', 'only the schema of dataflows/*.yaml')
    .option('--daemon', 'only the schema of dataflowd.yaml')
    .option('-c, --config <dir>', 'accepted for symmetry with the other commands; the schema does not depend on it')
    .action((opts: { dataflow?: boolean; daemon?: boolean }) => {
      const schemas = configJsonSchema(deps.connectors);
      const out = opts.dataflow ? schemas.dataflow : opts.daemon ? schemas.daemon : schemas;
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    });
}
