import type { Command } from 'commander';
import { openStore } from '../store/open-store';
import type { NotificationRecord } from '../store/types';
import { type CliDeps, commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';
import { formatLocalTime } from './human-units';
import { stdoutLayout } from './layout';
import { oneLine } from './run-text';
import { type Column, renderTable } from './table';

interface NotificationsOptions {
  config: string;
  json?: boolean;
  limit: string;
  run?: string;
}

/** `dataflowd notifications [NAME]`: the outbox, newest first — what was delivered, what is retried, what was given up and why. */
export function registerNotifications(program: Command, deps: CliDeps): void {
  withConfigOption(program.command('notifications [name]').description('webhook notifications, newest first: delivered, retrying or failed, with the last error'))
    .option('--json', 'print an array of notification objects (with their bodies)')
    .option('-n, --limit <n>', 'how many', '20')
    .option('--run <id>', "only one run's notifications")
    .action(async (name: string | undefined, opts: NotificationsOptions) => {
      const config = await loadConfigOrExit(opts.config, deps);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        process.stderr.write(`--limit must be a positive integer, not ${opts.limit}\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const store = await openStore(config.daemon.state.url, { baseDir: config.dir, logger: commandLogger(config, { quiet: true }) });
      try {
        const found = await store.listNotifications({ dataflow: name, runId: opts.run, limit });
        const shown = name === undefined ? found : found.filter((n) => n.dataflow === name);
        process.stdout.write(opts.json ? `${JSON.stringify(shown.map(notificationJson), null, 2)}\n` : formatNotifications(shown));
      } finally {
        await store.close();
      }
    });
}

export function notificationJson(n: NotificationRecord) {
  return {
    id: n.id,
    dataflow: n.dataflow,
    runId: n.runId,
    event: n.event,
    endpoint: n.endpoint,
    state: n.state,
    attempts: n.attempts,
    nextAttemptAt: n.state === 'pending' ? n.nextAt.toISOString() : null,
    lastStatus: n.lastStatus,
    lastError: n.lastError,
    createdAt: n.createdAt.toISOString(),
    deliveredAt: n.deliveredAt?.toISOString() ?? null,
    body: JSON.parse(n.body) as unknown,
  };
}

function formatNotifications(found: readonly NotificationRecord[]): string {
  if (found.length === 0) return 'no notifications\n';
  const { paint, width } = stdoutLayout();
  const columns: Array<Column & { value: (n: NotificationRecord) => string }> = [
    { header: 'CREATED', keep: 2, value: (n) => formatLocalTime(n.createdAt) },
    { header: 'DATAFLOW', keep: 5, value: (n) => n.dataflow },
    { header: 'RUN', keep: 3, value: (n) => n.runId ?? '-' },
    { header: 'EVENT', value: (n) => n.event },
    { header: 'TO', keep: 4, value: (n) => n.endpoint },
    { header: 'STATE', value: (n) => (n.state === 'pending' && n.attempts > 0 ? 'retrying' : n.state) },
    { header: 'TRIES', align: 'right', keep: 1, value: (n) => String(n.attempts) },
    { header: 'LAST ERROR', elastic: true, value: (n) => (n.state === 'delivered' ? '' : oneLine(n.lastError ?? '')) },
  ];
  const state = columns.findIndex((c) => c.header === 'STATE');
  const table = renderTable(
    columns,
    found.map((n) => columns.map((c) => c.value(n))),
    {
      width,
      paintHeader: (h) => paint(h, 'bold'),
      paint: (text, column, row) => (column !== state ? text : paint(text, found[row].state === 'delivered' ? 'green' : found[row].state === 'failed' ? 'red' : 'yellow')),
    },
  );
  return `${table}\n`;
}
