import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { LoadedConfig, secretValues } from './config';
import { dataDir } from './config/data-dir';
import type { Emulator } from './emulator';
import type { Clock } from './lib/clock';
import type { Logger } from './lib/logger';
import { Redact, redactor } from './lib/redact';
import { PlatformClient } from './platform';
import { DataflowRunner } from './run/dataflow-runner';
import { LeaseKeeper, thisProcess } from './run/lease';
import { openStore } from './store/open-store';
import { parseStoreUrl } from './store/store-url';
import type { Store } from './store/types';

export interface Services {
  config: LoadedConfig;
  store: Store;
  platform: PlatformClient;
  /** The in-process Platform emulator, in embedded mode. */
  emulator?: Emulator;
  /** This process's leases (one owner per process). */
  leases: LeaseKeeper;
  /** Runs dataflows of `config`. */
  runner: DataflowRunner;
  /** After a config reload: the secrets the store blanks out of the errors it keeps are the new config's. */
  redactSecretsOf(config: LoadedConfig): void;
  close(): Promise<void>;
}

/**
 * Where the embedded Platform keeps its batches: beside the SQLite state, else (PostgreSQL state,
 * or none on disk) in the data folder ($DATAFLOWD_DATA) — never beside the config, which may be
 * read-only.
 */
export function embeddedDataDir(config: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string {
  const location = parseStoreUrl(config.daemon.state.url, config.dir);
  if (location.kind === 'sqlite') return path.join(path.dirname(location.filename), 'platform');
  return path.join(dataDir(env), 'platform');
}

/** The emulator's view of the config's datasets, with their JSON Schemas loaded. */
export function emulatorDatasets(config: LoadedConfig) {
  return config.daemon.platform.datasets.map((d) => ({ id: d.id, name: d.name, schema: config.schemas[d.schema] }));
}

/**
 * Opens what every command that touches data needs: the store, and Platform — in embedded mode
 * the emulator in-process on a free loopback port, reached through the same client over HTTP
 * as a real Platform (DESIGN.md §7: one code path to Platform).
 */
export async function openServices(
  config: LoadedConfig,
  logger: Logger,
  clock: Clock,
): Promise<Services> {
  let redact: Redact = redactor(secretValues(config));
  const store = await openStore(config.daemon.state.url, { baseDir: config.dir, logger, clock, redact: (text) => redact(text) });
  let emulator: Emulator | undefined;
  let platform: PlatformClient;
  try {
    const p = config.daemon.platform;
    if (p.mode === 'embedded') {
      // Loaded only in embedded mode: a process that talks to Adobe never needs it (~10 MB).
      const { startEmulator } = await import('./emulator/index.js');
      emulator = await startEmulator({ dataDir: embeddedDataDir(config), datasets: emulatorDatasets(config), logger });
      platform = new PlatformClient({
        endpoint: emulator.url,
        imsEndpoint: emulator.url,
        clientId: 'dataflowd-embedded',
        clientSecret: randomBytes(16).toString('hex'),
        orgId: 'DATAFLOWD@AdobeOrg',
        sandbox: 'prod',
        scopes: ['openid', 'AdobeID'],
        logger,
        clock,
      });
    } else {
      platform = new PlatformClient({ ...p, logger, clock });
    }
  } catch (err) {
    await store.close();
    await emulator?.close();
    throw err;
  }
  const { ttl, heartbeat } = config.daemon.state.lease;
  const leases = new LeaseKeeper(store, thisProcess(), { ttlMs: ttl, heartbeatMs: heartbeat }, clock, logger);
  const runner = new DataflowRunner({ config, store, leases, platform, logger, clock });
  return {
    config,
    store,
    platform,
    emulator,
    leases,
    runner,
    redactSecretsOf(next) {
      redact = redactor(secretValues(next));
    },
    async close() {
      await platform.close();
      await emulator?.close();
      await store.close();
    },
  };
}
