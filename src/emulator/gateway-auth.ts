import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GATEWAY_ERRORS } from './platform-errors';
import type { TokenRegistry } from './ims';

/**
 * The API gateway in front of every /data/… service: the four headers of aep-api.md §1.2, checked
 * in the gateway's order, answered with its error codes. The org header is required but not
 * matched against the emulator's org, so any configured org id works locally; the sandbox must be
 * one of the emulator's.
 */
export function registerGatewayAuth(app: FastifyInstance, tokens: TokenRegistry, sandboxes: readonly string[]): void {
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/data/')) return;
    checkGatewayHeaders(request, tokens, sandboxes);
  });
}

function checkGatewayHeaders(request: FastifyRequest, tokens: TokenRegistry, sandboxes: readonly string[]): void {
  const authorization = header(request, 'authorization');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!authorization) throw GATEWAY_ERRORS.missingToken();
  const token = match ? tokens.find(match[1]) : undefined;
  if (!token) throw GATEWAY_ERRORS.invalidToken();

  const apiKey = header(request, 'x-api-key');
  if (!apiKey) throw GATEWAY_ERRORS.missingApiKey();
  // The API key is the client id the token was issued to (aep-api.md §1.1).
  if (apiKey !== token.clientId) throw GATEWAY_ERRORS.invalidApiKey();

  if (!header(request, 'x-gw-ims-org-id')) throw GATEWAY_ERRORS.missingHeader('x-gw-ims-org-id');
  const sandbox = header(request, 'x-sandbox-name');
  if (!sandbox) throw GATEWAY_ERRORS.missingHeader('x-sandbox-name');
  // Platform works in the org's sandboxes only; which code it answers for another is not in the
  // reference, so the emulator answers as for any credential refused by the gateway.
  if (!sandboxes.includes(sandbox)) throw GATEWAY_ERRORS.unknownSandbox(sandbox);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first;
}
