import { isUtf8 } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { decoderFor, isBlankRecord, nodeEncoding } from './csv-stage';
import { CsvFatalError, CsvTokenizer } from './csv-tokenizer';
import { recordTooLongReason } from './prep-errors';
import { buildPrepPlan } from './prep-plan';
import { RecordProcessor } from './record-processor';
import { PieceOutput, type PieceResult, transferable } from './ordered-workers';
import type { CsvWorkerData, WorkerBlock } from './parallel-csv-stage';

/*
 * A worker thread of parallel-csv-stage.ts: pieces of one CSV file in, their XDM JSON Lines out.
 * It builds its own prep plan from the same config and maps the header the main thread read,
 * so each record converts exactly as on the main thread. Row numbers are counted from the
 * piece's start; the main thread adds the rows of the pieces before it.
 */

const data = workerData as CsvWorkerData;
const plan = buildPrepPlan(data.source.df, data.source.inputs);
const processor = new RecordProcessor(plan, data.fileName);
processor.setHeader(data.columns);
const encoding = nodeEncoding(data.csv.encoding) ?? 'utf8';

function convert(block: WorkerBlock & { seq: number }): PieceResult {
  if (block.oversized) {
    processor.unreadable({ rowNumber: 1, lineNumber: block.firstLine }, recordTooLongReason(plan.limits.recordChars));
    const rejected = processor.lastRejection!;
    processor.lastRejection = undefined;
    return { seq: block.seq, pieces: [rejected], rows: 1, records: 1 };
  }
  const out = new PieceOutput(processor);
  const valid = encoding !== 'utf8' || isUtf8(block.bytes);
  processor.invalidUtf8 = () => !valid;
  const recordsBefore = processor.records;
  let rows = 0;
  const tokenizer = new CsvTokenizer(
    data.csv,
    {
      record: (fields, line) => {
        if (isBlankRecord(fields)) return;
        out.take(processor.csvRow(fields, { rowNumber: ++rows, lineNumber: line }));
      },
      badRecord: (message, line) => out.take(processor.unreadable({ rowNumber: ++rows, lineNumber: line }, message)),
    },
    { firstLine: block.firstLine, atFileStart: false, maxRecordChars: plan.limits.recordChars },
  );
  const decoder = decoderFor(data.csv.encoding);
  tokenizer.write(decoder.write(Buffer.from(block.bytes.buffer, block.bytes.byteOffset, block.bytes.byteLength)));
  tokenizer.write(decoder.end());
  if (block.last) tokenizer.end();
  return { seq: block.seq, pieces: out.finish(), rows, records: processor.records - recordsBefore };
}

parentPort?.on('message', (block: WorkerBlock & { seq: number }) => {
  try {
    const result = convert(block);
    parentPort?.postMessage(result, transferable(result.pieces));
  } catch (err) {
    const fatal = err instanceof CsvFatalError;
    parentPort?.postMessage({ seq: block.seq, error: { message: (err as Error).message, line: fatal ? err.line : undefined, csv: fatal } });
  }
});
