import { daemonSchema } from './daemon-schema';
import { dataflowSchema } from './dataflow-schema';
import type { LoadedConfig } from './loaded-config';
import { FieldPath, secretPaths, stringsAt } from './secret-fields';

/*
 * Secret values are (1) whatever a ${env:} or ${file:} reference stood for, in any field, and
 * (2) every value of a secret field, written literally or not: the fields marked `secret()` in
 * our schemas (platform.clientSecret, http.token, notifications[].secret) and each connector's
 * `secretFields`. Values shorter than MIN_SECRET_LENGTH are left out: nothing that short is a
 * credential, and scrubbing "22" or "prod" from every log line would make logs useless.
 */
export const MIN_SECRET_LENGTH = 4;

let paths: { daemon: FieldPath[]; dataflow: FieldPath[] } | undefined;

function schemaSecretPaths(): { daemon: FieldPath[]; dataflow: FieldPath[] } {
  paths ??= { daemon: secretPaths(daemonSchema), dataflow: secretPaths(dataflowSchema) };
  return paths;
}

/** Values at the schemas' secret fields, in raw or loaded data. */
export function declaredSecrets(daemon: unknown, dataflows: readonly unknown[]): string[] {
  const p = schemaSecretPaths();
  return [
    ...p.daemon.flatMap((fp) => stringsAt(daemon, fp)),
    ...dataflows.flatMap((df) => p.dataflow.flatMap((fp) => stringsAt(df, fp))),
  ];
}

/** Distinct, long enough to scrub, longest first (so a secret containing another goes whole). */
export function usableSecrets(values: readonly string[]): string[] {
  return [...new Set(values)].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

const remembered = new WeakMap<LoadedConfig, readonly string[]>();

/** The loader records what only it knows: reference values and connectors' secret fields. */
export function rememberSecrets(config: LoadedConfig, values: readonly string[]): void {
  remembered.set(config, Object.freeze([...values]));
}

/** Every resolved secret value of a loaded config, so that logs and errors can scrub them. */
export function secretValues(config: LoadedConfig): string[] {
  return usableSecrets([...(remembered.get(config) ?? []), ...declaredSecrets(config.daemon, config.dataflows)]);
}
