#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { registerEmulator } from './cli/emulator';
import { registerHistory } from './cli/history';
import { registerIngest } from './cli/ingest';
import { registerRun } from './cli/run';
import { registerSchema } from './cli/schema';
import { registerStart } from './cli/start';
import { registerValidate } from './cli/validate';
import { errorMessage } from './lib/errors';

const program = new Command('dataflowd')
  .description('Moves files from SFTP, FTP, S3, Azure Blob or a folder into Adobe Experience Platform, exactly once.')
  .version((JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version);

registerStart(program);
registerRun(program);
registerValidate(program);
registerHistory(program);
registerEmulator(program);
registerIngest(program);
registerSchema(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`dataflowd: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
