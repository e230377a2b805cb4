import { isIP } from 'node:net';
import { isLoopback } from '../config/daemon-schema';

/*
 * Issue 21 item 8: a page on another site must not drive the API through the user's browser.
 * Two doors. The Host header must name this server (a DNS-rebinding page reaches us under its
 * own name); and a request that changes something must come from our own origin, as the
 * browser tells it in Sec-Fetch-Site or Origin (the same rule as Go's CrossOriginProtection).
 */

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARDS = new Set(['0.0.0.0', '::']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A host name as compared: lower case, IPv6 without brackets, no trailing dot. */
function normalize(name: string): string {
  return name
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/**
 * Whether the server answers to a host name: `http.allowedHosts`, the listen address, and the
 * loopback names when loopback is reachable. Listening on every interface, any IP address too:
 * a page can rebind only a name it owns, and an address cannot be one (behind `docker -p` the
 * address people use is not even the container's).
 */
export function hostAllowed(http: { host: string; allowedHosts: readonly string[] }): (name: string) => boolean {
  const listen = normalize(http.host);
  const wildcard = WILDCARDS.has(listen);
  const names = new Set(http.allowedHosts.map(normalize));
  if (!wildcard) names.add(listen);
  if (wildcard || isLoopback(listen)) for (const n of LOOPBACK_NAMES) names.add(n);
  return (name) => names.has(name) || (wildcard && isIP(name) !== 0);
}

/** The host name of a Host header (`name`, `name:port`, `[v6]:port`), or undefined when it is not one. */
export function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::\d{1,5})?$/i.exec(header);
  return m ? normalize(m[1]) : undefined;
}

/** Why a request must be refused as cross-site, or undefined when it may go on. */
export function crossSiteRefusal(method: string, headers: { origin?: string; host?: string; 'sec-fetch-site'?: string }): string | undefined {
  if (SAFE_METHODS.has(method)) return undefined;
  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    return site === 'same-origin' || site === 'none' ? undefined : `a ${site} request cannot change anything here: use the dashboard itself, or the API with its token`;
  }
  const origin = headers.origin;
  // Browsers send Origin with every request that can change state; without it, the caller is no browser.
  if (origin === undefined) return undefined;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    originHost = undefined;
  }
  if (originHost !== undefined && originHost === headers.host?.toLowerCase()) return undefined;
  return 'a request from another origin cannot change anything here: use the dashboard itself, or the API with its token';
}
