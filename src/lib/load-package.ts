import { createRequire } from 'node:module';

const requireHere = createRequire(__filename);

/**
 * A package loaded synchronously, on first use. For a check that must stay synchronous (a
 * connection schema's refinement) but that only some configs need: every process reads every
 * connector's schema, and loading an SDK costs tens of MB of memory that most never use. Node
 * caches the module, so later calls are a lookup. Everything else imports packages statically.
 */
export function loadPackage<T>(id: string): T {
  return requireHere(id) as T;
}
