import { isObject, resolveRef, specDocument, type SpecDocument } from './spec-documents';
import { MULTI_SEGMENT_PARAMETERS } from './errata';

/*
 * The operations of one API description, in one shape whether it is OpenAPI 3.0 or Swagger 2.0:
 * full path template, method, parameters and request body, each schema located by a JSON pointer
 * into the document so that Ajv can follow its $refs (operation-validators.ts).
 */

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

export interface Parameter {
  name: string;
  in: 'header' | 'query' | 'path' | 'cookie' | 'formData';
  required: boolean;
  /** The parameter's JSON Schema: a pointer into the document (OpenAPI 3), or built inline (Swagger 2). */
  schema: { pointer: string } | { inline: Record<string, unknown> };
  /** Allowed values, when the schema is an enum of strings. */
  enum?: string[];
}

export interface RequestBodySpec {
  required: boolean;
  /** Media types it may be sent as, lower case, without parameters. */
  mediaTypes: string[];
  /** Pointer to the schema of each media type that has one. */
  schemas: Record<string, string>;
}

export interface Operation {
  api: string;
  operationId: string;
  method: string;
  /** Full path template, e.g. /data/foundation/import/batches/{batchId}. */
  template: string;
  parameters: Parameter[];
  body?: RequestBodySpec;
  /** Matches the raw (still percent-encoded) URL path; groups are the path parameters in order. */
  pattern: RegExp;
  pathParameters: string[];
  /** Literal characters in the template: a more literal template wins (OpenAPI's matching rule). */
  literalLength: number;
}

const cache = new Map<string, Operation[]>();

export function operationsOf(api: string): Operation[] {
  const known = cache.get(api);
  if (known) return known;
  const spec = specDocument(api);
  const paths = isObject(spec.doc.paths) ? spec.doc.paths : {};
  const out: Operation[] = [];
  for (const [template, itemValue] of Object.entries(paths)) {
    const item = resolveRef(spec.doc, itemValue);
    if (!isObject(item)) continue;
    const itemPointer = `/paths/${escape(template)}`;
    const shared = Array.isArray(item.parameters) ? item.parameters.map((p, i) => parameter(spec, p, `${itemPointer}/parameters/${i}`)) : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const opPointer = `${itemPointer}/${method}`;
      const own = Array.isArray(op.parameters) ? op.parameters.map((p, i) => parameter(spec, p, `${opPointer}/parameters/${i}`)) : [];
      // An operation's parameter overrides the path item's of the same name and place.
      const parameters = [...shared.filter((s) => s && !own.some((o) => o && o.name === s.name && o.in === s.in)), ...own].filter((p): p is Parameter => p !== undefined);
      const fullTemplate = `${spec.basePath}${template}`;
      const { pattern, names, literalLength } = compileTemplate(fullTemplate);
      out.push({
        api,
        operationId: typeof op.operationId === 'string' ? op.operationId : `${method} ${template}`,
        method: method.toUpperCase(),
        template: fullTemplate,
        parameters,
        body: requestBody(spec, op, opPointer),
        pattern,
        pathParameters: names,
        literalLength,
      });
    }
  }
  cache.set(api, out);
  return out;
}

function parameter(spec: SpecDocument, value: unknown, pointer: string): Parameter | undefined {
  const { value: p, pointer: at } = follow(spec.doc, value, pointer);
  if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string' || p.in === 'body') return undefined;
  const required = p.required === true || p.in === 'path';
  if (isObject(p.schema)) {
    const schema = resolveRef(spec.doc, p.schema);
    return { name: p.name, in: p.in as Parameter['in'], required, schema: { pointer: `${at}/schema` }, enum: stringEnum(isObject(schema) ? schema.enum : undefined) };
  }
  // Swagger 2.0: the type sits on the parameter itself.
  const inline: Record<string, unknown> = {};
  for (const key of ['type', 'format', 'enum', 'items', 'minimum', 'maximum', 'pattern', 'minLength', 'maxLength']) if (p[key] !== undefined) inline[key] = p[key];
  return { name: p.name, in: p.in as Parameter['in'], required, schema: { inline }, enum: stringEnum(p.enum) };
}

function requestBody(spec: SpecDocument, op: Record<string, unknown>, opPointer: string): RequestBodySpec | undefined {
  if (op.requestBody !== undefined) {
    const { value: body, pointer } = follow(spec.doc, op.requestBody, `${opPointer}/requestBody`);
    if (!isObject(body)) return undefined;
    const content = isObject(body.content) ? body.content : {};
    const schemas: Record<string, string> = {};
    for (const [type, media] of Object.entries(content)) if (isObject(media) && media.schema !== undefined) schemas[type.toLowerCase()] = `${pointer}/content/${escape(type)}/schema`;
    return { required: body.required === true, mediaTypes: Object.keys(content).map((t) => t.toLowerCase()), schemas };
  }
  // Swagger 2.0: one `in: body` parameter, sent as one of `consumes`.
  const params = Array.isArray(op.parameters) ? op.parameters : [];
  for (const [i, value] of params.entries()) {
    const { value: p, pointer } = follow(spec.doc, value, `${opPointer}/parameters/${i}`);
    if (!isObject(p) || p.in !== 'body') continue;
    const consumes = (Array.isArray(op.consumes) ? op.consumes : Array.isArray(spec.doc.consumes) ? spec.doc.consumes : ['application/json']) as string[];
    const mediaTypes = consumes.map((t) => t.toLowerCase());
    return { required: p.required === true, mediaTypes, schemas: Object.fromEntries(mediaTypes.map((t) => [t, `${pointer}/schema`])) };
  }
  return undefined;
}

function compileTemplate(template: string): { pattern: RegExp; names: string[]; literalLength: number } {
  const names: string[] = [];
  let literalLength = 0;
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (!param) {
        literalLength += part.length;
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(param[1]);
      return MULTI_SEGMENT_PARAMETERS.has(param[1]) ? '(.+)' : '([^/]+)';
    })
    .join('');
  return { pattern: new RegExp(`^${source}$`), names, literalLength };
}

/** Follows $refs from `value` found at `pointer`, saying where the value finally is. */
function follow(doc: Record<string, unknown>, value: unknown, pointer: string): { value: unknown; pointer: string } {
  let current = value;
  let at = pointer;
  for (let hops = 0; hops < 20 && isObject(current) && typeof current.$ref === 'string'; hops++) {
    at = current.$ref.slice(1);
    current = resolveRef(doc, { $ref: current.$ref });
  }
  return { value: current, pointer: at };
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function stringEnum(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}
