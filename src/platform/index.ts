export { PlatformClient } from './platform-client';
export { isFinalStatus, isSuccessStatus, isFailureStatus, statusHandling, IN_FLIGHT_STATUSES, SUCCESS_STATUSES, FAILURE_STATUSES, STATUS_HANDLING } from './batch-status';
export type { StatusHandling } from './batch-status';
export { parseRetryAfter, TRANSIENT_STATUSES } from './platform-errors';
export { DEFAULT_UPLOAD_SETTINGS } from './large-file-upload';
export type {
  Batch,
  BatchError,
  BatchFile,
  BatchFormat,
  BatchMetrics,
  CreateBatchRequest,
  DataSetFileEntry,
  Dataset,
  ListBatchesQuery,
  PlatformClientOptions,
  PlatformRetryOptions,
  RowErrorsOptions,
  UploadFileOptions,
  UploadSettings,
  WaitForBatchOptions,
} from './types';
