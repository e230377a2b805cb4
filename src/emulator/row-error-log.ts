import path from 'node:path';
import { ROW_ERROR_CODES } from './ingest-codes';
import { LineSink } from './line-sink';
import type { RowProblem } from './record-validator';

/*
 * Row-level diagnostics of a batch created with enableErrorDiagnostics, served by
 * GET /export/batches/{id}/meta?path=row_errors. Platform writes JSON Lines files
 * parsing_errors_0.json and conversion_errors_0.json whose records are
 * {"_corrupt_record", "_errors": [{code, message}], "_filename"} (aep-api.md §5.2), `_filename`
 * naming the diagnostics file itself: nothing says which input file or row the record came from,
 * and the emulator says no more than Platform does (the message names the field).
 */

/** Long corrupt rows are cut: the diagnostics must not grow as big as the data. */
const MAX_CORRUPT_RECORD_CHARS = 10_000;

export class RowErrorLog {
  private readonly sinks = new Map<string, LineSink>();

  constructor(private readonly rowErrorsDir: string) {}

  async add(problem: RowProblem, rawText: string): Promise<void> {
    const code = ROW_ERROR_CODES[problem.kind];
    const entry = {
      _corrupt_record: rawText.slice(0, MAX_CORRUPT_RECORD_CHARS),
      _errors: [{ code: code.rowCode, message: problem.message }],
      _filename: code.diagnosticsFile,
    };
    await this.sink(code.diagnosticsFile).write(`${JSON.stringify(entry)}\n`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sinks.values()].map((sink) => sink.close()));
  }

  private sink(name: string): LineSink {
    let sink = this.sinks.get(name);
    if (!sink) {
      sink = new LineSink(path.join(this.rowErrorsDir, name));
      this.sinks.set(name, sink);
    }
    return sink;
  }
}
