import { createHash } from 'node:crypto';
import type { LoadedConfig, NotificationConfig, NotificationEvent } from '../config';

/** A webhook a dataflow's notifications go to: its own, and dataflowd.yaml's (every dataflow's). */
export interface Webhook {
  /** A hash of the URL: what the outbox keeps instead of the URL, which may be a secret (a Slack hook's is). */
  key: string;
  url: string;
  secret?: string;
  events: readonly NotificationEvent[];
  format: NotificationConfig['format'];
  /** The URL's origin, safe to show. */
  endpoint: string;
}

export function webhookKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}

export function endpointOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'unknown';
  }
}

/**
 * The webhooks of a dataflow, one per URL: a URL named both in its file and in dataflowd.yaml gets
 * each event once (the events of both; the dataflow's format, and its secret, else dataflowd.yaml's).
 */
export function webhooksOf(config: LoadedConfig, dataflow: string): Webhook[] {
  const own = config.dataflows.find((d) => d.name === dataflow)?.notifications ?? [];
  const byKey = new Map<string, Webhook>();
  for (const n of [...own, ...config.daemon.notifications]) {
    const key = webhookKey(n.url);
    const known = byKey.get(key);
    if (known) {
      known.events = [...new Set([...known.events, ...n.events])];
      known.secret ??= n.secret;
      continue;
    }
    byKey.set(key, { key, url: n.url, secret: n.secret, events: [...n.events], format: n.format, endpoint: endpointOf(n.url) });
  }
  return [...byKey.values()];
}

/** The webhook an outbox row names, as the config in force has it now (its secret may have been rotated). */
export function findWebhook(config: LoadedConfig, dataflow: string, key: string): Webhook | undefined {
  return webhooksOf(config, dataflow).find((w) => w.key === key);
}
