import path from 'node:path';
import { ROW_ERROR_CODES } from './ingest-codes';
import { LineSink } from './line-sink';
import type { RowProblem } from './record-validator';

/*
 * Row-level diagnostics of a batch created with enableErrorDiagnostics, served by
 * GET /export/batches/{id}/meta?path=row_errors. Platform writes JSON Lines files
 * parsing_errors_0.json and conversion_errors_0.json whose records look like
 * {"_corrupt_record", "_errors": [{code, message}], "_filename"} (aep-api.md §5.2); the emulator
 * adds flat fields naming the input file, row, line and field, so a client needs no guessing.
 */

/** Long corrupt rows are cut: the diagnostics must not grow as big as the data. */
const MAX_CORRUPT_RECORD_CHARS = 10_000;

export interface RowErrorLocation {
  fileName: string;
  /** 1-based record number within the file. */
  rowNumber: number;
  /** 1-based line where the record starts. */
  lineNumber: number;
}

export class RowErrorLog {
  private readonly sinks = new Map<string, LineSink>();

  constructor(private readonly rowErrorsDir: string) {}

  async add(problem: RowProblem, where: RowErrorLocation, rawText: string): Promise<void> {
    const code = ROW_ERROR_CODES[problem.kind];
    const entry: Record<string, unknown> = {};
    if (problem.kind === 'corrupt') entry._corrupt_record = rawText.slice(0, MAX_CORRUPT_RECORD_CHARS);
    entry._errors = [{ code: code.rowCode, message: problem.message, path: problem.path }];
    entry._filename = code.diagnosticsFile;
    Object.assign(entry, where, { code: code.rowCode, message: problem.message, path: problem.path });
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
