#!/usr/bin/env -S node --initial-old-space-size=128
// The heap flag: buffers that outlive two young-generation collections (a block waiting in a
// stream while a chunk is sent) count against the old generation's limit, which V8 sets barely
// above the ~31 MB a run keeps alive. Once a run fell into that, every ~20 MB of such buffers
// forced a full collection: ~50 per GB, 2.5 s more CPU, and a 1 GB SFTP upload at 160-200 MB/s
// instead of 280-320. A floor of 128 MB stops it. Dockerfile and `npm start` pass the same flag.
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
