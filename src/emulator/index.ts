import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { registerBatchRoutes } from './batch-routes';
import { registerContractHook } from './contract/contract-hook';
import { noteRefusal, registerRequestRecorder } from './contract/request-recorder';
import { BatchProcessor } from './batch-processor';
import { BatchStore } from './batch-store';
import { registerCatalogRoutes } from './catalog-routes';
import { registerDataAccessRoutes } from './data-access-routes';
import { FaultInjector, registerFaults } from './faults';
import { registerFileUploadRoutes } from './file-upload-routes';
import { registerGatewayAuth } from './gateway-auth';
import { registerRawBodies } from './http-body';
import { registerImsRoutes, TokenRegistry } from './ims';
import { resolveOptions, type EmulatorOptions, type ResolvedOptions } from './options';
import { EmulatorHttpError, problem, PROBLEM_CODES } from './platform-errors';
import { RecordValidators } from './record-validator';
import { registerSchemaRegistryRoutes } from './schema-registry-routes';
import { StatusScripts } from './status-script';

export type { EmulatorDataset, EmulatorOptions } from './options';
export type { FaultConfig, FaultConfigInput, FaultRule, InjectedFaults } from './faults';
export { FaultInjector, faultConfigSchema } from './faults';

/** A running Platform emulator (DESIGN.md §7). */
export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:43123: both the Platform endpoint and the IMS endpoint. */
  url: string;
  port: number;
  dataDir: string;
  /** Fault rules, also reachable over HTTP at /_emulator/faults. */
  faults: FaultInjector;
  /** Stops processing, then the server; batches in 'processing' resume on the next start. */
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const options = resolveOptions(opts);
  // Compiling every schema first makes a broken schema fail start-up, not the first batch.
  const validators = new RecordValidators(options.datasets.values());
  const faults = new FaultInjector();
  if (opts.faults !== undefined) faults.set(opts.faults);
  const store = await BatchStore.open(options.dataDir, options.logger);
  const processor = new BatchProcessor({ store, validators, clock: options.clock, logger: options.logger, delayMs: options.processingDelayMs, faults, maxFieldsPerRecord: options.limits.maxFieldsPerRecord });
  const scripts = new StatusScripts({ faults, processor, store, clock: options.clock });
  const app = buildApp(options, { store, processor, faults, scripts });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await processor.close();
    throw err;
  }
  // Batches a previous run left mid-processing are processed again from their uploaded files.
  for (const batch of store.all()) if (batch.status === 'processing') processor.schedule(batch);

  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  options.logger.info({ url: `http://${host}:${port}`, dataDir: options.dataDir }, 'platform emulator listening');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    dataDir: options.dataDir,
    faults,
    close() {
      closing ??= (async () => {
        await processor.close();
        await app.close();
        await store.flush();
      })();
      return closing;
    },
  };
}

/** The code of an error answer: the last part of a problem's type, or the gateway's error_code. */
function refusalCode(body: Record<string, unknown>): string {
  if (typeof body.type === 'string') return body.type.split('/').pop() ?? body.type;
  return String(body.error_code ?? body.error ?? 'error');
}

function buildApp(options: ResolvedOptions, parts: { store: BatchStore; processor: BatchProcessor; faults: FaultInjector; scripts: StatusScripts }): FastifyInstance {
  const { store, processor, faults, scripts } = parts;
  const app = Fastify({
    // Requests are logged at debug level by the onResponse hook below, with the emulator's logger.
    logger: false,
    // Uploads of hundreds of megabytes may take longer than Node's default request timeout.
    requestTimeout: 0,
    // File paths in URLs may be long (Platform allows URLs up to 2000 characters).
    routerOptions: { maxParamLength: 2000 },
    forceCloseConnections: true,
  });
  const tokens = new TokenRegistry(options.clock);

  registerRawBodies(app);
  registerFaults(app, faults, options.clock);
  if (options.recordRequestsTo !== undefined) registerRequestRecorder(app, options.recordRequestsTo);
  registerGatewayAuth(app, tokens, options.sandboxes);
  registerContractHook(app);
  registerImsRoutes(app, tokens, options.clients);
  registerBatchRoutes(app, { options, store, processor, scripts });
  registerFileUploadRoutes(app, { options, store });
  registerCatalogRoutes(app, { options, store, scripts, startedAt: options.clock.now().getTime() });
  registerDataAccessRoutes(app, { store });
  registerSchemaRegistryRoutes(app, options);

  app.addHook('onResponse', async (request, reply) => {
    options.logger.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'emulator request');
  });
  app.setNotFoundHandler((request, reply) => {
    // Reached only by what Adobe's API description has but the emulator does not serve, or by
    // paths outside /data/ (the contract hook answers the rest).
    const err = problem(404, PROBLEM_CODES.routeNotFound, 'Not Found', `the emulator does not serve ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).send(err.body);
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof EmulatorHttpError) noteRefusal(request, refusalCode(err.body));
    if (err instanceof EmulatorHttpError) return reply.code(err.statusCode).headers(err.headers).type('application/json').send(err.body);
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) options.logger.error({ err, url: request.url }, 'emulator request failed');
    const code = status === 500 ? PROBLEM_CODES.internal : PROBLEM_CODES.badRequest;
    return reply.code(status).type('application/json').send({ type: `http://ns.adobe.com/aep/errors/${code}`, status, title: err.message });
  });
  return app;
}
