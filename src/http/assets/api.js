/* The JSON API, as the pages ask it. A session that ran out sends the browser to the login form. */

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function toLogin() {
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

async function request(path, init) {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' }, ...init });
  if (res.status === 401) {
    toLogin();
    throw new ApiError('logged out', 401, null);
  }
  const body = await res.json().catch(() => null);
  if (!res.ok && res.status !== 409) {
    throw new ApiError(body?.reason ?? body?.error ?? `${res.status} ${res.statusText}`, res.status, body);
  }
  return body;
}

const enc = encodeURIComponent;

export const api = {
  dataflows: () => request('/api/dataflows'),
  dataflow: (name) => request(`/api/dataflows/${enc(name)}`),
  runs: (name, { limit, skipped }) => request(`/api/dataflows/${enc(name)}/runs?limit=${limit}${skipped === false ? '&skipped=false' : ''}`),
  run: (id) => request(`/api/runs/${enc(id)}`),
  /** { started, runId, reason, requestedAt } */
  runNow: (name) => request(`/api/dataflows/${enc(name)}/runs`, { method: 'POST' }),
};
