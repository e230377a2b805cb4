import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../lib/clock';
import { crossSiteRefusal, hostAllowed, hostOf } from './host-guard';
import { localPath, loginPage } from './pages';
import { cookieValue, sameSecret, SESSION_COOKIE, Sessions } from './sessions';

/*
 * Who may ask what. In order, for every request but the health probes: the Host must be one of
 * ours, a request that changes something must not come from another site, and with `http.token`
 * set the caller needs the bearer token (API clients) or a session cookie (browsers, after the
 * login form). A browser without a session is sent to the login form; an API client gets 401.
 */

export interface AccessConfig {
  host: string;
  allowedHosts: readonly string[];
  token?: string;
  sessionTtl: number;
}

export interface Access {
  /** Whether the request came in with a dashboard session (the page then offers to log out). */
  hasSession(req: FastifyRequest): boolean;
}

const PROBES = new Set(['/healthz', '/readyz']);
const isPublic = (path: string) => path === '/login' || path === '/logout' || path.startsWith('/assets/');
export const isPage = (path: string) => path === '/' || path.startsWith('/dataflows/') || path.startsWith('/runs/');
const pathOf = (url: string) => url.split('?')[0];

function bearerToken(req: FastifyRequest): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
}

export function guardAccess(app: FastifyInstance, config: AccessConfig, clock: Clock): Access {
  const allowed = hostAllowed(config);
  const { token } = config;
  const sessions = token === undefined ? undefined : new Sessions(token, config.sessionTtl, clock);
  const sessionOf = (req: FastifyRequest) => cookieValue(req.headers.cookie, SESSION_COOKIE);
  const hasSession = (req: FastifyRequest) => sessions?.valid(sessionOf(req)) ?? false;
  const hasBearer = (req: FastifyRequest) => token !== undefined && sameSecret(bearerToken(req) ?? '', token);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(req.url);
    if (PROBES.has(path)) return;
    const host = hostOf(req.headers.host);
    if (host === undefined || !allowed(host)) {
      return reply.code(403).send({ error: `this server does not answer to the host name "${host ?? ''}": add it to http.allowedHosts` });
    }
    const bearer = hasBearer(req);
    const refusal = bearer ? undefined : crossSiteRefusal(req.method, req.headers as Record<string, string | undefined>);
    if (refusal) return reply.code(403).send({ error: refusal });
    if (token === undefined || bearer || isPublic(path) || hasSession(req)) return;
    if (req.method === 'GET' && isPage(path)) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a valid bearer token is required (or a dashboard login)' });
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get<{ Querystring: { next?: string } }>('/login', async (req, reply) => {
    const next = localPath(req.query.next);
    if (!sessions || hasSession(req)) return reply.redirect(next, 303);
    return reply.type('text/html; charset=utf-8').send(loginPage({ next, failed: false }));
  });

  app.post<{ Body: { token?: unknown; next?: unknown } | undefined }>('/login', async (req, reply) => {
    const next = localPath(req.body?.next);
    if (!sessions || token === undefined) return reply.redirect(next, 303);
    const given = typeof req.body?.token === 'string' ? req.body.token : '';
    if (!sameSecret(given, token)) return reply.code(401).type('text/html; charset=utf-8').send(loginPage({ next, failed: true }));
    const { value, maxAgeSeconds } = sessions.issue();
    return reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`).redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    sessions?.revoke(sessionOf(req));
    return reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).redirect('/login', 303);
  });

  return { hasSession };
}
