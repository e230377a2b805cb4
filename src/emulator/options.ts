import type { Clock } from '../lib/clock';
import { systemClock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { silentLogger } from '../lib/logger';
import { RECORD_ENV } from './contract/request-recorder';
import type { FaultConfigInput } from './faults';
import { ADOBE_LIMITS, type PlatformLimits } from './platform-limits';

export interface EmulatorDataset {
  id: string;
  name: string;
  /** JSON Schema of the dataset's records, already loaded. Without it records are only parsed. */
  schema?: object;
}

export interface EmulatorOptions {
  /** Batches are stored under it (created if missing); state survives a restart on the same folder. */
  dataDir: string;
  datasets: EmulatorDataset[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Served by GET /data/foundation/schemaregistry/stats; default 'techmarketingdemos'. */
  tenantId?: string;
  /** Reported as the batches' imsOrg; default 'DATAFLOWD@AdobeOrg'. */
  orgId?: string;
  logger?: Logger;
  /** Time a completed batch spends in 'processing' before its final status; default 0 (still async). */
  processingDelayMs?: number;
  /** Source of timestamps and token expiry; default the system clock. */
  clock?: Clock;
  /** Adobe's guides' limits (platform-limits.ts); tests lower them to reach them with little data. */
  limits?: Partial<PlatformLimits>;
  /**
   * Appends every request answered, as JSON lines, to this file (contract/request-recorder.ts);
   * default: the file named by DATAFLOWD_CONTRACT_RECORD, else none.
   */
  recordRequestsTo?: string;
  /** Faults to inject from the start (see faults.ts); default none. Malformed rules fail the start. */
  faults?: FaultConfigInput;
  /**
   * Client id → secret: IMS then issues tokens to these credentials only, as Adobe's does. By
   * default any credential gets a token (the emulator checks the exchange's shape, not who asks).
   */
  clients?: Readonly<Record<string, string>>;
  /** The org's sandboxes: a request naming another in x-sandbox-name is refused; default ['prod']. */
  sandboxes?: readonly string[];
}

/** Options with every default applied, shared by the emulator's parts. */
export interface ResolvedOptions {
  dataDir: string;
  datasets: ReadonlyMap<string, EmulatorDataset>;
  host: string;
  port: number;
  tenantId: string;
  orgId: string;
  logger: Logger;
  processingDelayMs: number;
  clock: Clock;
  clients?: Readonly<Record<string, string>>;
  sandboxes: readonly string[];
  recordRequestsTo?: string;
  limits: PlatformLimits;
}

export function resolveOptions(opts: EmulatorOptions): ResolvedOptions {
  return {
    dataDir: opts.dataDir,
    datasets: new Map(opts.datasets.map((d) => [d.id, d])),
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    tenantId: opts.tenantId ?? 'techmarketingdemos',
    orgId: opts.orgId ?? 'DATAFLOWD@AdobeOrg',
    logger: (opts.logger ?? silentLogger).child({ component: 'emulator' }),
    processingDelayMs: opts.processingDelayMs ?? 0,
    clock: opts.clock ?? systemClock,
    clients: opts.clients,
    sandboxes: opts.sandboxes ?? ['prod'],
    limits: { ...ADOBE_LIMITS, ...limitsFromEnv(), ...opts.limits },
    recordRequestsTo: opts.recordRequestsTo ?? (process.env[RECORD_ENV] || undefined),
  };
}

/** The id of a dataset's schema, as its Catalog schemaRef names it: the schema's own $id, or one made from the tenant. */
export function schemaIdOf(dataset: EmulatorDataset, options: Pick<ResolvedOptions, 'tenantId'>): string {
  const own = (dataset.schema as { $id?: unknown } | undefined)?.$id;
  return typeof own === 'string' ? own : `https://ns.adobe.com/${options.tenantId}/schemas/${dataset.id}`;
}

/** Set to JSON such as {"largeFileBytes": 1e12} to lift the guides' limits of an emulator started by the CLI (a benchmark's reference upload). */
export const LIMITS_ENV = 'DATAFLOWD_EMULATOR_LIMITS';

function limitsFromEnv(): Partial<PlatformLimits> {
  const raw = process.env[LIMITS_ENV];
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${LIMITS_ENV} is not JSON: ${raw}`);
  }
  const out: Partial<PlatformLimits> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(key in ADOBE_LIMITS) || typeof value !== 'number' || !(value > 0)) throw new Error(`${LIMITS_ENV}: ${key} is not one of ${Object.keys(ADOBE_LIMITS).join(', ')} with a positive number`);
    out[key as keyof PlatformLimits] = value;
  }
  return out;
}
