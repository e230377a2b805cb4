#!/usr/bin/env node
// No V8 heap flags (issue 20, measured 2026-12-07). The old-generation floor this line used to
// set (--initial-old-space-size=128) let 100+ MB of garbage pile up before the first full
// collection, and no longer bought speed: a 1 GB SFTP upload ran at 184-226 MB/s without it, 176
// with it. A heap cap (--max-old-space-size=1536) keeps 10,000 small files at ~140 MB instead of
// ~205, but costs a large upload 40-60% more CPU in collections. README "Scale and memory".
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { connectorDefinitions } from '../connectors';
import { surviveClosedPipes } from './cli/closed-pipe';
import { registerEmulator } from './cli/emulator';
import { registerHistory } from './cli/history';
import { registerIngest } from './cli/ingest';
import { registerLedger } from './cli/ledger';
import { registerNotifications } from './cli/notifications';
import { registerRun } from './cli/run';
import { registerSchema } from './cli/schema';
import { registerStart } from './cli/start';
import { registerValidate } from './cli/validate';
import type { CliDeps } from './cli/common';
import { errorMessage } from './lib/errors';

surviveClosedPipes();

const program = new Command('dataflowd')
  .description('Moves files from SFTP, FTP, S3, Azure Blob or a folder into Adobe Experience Platform, exactly once.')
  .version((JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version);

// main.ts is the command line's composition root: the only place it names concrete connectors.
const deps: CliDeps = { connectors: connectorDefinitions };

registerStart(program, deps);
registerRun(program, deps);
registerValidate(program, deps);
registerHistory(program, deps);
registerNotifications(program, deps);
registerEmulator(program, deps);
registerIngest(program, deps);
registerLedger(program, deps);
registerSchema(program, deps);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`dataflowd: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
