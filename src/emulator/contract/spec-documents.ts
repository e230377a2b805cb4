import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/*
 * Adobe's API descriptions vendored in spec/adobe/ (their README says where from). Each is
 * parsed once per process, and only when a request first needs it: the four together take about
 * half a second to parse, which an emulator started for a single `dataflowd run` should not pay
 * for descriptions it never consults.
 */

export interface SpecDocument {
  /** The file's stem, e.g. 'batch-ingestion'. */
  name: string;
  /** Where its paths start on platform.adobe.io. */
  basePath: string;
  /** The parsed YAML: OpenAPI 3.0 or Swagger 2.0. */
  doc: Record<string, unknown>;
}

/** The APIs dataflowd uses, by base path (each file's `servers` or `basePath` says the same). */
export const SPEC_FILES: ReadonlyArray<{ name: string; basePath: string }> = [
  { name: 'batch-ingestion', basePath: '/data/foundation/import' },
  { name: 'catalog', basePath: '/data/foundation/catalog' },
  { name: 'data-access', basePath: '/data/foundation/export' },
  { name: 'schema-registry', basePath: '/data/foundation/schemaregistry' },
];

let specDir: string | undefined;

/** spec/adobe, found upwards from here: src/emulator/contract in tests, dist/src/emulator/contract when built. */
export function specDirectory(): string {
  if (specDir) return specDir;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'spec', 'adobe');
    if (existsSync(path.join(candidate, 'LICENSE'))) return (specDir = candidate);
    if (path.dirname(dir) === dir) throw new Error(`Adobe's API descriptions (spec/adobe) not found above ${__dirname}`);
  }
}

const parsed = new Map<string, SpecDocument>();

export function specDocument(name: string): SpecDocument {
  const known = parsed.get(name);
  if (known) return known;
  const file = SPEC_FILES.find((f) => f.name === name);
  if (!file) throw new Error(`no vendored API description named ${name}`);
  const doc = YAML.parse(readFileSync(path.join(specDirectory(), `${name}.yaml`), 'utf8')) as Record<string, unknown>;
  const spec = { ...file, doc };
  parsed.set(name, spec);
  return spec;
}

/** The description whose base path starts this URL path, if any. */
export function specFileFor(urlPath: string): { name: string; basePath: string } | undefined {
  return SPEC_FILES.find((f) => urlPath === f.basePath || urlPath.startsWith(`${f.basePath}/`));
}

/** Follows a local `$ref` (`#/components/…`, `#/parameters/…`) to what it names. */
export function resolveRef<T>(doc: Record<string, unknown>, value: T): T {
  let current: unknown = value;
  for (let hops = 0; hops < 20 && isObject(current) && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref;
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, not ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), doc);
  }
  return current as T;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
