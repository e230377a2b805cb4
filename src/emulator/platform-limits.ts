import { problem, PROBLEM_CODES } from './platform-errors';

/*
 * What Adobe's guides restrict beyond the API descriptions (aep-api.md §2.2, §2.3, §4): a single
 * PUT carries at most 256 MB and the large-file calls are for files of 256 MB or more, whose size
 * each chunk's Content-Range states; a chunk carries at most 512,000,000 bytes; a batch holds at
 * most 1,500 files and 100 GB; a row at most 10,000 fields. Platform's MB and GB are decimal.
 * Tests may lower them (EmulatorOptions.limits) to reach them with little data.
 */

export interface PlatformLimits {
  /** Largest file a PUT may carry, and smallest one the large-file calls may carry. */
  largeFileBytes: number;
  /** Largest body of one large-file PATCH. */
  maxChunkBytes: number;
  maxFilesPerBatch: number;
  maxBatchBytes: number;
  /** Fields (properties at any depth) a record may have. */
  maxFieldsPerRecord: number;
}

export const ADOBE_LIMITS: PlatformLimits = {
  largeFileBytes: 256_000_000,
  maxChunkBytes: 512_000_000,
  maxFilesPerBatch: 1500,
  maxBatchBytes: 100_000_000_000,
  maxFieldsPerRecord: 10_000,
};

export const limitErrors = {
  lengthRequired: () =>
    problem(411, PROBLEM_CODES.lengthRequired, 'Length Required', 'a file upload (PUT) must state its size in Content-Length; output of unknown length is uploaded in parts or spooled first'),
  tooLargeForPut: (size: number, l: PlatformLimits) =>
    problem(413, PROBLEM_CODES.fileTooLargeForPut, 'Payload Too Large', `a PUT carries at most ${l.largeFileBytes} bytes, this one ${size}: larger files use the large-file upload`),
  largeFileTooSmall: (path: string, size: number, l: PlatformLimits) =>
    problem(400, PROBLEM_CODES.largeFileTooSmall, 'File too small for the large-file upload', `${path} has ${size} bytes; the large-file calls are for files of ${l.largeFileBytes} bytes or more, smaller ones are sent with PUT`),
  contentRangeTotal: (header: string | undefined) =>
    problem(400, PROBLEM_CODES.contentRangeTotal, 'Invalid Content-Range', `expected Content-Range: bytes start-end/size with the file's size, got ${JSON.stringify(header ?? '')}`),
  chunkTooLarge: (bytes: number, l: PlatformLimits) => problem(400, PROBLEM_CODES.chunkTooLarge, 'Chunk too large', `a chunk carries at most ${l.maxChunkBytes} bytes, this one ${bytes}`),
  tooManyFiles: (batchId: string, l: PlatformLimits) => problem(400, PROBLEM_CODES.tooManyFiles, 'Too many files', `batch ${batchId} already holds ${l.maxFilesPerBatch} files, the most a batch may have`),
  batchTooLarge: (batchId: string, bytes: number, l: PlatformLimits) =>
    problem(400, PROBLEM_CODES.batchTooLarge, 'Batch too large', `batch ${batchId} would hold ${bytes} bytes; a batch holds at most ${l.maxBatchBytes}`),
};

/** The number of properties of a parsed record at every depth, counting stops past `max`. */
export function countFields(value: unknown, max: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= max) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item);
    } else if (typeof node === 'object' && node !== null) {
      for (const child of Object.values(node)) {
        count++;
        if (typeof child === 'object' && child !== null) stack.push(child);
      }
    }
  }
  return count;
}
