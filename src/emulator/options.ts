import type { Clock } from '../lib/clock';
import { systemClock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { silentLogger } from '../lib/logger';
import type { FaultConfigInput } from './faults';

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
  /** Faults to inject from the start (see faults.ts); default none. Malformed rules fail the start. */
  faults?: FaultConfigInput;
  /**
   * Client id → secret: IMS then issues tokens to these credentials only, as Adobe's does. By
   * default any credential gets a token (the emulator checks the exchange's shape, not who asks).
   */
  clients?: Readonly<Record<string, string>>;
  /** The org's sandboxes, as the Sandbox API lists them to any credential; default ['prod']. */
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
  };
}
