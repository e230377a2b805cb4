import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OrderedWorkers, type PieceResult } from '../../src/prep/ordered-workers';

/*
 * The pool both parallel stages use, with a worker script of the test's own: results come back
 * in the order the pieces were sent whatever order the workers answer in, at most two pieces
 * per worker are in flight, and a worker that fails or stops fails the file instead of leaving
 * it waiting for ever.
 */

// Answers piece n after (5 - n % 5) × 10 ms, so later pieces often overtake earlier ones;
// a piece asking for it throws inside the worker or ends the worker's thread.
const SCRIPT = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (p) => {
  if (p.crash === 'throw') setImmediate(() => { throw new Error('boom in the worker'); });
  else if (p.crash === 'exit') process.exit(3);
  else setTimeout(() => parentPort.postMessage({ seq: p.seq, pieces: [], rows: p.n, records: p.n }), (5 - (p.n % 5)) * 10);
});
`;

let dir: string;
let script: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ordered-workers-'));
  script = path.join(dir, 'worker.js');
  await writeFile(script, SCRIPT);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** Sends the pieces as a stage would (waiting for room before each), then waits for all. */
function run(pieces: Array<{ n: number; crash?: string }>): Promise<{ order: number[]; maxInFlight: number }> {
  return new Promise((resolve, reject) => {
    const order: number[] = [];
    let sent = 0;
    let maxInFlight = 0;
    const pool = new OrderedWorkers<PieceResult>(script, undefined, 2, 'f.json', {
      result: (r) => order.push(r.rows),
      fail: reject,
    });
    const next = () => {
      if (sent === pieces.length) return pool.whenDone(() => resolve({ order, maxInFlight }));
      pool.send(pieces[sent++], []);
      maxInFlight = Math.max(maxInFlight, sent - order.length);
      pool.whenRoom(next);
    };
    next();
  });
}

describe('ordered worker threads', () => {
  it('hands results on in the order the pieces were sent, with at most two per worker in flight', async () => {
    const { order, maxInFlight } = await run(Array.from({ length: 40 }, (_, n) => ({ n })));
    expect(order).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(maxInFlight).toBe(4);
  });

  it('fails the file when a worker throws', async () => {
    await expect(run([{ n: 0 }, { n: 1, crash: 'throw' }, { n: 2 }])).rejects.toMatchObject({
      code: 'ERR_PREP_WORKER',
      message: 'f.json: converting on a worker thread failed: boom in the worker',
    });
  });

  it('fails the file when a worker stops on its own', async () => {
    await expect(run([{ n: 0 }, { n: 1, crash: 'exit' }, { n: 2 }])).rejects.toMatchObject({
      code: 'ERR_PREP_WORKER',
      message: 'f.json: converting on a worker thread failed: the worker thread stopped (exit code 3)',
    });
  });
});
