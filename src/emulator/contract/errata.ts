/*
 * Where Adobe's API descriptions contradict themselves or Adobe's own guides, the reading taken
 * here, each with its reason. Nothing else about a request is relaxed (spec/adobe/README.md).
 */

/**
 * Path parameters that may span several segments. uploadSmallFile and its large-file siblings
 * say of `filePath`: "the directory structure denoted in this path is preserved and can be used
 * to denote partitions" (`part1=a/part2=b/file.parquet` in the guide), which a one-segment
 * parameter could not carry.
 */
export const MULTI_SEGMENT_PARAMETERS: ReadonlySet<string> = new Set(['filePath']);

/**
 * Request bodies whose media type is the operation's Content-Type header enum rather than its
 * requestBody content. uploadLargeFilePart declares a multipart/form-data body while its own
 * Content-Type parameter allows only application/octet-stream, and the guide's example sends the
 * raw chunk with --data-binary (aep-api.md §2.3).
 */
export const BODY_MEDIA_TYPE_FROM_HEADER: ReadonlySet<string> = new Set(['uploadLargeFilePart']);

/**
 * Enums compared without regard to case, by operation and JSON pointer into the body.
 * createBatch's IngestBatch spells inputFormat.format `JSON | Parquet | CSV`; the batch ingestion
 * guide, Catalog's own batch objects and public clients (aepp) all use `json`, `parquet`, `csv`.
 */
export const CASE_INSENSITIVE_BODY_ENUMS: ReadonlyArray<{ operationId: string; pointer: string[] }> = [
  { operationId: 'createBatch', pointer: ['inputFormat', 'format'] },
];

/**
 * Headers that the API gateway checks before any service sees the request, with its own error
 * codes (platform-errors.ts GATEWAY_ERRORS); the contract check leaves them to it.
 */
export const GATEWAY_HEADERS: ReadonlySet<string> = new Set(['authorization', 'x-api-key', 'x-gw-ims-org-id', 'x-sandbox-name']);

/**
 * Values an answer may hold beyond its described enum, by operation and JSON pointer. The Batch
 * that createBatch answers with lists no `loading` among its statuses, though the guide's example
 * of that very answer shows it and Catalog's own status enum has it: a new batch is loading.
 */
export const RESPONSE_ENUM_EXTRAS: ReadonlyArray<{ operationId: string; pointer: string[]; values: string[] }> = [
  { operationId: 'createBatch', pointer: ['status'], values: ['loading'] },
];
