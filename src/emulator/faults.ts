import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import { readJsonBody } from './http-body';
import { badRequest, EmulatorHttpError } from './platform-errors';

/*
 * Fault injection, for tests of clients' retries (DESIGN.md §7): per route, a rate of error
 * answers (429 with Retry-After, or 5xx), a rate of connection resets, and added latency.
 * No faults by default. The decision is a pure function of the rules and a random source, so
 * tests can make it deterministic.
 */

export const faultRuleSchema = z.strictObject({
  /** Requests whose path starts with this; default every request. */
  path: z.string().startsWith('/').optional(),
  /** HTTP method, e.g. PUT; default any. */
  method: z.string().min(1).optional(),
  /** Share of matching requests answered with `status`, 0 to 1. */
  errorRate: z.number().min(0).max(1).default(0),
  status: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).default(503),
  /** Sent as Retry-After (seconds) with error answers. */
  retryAfterSeconds: z.number().int().min(0).optional(),
  /** Share of matching requests whose connection is dropped without an answer, 0 to 1. */
  resetRate: z.number().min(0).max(1).default(0),
  /** Added before every matching request is handled. */
  latencyMs: z.number().int().min(0).default(0),
});

export const faultConfigSchema = z.strictObject({ rules: z.array(faultRuleSchema).default([]) });

export type FaultRule = z.output<typeof faultRuleSchema>;
export type FaultConfig = z.output<typeof faultConfigSchema>;
export type FaultConfigInput = z.input<typeof faultConfigSchema>;

export type FaultAction = { kind: 'status'; status: number; retryAfterSeconds?: number } | { kind: 'reset' };

export interface FaultDecision {
  latencyMs: number;
  action?: FaultAction;
}

/** Paths that faults never touch, so a test can always reconfigure them. */
export const ADMIN_PREFIX = '/_emulator/';

export class FaultInjector {
  private config: FaultConfig = { rules: [] };

  constructor(private readonly random: () => number = Math.random) {}

  get(): FaultConfig {
    return this.config;
  }

  /** Replaces the rules; throws a ZodError when they are malformed. */
  set(input: FaultConfigInput): FaultConfig {
    this.config = faultConfigSchema.parse(input);
    return this.config;
  }

  /** The first rule matching the request decides; no rule, no fault. */
  decide(method: string, url: string): FaultDecision | undefined {
    const pathname = url.split('?')[0];
    if (pathname.startsWith(ADMIN_PREFIX)) return undefined;
    const rule = this.config.rules.find(
      (r) => (r.path === undefined || pathname.startsWith(r.path)) && (r.method === undefined || r.method.toUpperCase() === method.toUpperCase()),
    );
    if (!rule) return undefined;
    const decision: FaultDecision = { latencyMs: rule.latencyMs };
    if (rule.resetRate > 0 && this.random() < rule.resetRate) decision.action = { kind: 'reset' };
    else if (rule.errorRate > 0 && this.random() < rule.errorRate) {
      decision.action = { kind: 'status', status: rule.status, retryAfterSeconds: rule.retryAfterSeconds };
    }
    return decision.latencyMs > 0 || decision.action ? decision : undefined;
  }
}

/**
 * Applies the fault injector's decision before anything else looks at a request, and serves
 * GET/PUT /_emulator/faults to read and replace the rules at run time.
 */
export function registerFaults(app: FastifyInstance, faults: FaultInjector, clock: Clock): void {
  app.addHook('onRequest', async (request, reply) => {
    const decision = faults.decide(request.method, request.url);
    if (!decision) return;
    if (decision.latencyMs > 0) await clock.sleep(decision.latencyMs);
    if (decision.action?.kind === 'reset') {
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    if (decision.action) throw injectedError(decision.action);
  });

  app.get('/_emulator/faults', async () => faults.get());

  app.put('/_emulator/faults', async (request) => {
    try {
      return faults.set((await readJsonBody(request)) as never);
    } catch (err) {
      if (err instanceof EmulatorHttpError) throw err;
      throw badRequest(`invalid fault rules: ${(err as Error).message}`);
    }
  });
}

function injectedError(action: Extract<FaultAction, { kind: 'status' }>): EmulatorHttpError {
  const headers: Record<string, string> = {};
  if (action.retryAfterSeconds !== undefined) headers['retry-after'] = String(action.retryAfterSeconds);
  // 429 is the API gateway's throttle answer as seen in the field (aep-api.md §4).
  const body =
    action.status === 429
      ? { error_code: '429050', message: 'Too many requests' }
      : { type: `http://ns.adobe.com/aep/errors/EMU-1501-${action.status}`, status: action.status, title: 'Injected fault' };
  return new EmulatorHttpError(action.status, body, headers);
}
