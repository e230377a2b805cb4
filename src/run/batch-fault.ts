import type { Batch } from '../platform';

/*
 * Which files a failed batch was failed for (issue 21 item 2). A file cannot be taken out of a
 * Platform batch, so one bad file fails its neighbours with it; they must not be condemned for
 * it. A failure is first told apart: about the data (Platform judged rows or files and refused
 * them) or not (Platform's own trouble: nothing is final then, the files go again). For a failure
 * about the data, the files at fault are those dataflowd's own checks before upload found rows
 * to refuse in, beyond what the threshold allows a file alone; when those checks found nothing
 * (a row only Platform refuses), the batch's files are split in two and each half sent again,
 * until a batch of one file fails: that file is at fault.
 */

/**
 * Whether Platform failed the batch for its data. Platform's data codes end in a 4xx status
 * (`INGEST-1401-400`, `INGEST-1212-400`, …), name the XDM check, or are the bare file codes under
 * 500 (`106` empty file, `118` empty CSV header); its own failures end in 5xx
 * (`INGEST-500`, the emulator's injected `INGEST-EMU-FAULT-500`). A failed batch whose codes say
 * neither is taken as Platform's own: sending it again costs a batch, condemning good data
 * costs the data.
 */
export function failedForData(batch: Batch): boolean {
  return batch.errors.some((e) => isDataCode(String(e.code ?? '')));
}

function isDataCode(code: string): boolean {
  if (/^INGEST-XDM/i.test(code)) return true;
  if (/-4\d\d$/.test(code)) return true;
  return /^\d{1,3}$/.test(code) && Number(code) < 500;
}

/** What dataflowd's own checks found in one uploaded file. */
export interface FileCheck<T> {
  file: T;
  /** Rows the file had, refused ones included, and those refused before upload (sent as rejected-row lines). */
  records: number;
  refused: number;
}

/**
 * The files whose own refused rows would fail a batch of their own: any refused row without a
 * threshold, a share above `maxErrorPercent` with one (Platform's share is of every row the
 * file had). A batch's share is the mean of its files' shares weighted by rows, so a batch over
 * the threshold has at least one such file, when Platform counts as dataflowd did.
 */
export function filesAtFault<T>(checks: readonly FileCheck<T>[], maxErrorPercent: number | undefined): T[] {
  return checks
    .filter((c) => {
      if (c.refused === 0) return false;
      if (maxErrorPercent === undefined) return true;
      return (c.refused / Math.max(c.records, c.refused)) * 100 > maxErrorPercent;
    })
    .map((c) => c.file);
}

/** Halves, for a failure about the data that no file's own checks explain. */
export function splitInTwo<T>(files: readonly T[]): T[][] {
  const mid = Math.ceil(files.length / 2);
  return [files.slice(0, mid), files.slice(mid)].filter((h) => h.length > 0);
}
