import { createReadStream } from 'node:fs';

/*
 * Platform takes CSV "on a legacy basis": promoted after preliminary checks, without row
 * validation (aep-api.md §6.3). The emulator does the same: it counts data rows (header excluded,
 * blank lines skipped, newlines inside quoted fields not ending a row) and checks the header.
 */

export interface CsvCount {
  /** The first line is blank: Platform's error 118. */
  headerEmpty: boolean;
  dataRows: number;
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CR = 0x0d;

export async function countCsvRows(file: string): Promise<CsvCount> {
  let inQuotes = false;
  let rowHasContent = false;
  let rowsSeen = 0; // rows ended so far, the blank first row included
  let nonBlankRows = 0;
  let headerEmpty = false;
  const endRow = () => {
    if (rowsSeen === 0 && !rowHasContent) headerEmpty = true;
    if (rowHasContent) nonBlankRows++;
    rowsSeen++;
    rowHasContent = false;
  };
  for await (const chunk of createReadStream(file)) {
    const bytes = chunk as Buffer;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      // An escaped quote ("") toggles twice, so counting toggles is enough to know where we are.
      if (c === QUOTE) inQuotes = !inQuotes;
      if (c === NEWLINE && !inQuotes) endRow();
      else if (c !== CR) rowHasContent = true;
    }
  }
  if (rowHasContent) endRow();
  const headerRows = headerEmpty || nonBlankRows === 0 ? 0 : 1;
  return { headerEmpty, dataRows: Math.max(0, nonBlankRows - headerRows) };
}
