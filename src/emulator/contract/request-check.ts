import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { BODY_MEDIA_TYPE_FROM_HEADER, CASE_INSENSITIVE_BODY_ENUMS, GATEWAY_HEADERS, RESPONSE_ENUM_EXTRAS } from './errata';
import { operationsOf, type Operation, type Parameter } from './operations';
import { isObject, specDocument, specFileFor } from './spec-documents';

/*
 * One request against Adobe's API descriptions: is there such an operation, and does the request
 * carry what it requires (headers, query parameters, content type, body) and nothing it does not
 * know (query parameters)? Used by the emulator on every request it serves (contract-hook.ts) and
 * by the test suite on every request the client made (test/contract/).
 */

export type ViolationRule = 'path' | 'method' | 'header' | 'query' | 'content-type' | 'body';

export interface Violation {
  /** What Platform answers such a request with. */
  status: 400 | 404 | 405 | 415;
  rule: ViolationRule;
  message: string;
}

export interface ContractRequest {
  method: string;
  /** The raw URL: path (still percent-encoded) and query string. */
  url: string;
  /** Header names in lower case, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The body, when one was sent: its JSON when it was parsed, for JSON media types. */
  body?: { json?: unknown };
}

export interface ContractResult {
  operation?: Operation;
  violations: Violation[];
  /** The methods the path allows, when the method was wrong. */
  allow?: string[];
}

/** The operation a method and raw path name, or why none does. */
export function matchOperation(method: string, rawPath: string): { operation?: Operation; violation?: Violation; allow?: string[] } {
  const file = specFileFor(rawPath);
  if (!file) return { violation: { status: 404, rule: 'path', message: `no Platform API serves ${rawPath}` } };
  const candidates = operationsOf(file.name).filter((op) => op.pattern.test(rawPath));
  if (candidates.length === 0) return { violation: { status: 404, rule: 'path', message: `the ${file.name} API has no path ${rawPath}` } };
  const upper = method.toUpperCase();
  const matching = candidates.filter((op) => op.method === upper).sort((a, b) => b.literalLength - a.literalLength);
  if (matching.length > 0) return { operation: matching[0] };
  const allow = [...new Set(candidates.map((op) => op.method))];
  return { violation: { status: 405, rule: 'method', message: `${rawPath} allows ${allow.join(', ')}, not ${upper}` }, allow };
}

/** Everything but the body: required headers and their allowed values, query parameters. */
export function checkHeadersAndQuery(op: Operation, url: string, headers: ContractRequest['headers']): Violation[] {
  const violations: Violation[] = [];
  for (const p of op.parameters.filter((x) => x.in === 'header')) {
    const name = p.name.toLowerCase();
    if (GATEWAY_HEADERS.has(name)) continue;
    const value = headerValue(headers, name);
    if (value === undefined) {
      if (p.required) violations.push({ status: 400, rule: 'header', message: `${op.operationId} requires the header ${p.name}` });
      continue;
    }
    if (p.enum && !enumHas(p, name === 'content-type' ? mediaType(value) : value)) {
      const status = name === 'content-type' ? 415 : 400;
      violations.push({ status, rule: name === 'content-type' ? 'content-type' : 'header', message: `${op.operationId}: ${p.name} must be ${p.enum.join(' or ')}, not ${value}` });
    }
  }
  const query = new URLSearchParams(url.split('?')[1] ?? '');
  const declared = op.parameters.filter((x) => x.in === 'query');
  for (const name of new Set(query.keys())) {
    if (!declared.some((p) => p.name === name)) violations.push({ status: 400, rule: 'query', message: `${op.operationId} has no query parameter ${name}` });
  }
  const values: Record<string, string> = {};
  for (const p of declared) {
    const value = query.get(p.name);
    if (value === null) {
      if (p.required) violations.push({ status: 400, rule: 'query', message: `${op.operationId} requires the query parameter ${p.name}` });
    } else values[p.name] = value;
  }
  const validate = queryValidator(op);
  if (!validate(values)) violations.push({ status: 400, rule: 'query', message: `${op.operationId}: ${describe(validate.errors?.[0], 'query')}` });
  return violations;
}

/** The body's media type and, for JSON, its schema. */
export function checkBody(op: Operation, headers: ContractRequest['headers'], body: ContractRequest['body']): Violation[] {
  const spec = op.body;
  if (!spec) return [];
  if (!body) return spec.required ? [{ status: 400, rule: 'body', message: `${op.operationId} requires a request body` }] : [];
  const type = mediaType(headerValue(headers, 'content-type') ?? '');
  const allowed = BODY_MEDIA_TYPE_FROM_HEADER.has(op.operationId) ? (op.parameters.find((p) => p.in === 'header' && p.name.toLowerCase() === 'content-type')?.enum ?? spec.mediaTypes) : spec.mediaTypes;
  if (allowed.length > 0 && !allowed.includes(type)) {
    return [{ status: 415, rule: 'content-type', message: `${op.operationId} takes ${allowed.join(' or ')}, not ${type || 'a body without Content-Type'}` }];
  }
  if (!isJson(type) || body.json === undefined || spec.schemas[type] === undefined) return [];
  const validate = bodyValidator(op, type);
  const json = normaliseEnums(op, structuredClone(body.json));
  return validate(json) ? [] : [{ status: 400, rule: 'body', message: `${op.operationId}: ${describe(validate.errors?.[0], 'body')}` }];
}

/** The whole check, for a request already read (the recorded requests of the test suite). */
export function checkRequest(req: ContractRequest): ContractResult {
  const rawPath = req.url.split('?')[0];
  const match = matchOperation(req.method, rawPath);
  if (!match.operation) return { violations: match.violation ? [match.violation] : [], allow: match.allow };
  const op = match.operation;
  return { operation: op, violations: [...checkHeadersAndQuery(op, req.url, req.headers), ...checkBody(op, req.headers, req.body)] };
}

/**
 * A JSON answer against the schema the API description gives for that operation and status,
 * when it gives one (many of Adobe's answers are described as `content: {}`): the emulator's
 * answers are held to it in its tests.
 */
export function checkResponse(op: Operation, status: number, json: unknown): string[] {
  const doc = specDocument(op.api).doc;
  const item = resolvePointer(doc, `/paths/${escapeKey(op.template.slice(specBase(op).length))}`) as Record<string, unknown> | undefined;
  const responses = (item?.[op.method.toLowerCase()] as { responses?: Record<string, unknown> } | undefined)?.responses ?? {};
  const key = Object.keys(responses).find((k) => k === String(status));
  if (key === undefined) return [`${op.operationId} describes no ${status} answer`];
  const base = `/paths/${escapeKey(op.template.slice(specBase(op).length))}/${op.method.toLowerCase()}/responses/${key}`;
  const answer = resolvePointer(doc, base) as Record<string, unknown> | undefined;
  let pointer: string | undefined;
  if (isObject(answer?.content) && isObject(answer.content['application/json']) && answer.content['application/json'].schema !== undefined) pointer = `${base}/content/application~1json/schema`;
  else if (answer?.schema !== undefined) pointer = `${base}/schema`;
  if (pointer === undefined) return [];
  const validate = ajvFor(op.api, false).compile({ $ref: `${op.api}#${pointer}` });
  const answerJson = structuredClone(json);
  for (const extra of RESPONSE_ENUM_EXTRAS.filter((e) => e.operationId === op.operationId)) {
    const parent = extra.pointer.slice(0, -1).reduce<unknown>((node, k) => (isObject(node) ? node[k] : undefined), answerJson);
    const key = extra.pointer[extra.pointer.length - 1];
    if (isObject(parent) && extra.values.includes(parent[key] as string)) delete parent[key];
  }
  return validate(answerJson) ? [] : [`${op.operationId} ${status}: ${describe(validate.errors?.[0], 'answer')}`];
}

function specBase(op: Operation): string {
  return op.template.slice(0, op.template.length - op.template.replace(/^\/data\/foundation\/[a-z]+/, '').length);
}

function escapeKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function mediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

export function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

function headerValue(headers: ContractRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined || first.trim() === '' ? undefined : first;
}

function enumHas(p: Parameter, value: string): boolean {
  return (p.enum ?? []).some((allowed) => (p.name.toLowerCase() === 'content-type' ? allowed.toLowerCase() === value : allowed === value));
}

function normaliseEnums(op: Operation, json: unknown): unknown {
  for (const rule of CASE_INSENSITIVE_BODY_ENUMS.filter((r) => r.operationId === op.operationId)) {
    const parent = rule.pointer.slice(0, -1).reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), json);
    const key = rule.pointer[rule.pointer.length - 1];
    if (!isObject(parent) || typeof parent[key] !== 'string') continue;
    const allowed = enumAt(op, rule.pointer);
    const canonical = allowed?.find((a) => a.toLowerCase() === (parent[key] as string).toLowerCase());
    if (canonical !== undefined) parent[key] = canonical;
  }
  return json;
}

/** The enum of the body schema property at `pointer` (through $refs), for the errata above. */
function enumAt(op: Operation, pointer: string[]): string[] | undefined {
  const doc = specDocument(op.api).doc;
  const type = Object.keys(op.body?.schemas ?? {}).find(isJson);
  if (!type) return undefined;
  let node: unknown = resolvePointer(doc, (op.body as { schemas: Record<string, string> }).schemas[type]);
  for (const key of pointer) {
    node = resolvePointer(doc, isObject(node) && typeof node.$ref === 'string' ? node.$ref.slice(1) : undefined) ?? node;
    node = isObject(node) && isObject(node.properties) ? node.properties[key] : undefined;
  }
  const values = isObject(node) ? node.enum : undefined;
  return Array.isArray(values) ? (values as string[]) : undefined;
}

function resolvePointer(doc: Record<string, unknown>, pointer: string | undefined): unknown {
  if (pointer === undefined) return undefined;
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), doc);
}

// One Ajv per API and purpose: query values arrive as strings and are coerced to their declared
// types; bodies are JSON already and are not.
const ajvs = new Map<string, Ajv>();

function ajvFor(api: string, coerce: boolean): Ajv {
  const key = `${api}:${coerce}`;
  let ajv = ajvs.get(key);
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false, coerceTypes: coerce, logger: false });
    addFormats(ajv);
    ajv.addSchema(forAjv(specDocument(api).doc) as Record<string, unknown>, api);
    ajvs.set(key, ajv);
  }
  return ajv;
}

/**
 * The document as Ajv should see it: examples dropped (the Schema Registry's hold whole XDM
 * schemas, whose `$id`s Ajv would take for the document's own and find twice), and no `$id`
 * anywhere, since every reference here is a pointer into this one document.
 */
function forAjv(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(forAjv);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'example' || key === 'examples' || (key === '$id' && typeof v === 'string')) continue;
    out[key] = forAjv(v);
  }
  return out;
}

const queryValidators = new WeakMap<Operation, ValidateFunction>();
const bodyValidators = new WeakMap<Operation, Map<string, ValidateFunction>>();

function queryValidator(op: Operation): ValidateFunction {
  let validate = queryValidators.get(op);
  if (!validate) {
    const properties: Record<string, unknown> = {};
    for (const p of op.parameters.filter((x) => x.in === 'query')) properties[p.name] = 'pointer' in p.schema ? { $ref: `${op.api}#${p.schema.pointer}` } : p.schema.inline;
    validate = ajvFor(op.api, true).compile({ type: 'object', properties });
    queryValidators.set(op, validate);
  }
  return validate;
}

function bodyValidator(op: Operation, type: string): ValidateFunction {
  let byType = bodyValidators.get(op);
  if (!byType) bodyValidators.set(op, (byType = new Map()));
  let validate = byType.get(type);
  if (!validate) {
    validate = ajvFor(op.api, false).compile({ $ref: `${op.api}#${op.body?.schemas[type]}` });
    byType.set(type, validate);
  }
  return validate;
}

function describe(error: ErrorObject | undefined, where: string): string {
  if (!error) return `the ${where} does not match the API description`;
  const at = error.instancePath === '' ? where : `${where} ${error.instancePath.slice(1).replace(/\//g, '.')}`;
  const allowed = Array.isArray(error.params.allowedValues) ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : '';
  return `${at} ${error.message ?? 'is invalid'}${allowed}`;
}
