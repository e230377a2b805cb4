import { writeSync } from 'node:fs';

/*
 * Test-only crash points for the exactly-once harness (test/e2e/crash.test.ts). With
 * DATAFLOWD_CRASH_AT=<point>:<n> in the environment, the process kills itself with SIGKILL the
 * n-th time it passes <point> — no `finally`, no flush, exactly like a power cut or an OOM kill.
 * Without the variable every call is a no-op; the variable is read once, at load.
 */

/** The places in a run where dying is most interesting for exactly-once. */
export const CRASH_POINTS = [
  'after-list', // the folder was listed, nothing recorded yet
  'after-pending', // taken files recorded as pending, no batch yet
  'batch-created', // Platform created the batch, the ledger does not know it yet
  'mid-upload', // file bytes on their way, no answer yet
  'before-complete', // ledger says completing, COMPLETE not sent
  'after-complete', // COMPLETE sent, status not followed yet
  'before-ledger-update', // Platform's final status known, ledger not updated
  'before-after-ingest', // ledger updated, afterIngest (delete / move) not done
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

interface CrashSpec {
  point: CrashPoint;
  n: number;
}

export function parseCrashSpec(value: string | undefined): CrashSpec | undefined {
  if (!value) return undefined;
  const match = /^([a-z-]+):(\d+)$/.exec(value.trim());
  const point = match?.[1] as CrashPoint | undefined;
  if (!match || !point || !CRASH_POINTS.includes(point) || Number(match[2]) < 1) {
    throw new Error(`DATAFLOWD_CRASH_AT must be <point>:<n> with n ≥ 1 and point one of ${CRASH_POINTS.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return { point, n: Number(match[2]) };
}

const spec = parseCrashSpec(process.env.DATAFLOWD_CRASH_AT);
let hits = 0;

/** Dies here when DATAFLOWD_CRASH_AT names this point and this is its n-th pass. */
export function crashPoint(point: CrashPoint): void {
  if (spec === undefined || spec.point !== point || ++hits !== spec.n) return;
  // Synchronous, so the harness learns where the process died even though nothing else is flushed.
  writeSync(2, `${JSON.stringify({ crashPoint: point, n: spec.n, pid: process.pid })}\n`);
  process.kill(process.pid, 'SIGKILL');
}
