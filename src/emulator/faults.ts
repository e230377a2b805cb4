import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import { readJsonBody } from './http-body';
import { badRequest, EmulatorHttpError } from './platform-errors';

/*
 * Fault injection, for tests of clients' retries and exactly-once (DESIGN.md §7). Per route: a
 * share of error answers (429 with Retry-After, 5xx), of connections dropped before an answer,
 * of uploads cut off half-way through their body, and added latency. Per emulator: a share of
 * completed batches that end `failed`, and scripts of the statuses Catalog shows of completed
 * batches (every documented one can be reached this way). No faults by default; set them at start-up
 * (EmulatorOptions.faults, `dataflowd emulator --faults FILE`) or at run time with
 * PUT /_emulator/faults. Decisions are a pure function of the rules and a random source, so
 * tests can make them deterministic; GET /_emulator/faults/injected counts what was done.
 */

const errorStatus = z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal(504)]);
const rate = z.number().min(0).max(1);

export const faultRuleSchema = z
  .strictObject({
    /** Requests whose path starts with this; default every request. */
    path: z.string().startsWith('/').optional(),
    /** HTTP method, e.g. PUT; default any. */
    method: z.string().min(1).optional(),
    /** Share of matching requests answered with `status`, 0 to 1. */
    errorRate: rate.default(0),
    /** The error answer, or several to pick from at random. */
    status: z.union([errorStatus, z.array(errorStatus).min(1)]).default(503),
    /** Sent as Retry-After with 429 and 503 answers (the statuses that carry it, RFC 9110 §10.2.3). */
    retryAfterSeconds: z.number().int().min(0).optional(),
    /** Retry-After as an HTTP date (that many seconds from now) rather than in seconds. */
    retryAfterAsDate: z.boolean().default(false),
    /** Share of matching requests whose connection is dropped without an answer, 0 to 1. */
    resetRate: rate.default(0),
    /**
     * Share of matching requests whose connection is dropped once half their body has arrived
     * (an upload cut off in the middle); on a request without a body, a plain reset.
     */
    midUploadResetRate: rate.default(0),
    /** Added before every matching request is handled. */
    latencyMs: z.number().int().min(0).default(0),
    /**
     * Holds every matching request until the rules are next replaced (a Platform that stalls):
     * lets a test keep a client waiting at a chosen call for exactly as long as it needs.
     */
    hold: z.boolean().default(false),
  })
  .refine((r) => r.errorRate + r.resetRate + r.midUploadResetRate <= 1, { message: 'errorRate + resetRate + midUploadResetRate must not exceed 1' });

/** The step of a status script that stands for the batch's real processing and its result. */
export const OUTCOME_STEP = 'outcome';

export const batchStatusRuleSchema = z.strictObject({
  /** Batches of this dataset; default any. */
  datasetId: z.string().min(1).optional(),
  /** Share of completed batches the rule takes, 0 to 1; default all. */
  rate: rate.default(1),
  /** At most this many batches; default no limit. */
  times: z.number().int().min(1).optional(),
  /**
   * What Catalog shows of the batch, one step per read of it (GET /catalog/batches/{id}), from
   * COMPLETE on: any status (Catalog's, e.g. staging, retrying, stalled, abandoned, inactive, or
   * one Platform never documented), and `outcome` for the batch's real processing, shown as
   * `processing` until its result. Without `outcome` the batch is never processed and stays at
   * the last step; after it, later steps follow the result (e.g. `[outcome, inactive]`).
   */
  sequence: z.array(z.string().regex(/^[a-z][a-z_]*$/, 'a status is a lower-case word')).min(1),
});

export const faultConfigSchema = z.strictObject({
  rules: z.array(faultRuleSchema).default([]),
  /** Share of completed batches that end `failed` whatever their records, 0 to 1. */
  batchFailureRate: rate.default(0),
  /** Scripts of the statuses Catalog reports for completed batches; the first rule taking a batch decides. */
  batchStatuses: z.array(batchStatusRuleSchema).default([]),
});

export type FaultRule = z.output<typeof faultRuleSchema>;
export type FaultConfig = z.output<typeof faultConfigSchema>;
export type FaultConfigInput = z.input<typeof faultConfigSchema>;

export type FaultAction =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; retryAfterAsDate?: boolean }
  | { kind: 'reset' }
  | { kind: 'mid-upload-reset' };

export interface FaultDecision {
  latencyMs: number;
  /** Resolves when the rules are replaced (a `hold` rule). */
  hold?: Promise<void>;
  action?: FaultAction;
}

/** What the injector has done since it was made (or last reset): the figures tests report. */
export interface InjectedFaults {
  /** Requests a rule matched (every one of them may have been hit). */
  matched: number;
  statuses: Record<string, number>;
  resets: number;
  midUploadResets: number;
  delayed: number;
  failedBatches: number;
  /** Completed batches given a status script. */
  scriptedBatches: number;
}

/** Paths that faults never touch, so a test can always reconfigure them. */
export const ADMIN_PREFIX = '/_emulator/';

function noneInjected(): InjectedFaults {
  return { matched: 0, statuses: {}, resets: 0, midUploadResets: 0, delayed: 0, failedBatches: 0, scriptedBatches: 0 };
}

export class FaultInjector {
  private config: FaultConfig = { rules: [], batchFailureRate: 0, batchStatuses: [] };
  private counts = noneInjected();
  private release = gate();
  /** Batches each status rule took, by its index. */
  private scripted: number[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  get(): FaultConfig {
    return this.config;
  }

  /** Replaces the rules; throws a ZodError when they are malformed. */
  set(input: FaultConfigInput): FaultConfig {
    this.config = faultConfigSchema.parse(input);
    this.release.open();
    this.release = gate();
    this.scripted = [];
    return this.config;
  }

  /** Asked once per completed batch: the statuses Catalog is to show of it, if a rule takes it. */
  statusScript(datasetId: string): string[] | undefined {
    for (const [i, rule] of this.config.batchStatuses.entries()) {
      if (rule.datasetId !== undefined && rule.datasetId !== datasetId) continue;
      if (rule.times !== undefined && (this.scripted[i] ?? 0) >= rule.times) continue;
      if (rule.rate < 1 && this.random() >= rule.rate) continue;
      this.scripted[i] = (this.scripted[i] ?? 0) + 1;
      this.counts.scriptedBatches++;
      return [...rule.sequence];
    }
    return undefined;
  }

  injected(): InjectedFaults {
    return structuredClone(this.counts);
  }

  resetCounts(): void {
    this.counts = noneInjected();
  }

  /** The first rule matching the request decides; no rule, no fault. One roll picks the fault. */
  decide(method: string, url: string): FaultDecision | undefined {
    const pathname = url.split('?')[0];
    if (pathname.startsWith(ADMIN_PREFIX)) return undefined;
    const rule = this.config.rules.find(
      (r) => (r.path === undefined || pathname.startsWith(r.path)) && (r.method === undefined || r.method.toUpperCase() === method.toUpperCase()),
    );
    if (!rule) return undefined;
    this.counts.matched++;
    const decision: FaultDecision = { latencyMs: rule.latencyMs };
    if (rule.hold) decision.hold = this.release.promise;
    if (rule.resetRate + rule.midUploadResetRate + rule.errorRate > 0) {
      const roll = this.random();
      if (roll < rule.resetRate) decision.action = { kind: 'reset' };
      else if (roll < rule.resetRate + rule.midUploadResetRate) decision.action = { kind: 'mid-upload-reset' };
      else if (roll < rule.resetRate + rule.midUploadResetRate + rule.errorRate) {
        const statuses = Array.isArray(rule.status) ? rule.status : [rule.status];
        const status = statuses.length === 1 ? statuses[0] : statuses[Math.min(statuses.length - 1, Math.floor(this.random() * statuses.length))];
        decision.action = { kind: 'status', status, retryAfterSeconds: rule.retryAfterSeconds };
        if (rule.retryAfterAsDate) decision.action.retryAfterAsDate = true;
      }
    }
    return decision.latencyMs > 0 || decision.hold || decision.action ? decision : undefined;
  }

  /** Asked once per completed batch: whether to fail it on purpose. */
  failBatch(): boolean {
    if (this.config.batchFailureRate <= 0 || this.random() >= this.config.batchFailureRate) return false;
    this.counts.failedBatches++;
    return true;
  }

  /** Counts an action as it is carried out (a mid-upload reset on a bodiless request counts as a reset). */
  count(decision: FaultDecision, action: FaultAction | undefined): void {
    if (decision.latencyMs > 0) this.counts.delayed++;
    if (action?.kind === 'reset') this.counts.resets++;
    else if (action?.kind === 'mid-upload-reset') this.counts.midUploadResets++;
    else if (action?.kind === 'status') this.counts.statuses[action.status] = (this.counts.statuses[action.status] ?? 0) + 1;
  }
}

/**
 * Applies the fault injector's decision before anything else looks at a request, and serves
 * GET/PUT /_emulator/faults to read and replace the rules at run time (PUT also zeroes the
 * counts) and GET /_emulator/faults/injected for the counts.
 */
export function registerFaults(app: FastifyInstance, faults: FaultInjector, clock: Clock): void {
  app.addHook('onRequest', async (request, reply) => {
    const decision = faults.decide(request.method, request.url);
    if (!decision) return;
    let action = decision.action;
    if (action?.kind === 'mid-upload-reset' && !hasBody(request)) action = { kind: 'reset' };
    faults.count(decision, action);
    if (decision.latencyMs > 0 && !(await delay(request, clock, decision.latencyMs))) {
      reply.hijack();
      return;
    }
    if (decision.hold && !(await held(request, decision.hold))) {
      reply.hijack();
      return;
    }
    if (action?.kind === 'reset' || action?.kind === 'mid-upload-reset') {
      reply.hijack();
      if (action.kind === 'mid-upload-reset') await halfTheBody(request);
      request.raw.socket.destroy();
      return;
    }
    if (action) throw injectedError(action, clock.now());
  });

  app.get('/_emulator/faults', async () => faults.get());

  app.get('/_emulator/faults/injected', async () => faults.injected());

  app.put('/_emulator/faults', async (request) => {
    try {
      const config = faults.set((await readJsonBody(request)) as never);
      faults.resetCounts();
      return config;
    } catch (err) {
      if (err instanceof EmulatorHttpError) throw err;
      throw badRequest(`invalid fault rules: ${(err as Error).message}`);
    }
  });
}

/**
 * Holds a request for `ms`; false when its client hung up first. A held request must not hold
 * the process: a test that kills its client and closes the emulator ends at once, not a minute
 * later when a long latency would have run out.
 */
async function delay(request: FastifyRequest, clock: Clock, ms: number): Promise<boolean> {
  const socket = request.raw.socket;
  if (socket.destroyed) return false;
  const gone = new AbortController();
  const hangUp = () => gone.abort();
  socket.once('close', hangUp);
  try {
    await clock.sleep(ms, gone.signal);
    return true;
  } catch (err) {
    if (gone.signal.aborted) return false;
    throw err;
  } finally {
    socket.off('close', hangUp);
  }
}

/** A promise and the function that resolves it (Promise.withResolvers is Node 22). */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Holds a request until `until` resolves; false when its client hung up first. */
async function held(request: FastifyRequest, until: Promise<void>): Promise<boolean> {
  const socket = request.raw.socket;
  if (socket.destroyed) return false;
  let hangUp = () => undefined as void;
  const gone = new Promise<false>((resolve) => {
    hangUp = () => resolve(false);
    socket.once('close', hangUp);
  });
  try {
    return await Promise.race([until.then(() => true), gone]);
  } finally {
    socket.off('close', hangUp);
  }
}

function hasBody(request: FastifyRequest): boolean {
  const length = Number(request.headers['content-length'] ?? 0);
  return length > 0 || request.headers['transfer-encoding'] !== undefined;
}

/** Reads the request until half its announced length (or its first bytes) have arrived. */
function halfTheBody(request: FastifyRequest): Promise<void> {
  const length = Number(request.headers['content-length'] ?? 0);
  const cut = Math.max(1, Math.floor(length / 2));
  const raw = request.raw;
  let seen = 0;
  return new Promise<void>((resolve) => {
    const done = () => {
      raw.off('data', onData).off('end', done).off('error', done).off('close', done);
      raw.pause();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen >= cut) done();
    };
    raw.on('data', onData).once('end', done).once('error', done).once('close', done);
  });
}

function injectedError(action: Extract<FaultAction, { kind: 'status' }>, now: Date): EmulatorHttpError {
  const headers: Record<string, string> = {};
  if (action.retryAfterSeconds !== undefined && (action.status === 429 || action.status === 503)) {
    headers['retry-after'] = action.retryAfterAsDate
      ? new Date(Math.ceil(now.getTime() / 1000) * 1000 + action.retryAfterSeconds * 1000).toUTCString()
      : String(action.retryAfterSeconds);
  }
  // 429 is the API gateway's throttle answer as seen in the field (aep-api.md §4).
  const body =
    action.status === 429
      ? { error_code: '429050', message: 'Too many requests' }
      : { type: `http://ns.adobe.com/aep/errors/EMU-1501-${action.status}`, status: action.status, title: 'Injected fault' };
  return new EmulatorHttpError(action.status, body, headers);
}
