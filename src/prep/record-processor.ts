import { jsonSyntaxDetail } from '../lib/json-syntax';
import { ConversionFailure } from './convert';
import { deletePath, formatPath, getPath, type PathSegment, setPath } from './field-path';
import { type CompiledField, mapColumns, mapJsonFields, type MappingReport } from './mapping';
import { compileRecordBuilder, compileRecordWriter, type RecordBuilder, type RecordWriter } from './record-writer';
import type { PrepPlan } from './prep-plan';
import { rejectedRowLine, type RowError, RowErrorLog, ROW_ERROR_CODES } from './row-errors';
import { renameTenant, renameTenantInText } from './tenant';
import { truncate } from './date-format';

/*
 * One record from source to the line sent to Platform: mapping and type conversion, tenant
 * rename, then the dataset schema check. A record that fails any step is a row error and goes
 * out as a rejected-row line (row-errors.ts), so Platform counts it.
 */

type Json = Record<string, unknown>;

export interface Where {
  rowNumber: number;
  lineNumber: number;
}

interface Rejection {
  column?: string;
  path?: string;
  code: RowError['code'];
  message: string;
  value?: string;
}

const INVALID_UTF8 = '\uFFFD';

/** A cell's value; an empty cell (or one the row lacks) is no value. */
function rowValue(row: readonly string[], index: number): string | undefined {
  const v = row[index];
  return v === '' ? undefined : v;
}

export class RecordProcessor {
  readonly errors = new RowErrorLog();
  records = 0;
  /** The row error of the last record, when it was rejected; for callers that render rejections themselves. */
  lastRejection?: RowError;
  mappingReport?: MappingReport;
  /** Set by the pipeline once the bytes were found not to be valid UTF-8. */
  invalidUtf8 = () => false;

  private fields: CompiledField[] = [];
  private writer: RecordWriter = () => '{}';
  private builder: RecordBuilder = () => ({});
  private columnCount = 0;
  /** Output path (after the tenant rename) → the column or source path that fills it. */
  private sourceOf = new Map<string, string>();
  /** Each field's target as Platform sees it (after the tenant rename), for row errors. */
  private outPaths: string[] = [];
  private readonly jsonTransforms: boolean;

  constructor(
    private readonly plan: PrepPlan,
    private readonly fileName: string,
  ) {
    this.jsonTransforms = plan.mapping !== undefined || plan.tenant !== undefined || plan.check !== undefined;
    if (plan.mapping && !plan.csv) this.useFields(mapJsonFields(plan.mapping));
  }

  get failed(): number {
    return this.errors.count;
  }

  /** JSON records need parsing (else they are only counted and put on one line). */
  get parsesJson(): boolean {
    return this.jsonTransforms;
  }

  /** The CSV header (or, without one, generated names `_c0`, `_c1`, …). */
  setHeader(columns: readonly string[]): MappingReport {
    const spec = this.plan.mapping ?? { fields: [], auto: false };
    const { fields, report } = mapColumns(columns, spec);
    this.columnCount = columns.length;
    this.useFields(fields);
    this.mappingReport = report;
    return report;
  }

  csvRow(row: readonly string[], where: Where): string {
    this.records++;
    if (row.length > this.columnCount) {
      return this.reject(where, { code: ROW_ERROR_CODES.corrupt, message: `the row has ${row.length} fields but the header has ${this.columnCount}` });
    }
    if (this.invalidUtf8()) {
      const bad = row.findIndex((v) => v.includes(INVALID_UTF8));
      if (bad >= 0) return this.reject(where, { column: this.columnName(bad), code: ROW_ERROR_CODES.corrupt, message: `column ${this.columnName(bad)} holds bytes that are not valid UTF-8` });
    }
    const fields = this.fields;
    const values: unknown[] = new Array(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const src = fields[i].source;
      if (src.kind === 'value') values[i] = src.value;
      else if (src.kind === 'column') {
        const raw = rowValue(row, src.index);
        if (raw === undefined) continue;
        const convert = fields[i].convert;
        const value = convert ? convert(raw) : raw;
        if (value instanceof ConversionFailure) {
          return this.reject(where, { column: src.name, path: this.outPaths[i], code: ROW_ERROR_CODES.conversion, message: `column ${src.name}: ${value.reason}`, value: value.value });
        }
        values[i] = value;
      }
    }
    const check = this.plan.check;
    if (check) {
      const problem = check(this.builder(values));
      if (problem) return this.reject(where, { column: this.sourceOf.get(problem.path), path: problem.path || undefined, code: problem.code, message: problem.message, value: problem.value });
    }
    return this.writer(values);
  }

  jsonRecord(text: string, where: Where): string {
    this.records++;
    const oneLine = text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]+/g, ' ') : text;
    if (!this.jsonTransforms) return oneLine;
    if (this.invalidUtf8() && text.includes(INVALID_UTF8)) {
      return this.reject(where, { code: ROW_ERROR_CODES.corrupt, message: 'the record holds bytes that are not valid UTF-8' });
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      return this.reject(where, { code: ROW_ERROR_CODES.corrupt, message: `the record is not valid JSON${jsonSyntaxDetail(err)}`, value: truncate(text) });
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return this.reject(where, { code: ROW_ERROR_CODES.corrupt, message: 'the record is not a JSON object' });
    }
    if (this.plan.mapping) {
      const mapped = this.mapJson(record as Json, where);
      if (typeof mapped === 'string') return mapped;
      return this.finish(mapped, undefined, where);
    }
    return this.finish(record as Json, oneLine, where);
  }

  /** Tenant rename and schema check; the record's own text is kept when nothing else changed it. */
  private finish(record: Json, text: string | undefined, where: Where, renamedAlready = false): string {
    const tenant = this.plan.tenant;
    let renamed = false;
    if (tenant && !renamedAlready) {
      const had = Object.prototype.hasOwnProperty.call(record, tenant.from);
      const conflict = renameTenant(record, tenant);
      if (conflict) return this.reject(where, { path: tenant.to, code: ROW_ERROR_CODES.schema, message: conflict });
      renamed = had;
    }
    const problem = this.plan.check?.(record);
    if (problem) return this.reject(where, { column: this.sourceOf.get(problem.path), path: problem.path || undefined, code: problem.code, message: problem.message, value: problem.value });
    if (text === undefined) return JSON.stringify(record);
    if (!renamed || !tenant) return text;
    return renameTenantInText(text, tenant) ?? JSON.stringify(record);
  }

  private mapJson(input: Json, where: Where): Json | string {
    const onlyMapped = this.plan.mappingOnly;
    const values: unknown[] = [];
    for (let i = 0; i < this.fields.length; i++) {
      const f = this.fields[i];
      const src = f.source;
      if (src.kind !== 'path') {
        values.push(src.kind === 'value' ? src.value : undefined);
        continue;
      }
      const raw = getPath(input, src.segments);
      const value = raw === undefined || raw === null || !f.convert ? raw : f.convert(raw);
      if (value instanceof ConversionFailure) {
        return this.reject(where, { column: src.name, path: this.outPaths[i], code: ROW_ERROR_CODES.conversion, message: `${src.name}: ${value.reason}`, value: value.value });
      }
      values.push(value);
    }
    const out: Json = onlyMapped ? {} : input;
    if (!onlyMapped) for (const f of this.fields) if (f.source.kind === 'path') deletePath(input, f.source.segments);
    this.fields.forEach((f, i) => {
      if (values[i] !== undefined) setPath(out, f.target, values[i]);
    });
    return out;
  }

  /** CSV records are built from their targets alone, so the tenant rename is done once, on the targets. */
  private useFields(fields: CompiledField[]): void {
    const tenant = this.plan.tenant;
    const rename = (t: PathSegment[]) => (tenant && t[0] === tenant.from ? [tenant.to, ...t.slice(1)] : t);
    this.fields = this.plan.csv ? fields.map((f) => ({ ...f, target: rename(f.target) })) : fields;
    // A CSV column's value is its converter's type (a failed conversion rejects the row first).
    const types = this.plan.csv ? this.fields.map((f) => (f.source.kind === 'column' && f.convert ? f.type : undefined)) : undefined;
    this.writer = compileRecordWriter(this.fields.map((f) => f.target), types);
    if (this.plan.csv) this.builder = compileRecordBuilder(this.fields.map((f) => f.target));
    this.outPaths = fields.map((f) => formatPath(rename(f.target)));
    this.sourceOf = new Map();
    fields.forEach((f, i) => {
      if (f.source.kind !== 'value') this.sourceOf.set(this.outPaths[i], f.source.name);
    });
  }

  private columnName(index: number): string {
    return this.mappingReport?.columns[index] ?? `_c${index}`;
  }

  private reject(where: Where, r: Rejection): string {
    const e: RowError = { fileName: this.fileName, rowNumber: where.rowNumber, lineNumber: where.lineNumber, ...r };
    if (e.column === undefined) delete e.column;
    if (e.path === undefined) delete e.path;
    if (e.value === undefined) delete e.value;
    this.errors.add(e);
    this.lastRejection = e;
    return rejectedRowLine(e);
  }

  /** A row that could not even be read (CSV syntax); counted and sent as rejected. */
  unreadable(where: Where, message: string): string {
    this.records++;
    return this.reject(where, { code: ROW_ERROR_CODES.corrupt, message });
  }
}
