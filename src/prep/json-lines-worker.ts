import { isUtf8 } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { PieceOutput, type PieceResult, transferable } from './ordered-workers';
import { recordTooLongReason } from './prep-errors';
import { buildPrepPlan } from './prep-plan';
import type { JsonLinesBlock, JsonLinesResult, JsonLinesWorkerData } from './parallel-json-lines';
import { RecordProcessor } from './record-processor';

/*
 * A worker thread of parallel-json-lines.ts: pieces of one JSON Lines file (cut at line ends) in,
 * the lines to send out, each record parsed, renamed and checked exactly as JsonStage does on the
 * main thread, with its own copy of the prep plan. Row and line numbers count from the piece's
 * start; the main thread adds those of the pieces before it.
 */

const data = workerData as JsonLinesWorkerData;
const plan = buildPrepPlan(data.source.df, data.source.inputs);
const processor = new RecordProcessor(plan, data.fileName);
const maxChars = plan.limits.recordChars;

function convert(block: JsonLinesBlock & { seq: number }): JsonLinesResult {
  if (block.oversized) {
    processor.unreadable({ rowNumber: 1, lineNumber: 1 }, recordTooLongReason(maxChars));
    const rejected = processor.lastRejection!;
    processor.lastRejection = undefined;
    return { seq: block.seq, pieces: [rejected], rows: 1, records: 1, lines: 1 };
  }
  const out = new PieceOutput(processor);
  const bytes = Buffer.from(block.bytes.buffer, block.bytes.byteOffset, block.bytes.byteLength);
  const valid = isUtf8(bytes);
  processor.invalidUtf8 = () => !valid;
  const recordsBefore = processor.records;
  let rows = 0;
  let lines = 0;
  const line = (raw: string) => {
    lines++;
    if (raw.length > maxChars) return out.take(processor.unreadable({ rowNumber: ++rows, lineNumber: lines }, recordTooLongReason(maxChars)));
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (block.first && lines === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return;
    out.take(processor.jsonRecord(text, { rowNumber: ++rows, lineNumber: lines }));
  };
  const text = bytes.toString('utf8');
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    line(text.slice(start, nl));
    start = nl + 1;
  }
  if (block.last) line(text.slice(start));
  return { seq: block.seq, pieces: out.finish(), rows, records: processor.records - recordsBefore, lines };
}

parentPort?.on('message', (block: JsonLinesBlock & { seq: number }) => {
  try {
    const result = convert(block);
    parentPort?.postMessage(result, transferable(result.pieces));
  } catch (err) {
    parentPort?.postMessage({ seq: block.seq, pieces: [], rows: 0, records: 0, error: { message: (err as Error).message } } satisfies PieceResult);
  }
});
