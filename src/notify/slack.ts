import type { NotificationFacts } from './payload';

/*
 * `format: slack`: a body a Slack incoming webhook posts as a message — `text` for notifications
 * and clients without blocks, `blocks` for the message itself.
 */

const HEADLINES: Record<NotificationFacts['event'], (name: string) => string> = {
  'run.succeeded': (n) => `:white_check_mark: ${n}: run succeeded`,
  'run.partially_succeeded': (n) => `:warning: ${n}: run partially succeeded`,
  'run.failed': (n) => `:x: ${n}: run failed`,
  'dataflow.stopped_ingesting': (n) => `:rotating_light: ${n} has stopped ingesting`,
};

/** Slack's mrkdwn treats these three as control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function slackBody(f: NotificationFacts) {
  const { run } = f;
  const headline = HEADLINES[f.event](run.dataflow);
  const seconds = run.finishedAt ? ((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1) : '?';
  const streak = f.failedInARow === undefined ? '' : ` (${f.failedInARow} failed runs in a row)`;
  const summary = `${run.filesIngested} of ${run.filesTaken} files ingested, ${run.recordsOut} records in, ${run.recordsFailed} failed`;
  const runRef = f.link ? `<${f.link}|run ${escape(run.id)}>` : `run ${escape(run.id)}`;
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${escape(headline)}*${escape(streak)}\n${runRef}` } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Files*\n${run.filesTaken} taken, ${run.filesIngested} ingested, ${run.filesFailed} failed` },
        { type: 'mrkdwn', text: `*Records*\n${run.recordsIn} in, ${run.recordsOut} out, ${run.recordsFailed} failed` },
        { type: 'mrkdwn', text: `*Bytes*\n${run.bytes}` },
        { type: 'mrkdwn', text: `*Duration*\n${seconds} s` },
      ],
    },
  ];
  if (run.error !== null) {
    const code = run.errorCode ? `\`${escape(run.errorCode)}\` ` : '';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`${code}${escape(run.error)}`, 2000) }] });
  }
  return { text: escape(`${headline}${streak}: ${summary} (run ${run.id})`), blocks };
}
