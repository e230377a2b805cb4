import { isIP } from 'node:net';
import { z } from 'zod';
import { EVEN_WITH_ISSUES, httpUrlSchema, nameSchema, nonEmptyString } from './common-schemas';
import { notificationsSchema } from './notification-schema';
import { secret } from './secret-fields';
import { durationSchema } from './units';

/** The shape of `dataflowd.yaml` (DESIGN.md §3). */

export const DEFAULT_SCOPES = ['openid', 'AdobeID', 'read_organizations', 'additional_info.projectedProductContext', 'session'];

export const datasetSchema = z
  .strictObject({
    id: nonEmptyString.meta({ description: 'Dataset id, as dataflows name it in target.dataset' }),
    name: nonEmptyString.optional().meta({ description: 'Display name (default: the id); dataflows may use it too' }),
    schema: nonEmptyString.meta({ description: "JSON Schema file of the dataset's records, relative to this file" }),
  })
  .transform((d) => ({ ...d, name: d.name ?? d.id }));

const datasetsSchema = z
  .array(datasetSchema)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((d, i) => {
      const id = (d as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') return;
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate dataset id, also datasets[${first}]` });
    });
  }, EVEN_WITH_ISSUES)
  .default([])
  .meta({ description: 'Datasets the emulator serves (embedded mode, `dataflowd emulator --config`)' });

const embeddedPlatformSchema = z.strictObject({
  mode: z.literal('embedded').default('embedded').meta({ description: 'Run the bundled emulator in-process' }),
  datasets: datasetsSchema,
});

const aepPlatformSchema = z.strictObject({
  mode: z.literal('aep').meta({ description: 'A real Platform (or a remote emulator via endpoint)' }),
  endpoint: httpUrlSchema.default('https://platform.adobe.io'),
  imsEndpoint: httpUrlSchema.default('https://ims-na1.adobelogin.com'),
  clientId: nonEmptyString,
  clientSecret: secret(z.string().min(1)),
  orgId: nonEmptyString.meta({ description: 'Like 0123456789ABCDEF@AdobeOrg' }),
  sandbox: nonEmptyString.default('prod'),
  scopes: z.array(nonEmptyString).min(1).default(DEFAULT_SCOPES),
  datasets: datasetsSchema,
});

export const platformSchema = z.discriminatedUnion('mode', [embeddedPlatformSchema, aepPlatformSchema]);

/** How long a run's lease on its dataflow lasts without a heartbeat, and how often it is renewed. */
export const leaseSchema = z
  .strictObject({
    ttl: durationSchema.prefault('30s').meta({ description: 'A lease not renewed for this long is taken over by another process (ms when loaded)' }),
    heartbeat: durationSchema.prefault('10s').meta({ description: 'How often a holder renews its lease; well inside ttl (ms when loaded)' }),
  })
  .superRefine((l, ctx) => {
    if (typeof l.ttl === 'number' && typeof l.heartbeat === 'number' && l.heartbeat * 2 > l.ttl) {
      ctx.addIssue({ code: 'custom', path: ['heartbeat'], message: 'must be at most half of ttl, so that one late heartbeat does not lose the lease' });
    }
  }, EVEN_WITH_ISSUES);

/**
 * `sqlite:PATH` (relative to dataflowd.yaml's folder; absolute once loaded) or `postgres://`.
 * Without one, the loader puts the state in the data folder (data-dir.ts).
 */
export const stateSchema = z.strictObject({
  url: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, { error: 'expected sqlite:PATH or postgres://user@host:5432/db' })
    .optional()
    .meta({
      description:
        'sqlite:PATH (relative to this file) or postgres://user@host:5432/db. Default: sqlite:$DATAFLOWD_DATA/state.db (/data/state.db in the image), else data/state.db in the working directory',
    }),
  lease: leaseSchema.prefault({}).meta({ description: 'Leases: which process runs each dataflow now' }),
});

const LISTEN = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

function parseListen(s: string): { host: string; port: number } | undefined {
  const m = LISTEN.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  return port <= 65535 ? { host: m[1] ?? m[2], port } : undefined;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A name the HTTP server answers to, as a Host header carries it without its port: lower case, IPv6 without brackets. */
const allowedHostSchema = z
  .string()
  .transform((s) => s.toLowerCase().replace(/^\[(.*)\]$/, '$1'))
  .refine((s) => DNS_NAME.test(s) || isIP(s) !== 0, {
    error: (iss) => `"${String(iss.input)}" is not a host name or IP address (no scheme, port or path), e.g. dataflowd.example.com`,
  });

/** `host` and `port` are added from `listen` in the loaded config. */
export const httpSchema = z
  .strictObject({
    listen: z
      .string()
      .refine((s) => parseListen(s) !== undefined, { error: 'expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080' })
      .default('127.0.0.1:8080'),
    token: secret(z.string().min(1))
      .optional()
      .meta({ description: 'Bearer token of the API; required when listen is not a loopback address' }),
    allowedHosts: z.array(allowedHostSchema).default([]).meta({
      description:
        'Host names the dashboard and API answer to, besides the listen address (and localhost, 127.0.0.1, ::1 on loopback; those and any IP address on every interface); any other Host header is refused (DNS rebinding)',
    }),
    sessionTtl: durationSchema.prefault('12h').meta({ description: 'How long a dashboard login lasts (ms when loaded)' }),
    publicUrl: httpUrlSchema.optional().meta({
      description: 'The dashboard as others reach it (e.g. https://dataflowd.example.com), for the links in notifications; default http://LISTEN when listen names a host',
    }),
  })
  .superRefine((h, ctx) => {
    const l = typeof h.listen === 'string' ? parseListen(h.listen) : undefined;
    if (l && !isLoopback(l.host) && h.token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'required when listen is not a loopback address' });
    }
  }, EVEN_WITH_ISSUES)
  .transform((h) => ({ ...h, ...(parseListen(h.listen) as { host: string; port: number }) }));

export const limitsSchema = z.strictObject({
  runs: z.int().min(1).default(2).meta({ description: 'Dataflows running at once' }),
  files: z.int().min(1).default(4).meta({ description: 'Files uploading at once, per run' }),
});

/** Before its connector's schema checks the rest: a `type` naming the connector. */
export const connectionSchema = z.looseObject({
  type: nonEmptyString.meta({ description: 'The connector: local, sftp, ftp, s3, azure-blob' }),
});

/** dataflowd.yaml with `connections` validated by `connection` (the loader's, or every connector's). */
export function buildDaemonSchema<C extends z.ZodType>(connection: C) {
  return z.strictObject({
    platform: platformSchema.prefault({}),
    state: stateSchema.prefault({}),
    http: httpSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    connections: z.record(nameSchema, connection).default({}).meta({ description: 'How to reach each storage account' }),
    notifications: notificationsSchema.meta({ description: 'Webhooks for every dataflow' }),
  });
}

export const daemonSchema = buildDaemonSchema(connectionSchema);

export type DatasetConfig = z.output<typeof datasetSchema>;
export type PlatformConfig = z.output<typeof platformSchema>;
export type EmbeddedPlatformConfig = z.output<typeof embeddedPlatformSchema>;
export type AepPlatformConfig = z.output<typeof aepPlatformSchema>;
/** As loaded: the url always there, a SQLite path absolute. */
export type StateConfig = Omit<z.output<typeof stateSchema>, 'url'> & { url: string };
export type HttpConfig = z.output<typeof httpSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
/** A connection as its connector's schema parsed it; `type` names the connector. */
export type ConnectionConfig = z.output<typeof connectionSchema>;
export type DaemonConfig = Omit<z.output<typeof daemonSchema>, 'state'> & { state: StateConfig };
