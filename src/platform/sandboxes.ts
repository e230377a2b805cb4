import { PlatformHttp } from './platform-http';

/** A sandbox the credential may use, as the Sandbox API lists it. */
export interface Sandbox {
  name: string;
  title?: string;
  /** active, creating, deleted, failed, … */
  state?: string;
  type?: string;
}

/**
 * GET /data/foundation/sandbox-management/ — the sandboxes available to the calling credential.
 * Unlike the admin endpoints (/sandboxes), it needs no Sandbox Administration permission.
 */
export async function availableSandboxes(http: PlatformHttp, signal?: AbortSignal): Promise<Sandbox[]> {
  const { body } = await http.json({ method: 'GET', path: '/data/foundation/sandbox-management/', signal });
  const list = (body as { sandboxes?: unknown } | undefined)?.sandboxes;
  if (!Array.isArray(list)) return [];
  return list
    .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && typeof (s as { name?: unknown }).name === 'string')
    .map((s) => ({
      name: s.name as string,
      title: typeof s.title === 'string' ? s.title : undefined,
      state: typeof s.state === 'string' ? s.state : undefined,
      type: typeof s.type === 'string' ? s.type : undefined,
    }));
}
