/*
 * The three error shapes Platform answers with (reference/aep-api.md §1.2, and Adobe's problem
 * documents `{type: http://ns.adobe.com/aep/errors/CODE, status, title, detail}`):
 *  - the API gateway: `{error_code, message}` (missing/bad token, API key, org header),
 *  - IMS: `{error, error_description}`,
 *  - the services behind the gateway: problem documents.
 * Adobe publishes no catalogue of service codes (aep-api.md §13), so the problem codes below are
 * the emulator's own, in Adobe's SERVICE-NNNN-STATUS pattern; clients should branch on the status.
 */

export class EmulatorHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.title === 'string' ? body.title : typeof body.message === 'string' ? body.message : 'error');
    this.name = 'EmulatorHttpError';
  }
}

export const PROBLEM_CODES = {
  routeNotFound: 'EMU-1000-404',
  badRequest: 'EMU-1001-400',
  // A request Adobe's API description does not allow (contract/contract-hook.ts).
  specHeader: 'EMU-1002-400',
  specQuery: 'EMU-1003-400',
  specBody: 'EMU-1004-400',
  specMediaType: 'EMU-1415-415',
  methodNotAllowed: 'EMU-1405-405',
  // A request the API description allows but Adobe's guides restrict (aep-api.md §2.2, §2.3, §4).
  lengthRequired: 'BATCH-1411-411',
  fileTooLargeForPut: 'BATCH-1413-413',
  largeFileTooSmall: 'BATCH-1416-400',
  contentRangeTotal: 'BATCH-1417-400',
  chunkTooLarge: 'BATCH-1418-400',
  tooManyFiles: 'BATCH-1419-400',
  batchTooLarge: 'BATCH-1420-400',
  payloadTooLarge: 'EMU-1413-413',
  internal: 'EMU-1500-500',
  unsupportedMediaType: 'BATCH-1415-415',
  batchNotFound: 'BATCH-1404-404',
  datasetNotFound: 'BATCH-1405-400',
  datasetMismatch: 'BATCH-1406-400',
  batchNotLoading: 'BATCH-1407-400',
  fileNotFound: 'BATCH-1408-404',
  badFilePath: 'BATCH-1409-400',
  badContentRange: 'BATCH-1410-400',
  chunksIncomplete: 'BATCH-1421-400',
  badAction: 'BATCH-1412-400',
  batchFinal: 'BATCH-1413-400',
  fileNotComplete: 'BATCH-1414-400',
  catalogNotFound: 'CAT-1404-404',
  schemaNotFound: 'XDM-1404-404',
  notAcceptable: 'XDM-1406-406',
  catalogBadQuery: 'CAT-1400-400',
  exportNotFound: 'DAS-1404-404',
  rangeNotSatisfiable: 'DAS-1416-416',
} as const;

/**
 * Answers that mean the request broke Platform's contract (its API description or its guides'
 * limits), rather than meeting a state of things (a batch already completed, a file not found):
 * a client on documented ground never receives one (test/contract/).
 */
export const CONTRACT_CODES: ReadonlySet<string> = new Set([
  PROBLEM_CODES.routeNotFound,
  PROBLEM_CODES.specHeader,
  PROBLEM_CODES.specQuery,
  PROBLEM_CODES.specBody,
  PROBLEM_CODES.specMediaType,
  PROBLEM_CODES.methodNotAllowed,
  PROBLEM_CODES.lengthRequired,
  PROBLEM_CODES.fileTooLargeForPut,
  PROBLEM_CODES.largeFileTooSmall,
  PROBLEM_CODES.contentRangeTotal,
  PROBLEM_CODES.chunkTooLarge,
  PROBLEM_CODES.tooManyFiles,
  PROBLEM_CODES.batchTooLarge,
  PROBLEM_CODES.badContentRange,
  PROBLEM_CODES.badAction,
  PROBLEM_CODES.unsupportedMediaType,
]);

export type ProblemCode = (typeof PROBLEM_CODES)[keyof typeof PROBLEM_CODES];

export function problem(status: number, code: ProblemCode, title: string, detail?: string): EmulatorHttpError {
  const body: Record<string, unknown> = { type: `http://ns.adobe.com/aep/errors/${code}`, status, title };
  if (detail !== undefined) body.detail = detail;
  return new EmulatorHttpError(status, body);
}

export function badRequest(detail: string): EmulatorHttpError {
  return problem(400, PROBLEM_CODES.badRequest, 'Bad Request', detail);
}

/** The API gateway's answer to a missing or bad credential header. */
export function gatewayError(status: number, errorCode: string, message: string): EmulatorHttpError {
  return new EmulatorHttpError(status, { error_code: errorCode, message });
}

export const GATEWAY_ERRORS = {
  missingToken: () => gatewayError(403, '403010', 'Oauth token is missing.'),
  invalidToken: () => gatewayError(401, '401013', 'Oauth token is not valid'),
  missingApiKey: () => gatewayError(403, '403000', 'Api Key is required'),
  invalidApiKey: () => gatewayError(403, '403003', 'Api Key is invalid'),
  missingHeader: (name: string) => gatewayError(400, '400003', `Missing header: ${name}`),
  unknownSandbox: (name: string) => gatewayError(403, 'EMULATOR-SANDBOX', `The sandbox ${name} does not exist or is not available to this client`),
};

/** IMS token endpoint errors, OAuth 2.0 style. */
export function imsError(status: number, error: string, description: string): EmulatorHttpError {
  return new EmulatorHttpError(status, { error, error_description: description });
}
