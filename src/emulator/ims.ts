import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../lib/clock';
import { readFormParams } from './http-body';
import { imsError } from './platform-errors';

/** IMS tokens for server-to-server credentials last 24 h; expires_in is in seconds (aep-api.md §1.1). */
export const TOKEN_LIFETIME_SECONDS = 86399;

export interface IssuedToken {
  accessToken: string;
  clientId: string;
  expiresAt: number;
}

/**
 * The tokens this emulator issued. Kept in memory only: after a restart clients see 401013 and
 * fetch a new token, which is exactly what they must do against Platform too.
 */
export class TokenRegistry {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly clock: Clock) {}

  issue(clientId: string): IssuedToken {
    this.dropExpired();
    const token: IssuedToken = {
      accessToken: `emu.${randomBytes(24).toString('base64url')}`,
      clientId,
      expiresAt: this.clock.now().getTime() + TOKEN_LIFETIME_SECONDS * 1000,
    };
    this.tokens.set(token.accessToken, token);
    return token;
  }

  /** The token if this emulator issued it and it has not expired. */
  find(accessToken: string): IssuedToken | undefined {
    const token = this.tokens.get(accessToken);
    if (!token || token.expiresAt <= this.clock.now().getTime()) return undefined;
    return token;
  }

  private dropExpired(): void {
    const now = this.clock.now().getTime();
    for (const [key, token] of this.tokens) if (token.expiresAt <= now) this.tokens.delete(key);
  }
}

/**
 * POST /ims/token/v3, the OAuth server-to-server grant (aep-api.md §1.1). Without `clients`, any
 * client id and secret are accepted: the emulator checks the shape of the exchange, not who is
 * asking; with them, an unknown client id or a wrong secret is refused as IMS refuses it.
 */
export function registerImsRoutes(app: FastifyInstance, tokens: TokenRegistry, clients?: Readonly<Record<string, string>>): void {
  app.post('/ims/token/v3', async (request, reply) => {
    const params = await readFormParams(request);
    const grantType = params.get('grant_type');
    if (!grantType) throw imsError(400, 'invalid_request', 'Missing required parameter: grant_type');
    if (grantType !== 'client_credentials') {
      throw imsError(400, 'invalid_request', `Unsupported grant_type: ${grantType}`);
    }
    const clientId = params.get('client_id');
    if (!clientId) throw imsError(400, 'invalid_client', 'Missing required parameter: client_id');
    const secret = params.get('client_secret');
    if (!secret) throw imsError(401, 'invalid_client', 'Missing required parameter: client_secret');
    if (clients && !Object.hasOwn(clients, clientId)) throw imsError(400, 'invalid_client', 'invalid client_id parameter');
    if (clients && clients[clientId] !== secret) throw imsError(400, 'invalid_client', 'invalid client_secret parameter');

    const token = tokens.issue(clientId);
    return reply.code(200).send({
      access_token: token.accessToken,
      token_type: 'bearer',
      expires_in: TOKEN_LIFETIME_SECONDS,
    });
  });
}
