import type { LoadedConfig } from '../config';

/**
 * The run's page on the dashboard: under http.publicUrl, else under the listen address when it
 * names one host and a fixed port (a wildcard address or port 0 says nothing others can open).
 */
export function runLink(config: LoadedConfig, runId: string): string | undefined {
  const base = dashboardBase(config);
  return base && `${base}/runs/${encodeURIComponent(runId)}`;
}

function dashboardBase(config: LoadedConfig): string | undefined {
  const http = config.daemon.http;
  if (http.publicUrl !== undefined) return http.publicUrl;
  if (http.port === 0 || http.host === '0.0.0.0' || http.host === '::') return undefined;
  return `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}`;
}
