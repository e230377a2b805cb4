import { createLogger } from '../../src/lib/logger';
import { LiveLine } from '../../src/cli/live-line';
import { startProgress } from '../../src/cli/progress';
import { FakeClock } from '../support/fake-clock';
import { RecordingTerminal } from './terminal-screen';

function setup(columns = 100) {
  const term = new RecordingTerminal(columns);
  const line = new LiveLine(term);
  const clock = new FakeClock('2026-03-01T10:00:00Z');
  const progress = startProgress({ name: 'big-events', line, clock, refreshMs: 0 })!;
  return { term, line, clock, progress, cb: progress.callbacks };
}

describe('the progress line of dataflowd run', () => {
  it('shows files, bytes, rate and ETA as the bytes come, then records per file', async () => {
    const { term, clock, cb } = setup();
    cb.onTaken!(3, 3_000_000);
    expect(term.screen.at(-1)).toBe('big-events  3 files  0 B / 3.0 MB 0%');
    cb.onFile!({ phase: 'start', path: 'a.json', bytes: 1_000_000 });
    await clock.advance(2000);
    cb.onBytes!(1_000_000);
    cb.onFile!({ phase: 'done', path: 'a.json', bytes: 1_000_000, records: 12_345 });
    expect(term.screen.at(-1)).toBe('big-events  1/3 files  1.0 MB / 3.0 MB 33%  12,345 records  500 KB/s  ETA 4.0s');
    cb.onFile!({ phase: 'start', path: 'b.json', bytes: 1_000_000 });
    await clock.advance(1000);
    cb.onBytes!(500_000);
    await clock.advance(200);
    cb.onBytes!(1);
    expect(term.screen.at(-1)).toMatch(/^big-events {2}1\/3 files {2}1.5 MB \/ 3.0 MB 50% {2}12,345 records {2}\d+ KB\/s {2}ETA \d\.\ds {2}b\.json$/);
    expect(term.screen).toHaveLength(1);
  });

  it('says when it waits for Platform, with the batch, its status and for how long', async () => {
    const { term, clock, cb } = setup(120);
    cb.onTaken!(2, 2000);
    cb.onBytes!(2000);
    cb.onFile!({ phase: 'done', path: 'a.json', bytes: 1000, records: 10 });
    cb.onFile!({ phase: 'done', path: 'b.json', bytes: 1000, records: 5, failed: true });
    cb.onPhase!({ phase: 'waiting', batchId: '01JBATCH', status: 'loading' });
    await clock.advance(4000);
    cb.onPhase!({ phase: 'waiting', batchId: '01JBATCH', status: 'processing' });
    expect(term.screen.at(-1)).toBe('big-events  2/2 files (1 failed)  waiting for Platform (batch 01JBATCH, processing) 4.0s  15 records  2.0 KB');
  });

  it('writes log lines above the line, never through it', async () => {
    const { term, line, clock, cb } = setup();
    const logger = createLogger({ destination: { write: (s: string) => line.write(s) }, pretty: true, colour: false });
    cb.onTaken!(1, 5_000_000);
    await clock.advance(500);
    cb.onBytes!(2_500_000);
    logger.info({ batchId: '01JBATCH' }, 'batch created');
    logger.warn('slow source');
    const shown = term.screen;
    expect(shown).toHaveLength(3);
    expect(shown[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: batch created \{"batchId":"01JBATCH"\}$/);
    expect(shown[1]).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: slow source$/);
    expect(shown[2]).toBe('big-events  1 files  2.5 MB / 5.0 MB 50%');
    expect(term.output).toContain('\r\x1b[K[');
  });

  it('fits the terminal: the line never reaches its last column', async () => {
    const { term, clock, cb } = setup(40);
    cb.onTaken!(1200, 9_000_000_000);
    cb.onFile!({ phase: 'start', path: 'a-very-long-folder-name/with-a-long-file-name.json', bytes: 1 });
    await clock.advance(3000);
    cb.onBytes!(3_000_000_000);
    cb.onPhase!({ phase: 'waiting', batchId: '01JBATCHWITHALONGID0000000', status: 'processing' });
    for (const drawn of term.output.split('\r\x1b[K')) expect([...drawn].length).toBeLessThanOrEqual(39);
    expect(term.screen.at(-1)).toMatch(/^big-events {2}0\/1200 files {2}waiting for ?…$/);
  });

  it('clears the line when stopped, so that the summary starts on a clean line', () => {
    const { term, progress, cb } = setup();
    cb.onTaken!(1, 10);
    progress.stop();
    expect(term.screen).toEqual(['']);
  });

  it('is off with --quiet, and off a terminal without a logger', () => {
    const tty = new LiveLine(new RecordingTerminal());
    expect(startProgress({ quiet: true, line: tty })).toBeUndefined();
    const pipe = new LiveLine({ write: () => true, isTTY: false });
    expect(startProgress({ line: pipe })).toBeUndefined();
  });

  it('off a terminal, logs a plain line at each phase and at most every 10 s', async () => {
    const lines: Array<{ msg: string; files?: number; bytes?: number; batchId?: string }> = [];
    const logger = createLogger({ destination: { write: (s: string) => lines.push(JSON.parse(s)) } });
    const clock = new FakeClock('2026-03-01T10:00:00Z');
    const pipe = new LiveLine({ write: () => true, isTTY: false });
    const progress = startProgress({ name: 'big-events', line: pipe, logger, clock })!;
    const cb = progress.callbacks;
    cb.onTaken!(2, 2_000_000);
    for (let i = 0; i < 30; i++) {
      await clock.advance(1000);
      cb.onBytes!(10_000);
    }
    cb.onPhase!({ phase: 'waiting', batchId: 'B1', status: 'processing' });
    cb.onPhase!({ phase: 'waiting', batchId: 'B1', status: 'processing' });
    progress.stop();
    expect(lines.map((l) => l.msg.replace(/ {2}\d+ KB\/s.*$/, ''))).toEqual([
      'progress: big-events  2 files  0 B / 2.0 MB 0%',
      'progress: big-events  2 files  100 KB / 2.0 MB 5%',
      'progress: big-events  2 files  200 KB / 2.0 MB 10%',
      'progress: big-events  2 files  300 KB / 2.0 MB 15%',
      'progress: big-events  2 files  waiting for Platform (batch B1, processing) 0.0s  300 KB',
    ]);
    expect(lines[4]).toMatchObject({ batchId: 'B1', bytes: 300_000, files: 2 });
  });
});
