/*
 * The HTML the server writes itself: the shell every dashboard page starts from (the script
 * fills it from the API, as text only) and the login form. No inline script or style anywhere,
 * so the Content-Security-Policy can forbid both.
 */

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers every answer carries: no framing, no sniffing, no referrer beyond this site. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function layout(title: string, body: string, opts: { script: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/dashboard.css">
${opts.script ? '<script type="module" src="/assets/app.js"></script>\n' : ''}</head>
<body>${body}</body></html>
`;
}

/** Every dashboard page: the script reads the path and fills <main>. */
export function shellPage(opts: { loggedIn: boolean }): string {
  const logout = opts.loggedIn ? '<form method="post" action="/logout" class="logout"><button type="submit">Log out</button></form>' : '';
  return layout(
    'dataflowd',
    `<header class="top"><a class="brand" href="/">dataflowd</a><nav id="crumbs" aria-label="Breadcrumb"></nav>${logout}</header>
<main id="main" aria-live="polite"><p class="muted">Loading…</p></main>
<noscript><p class="notice error">The dashboard needs JavaScript; the JSON API is at /api/dataflows.</p></noscript>`,
    { script: true },
  );
}

/** The login form; `next` (a local path) is where a successful login goes. */
export function loginPage(opts: { next: string; failed: boolean }): string {
  const error = opts.failed ? '<p class="notice error" role="alert">That token is not the one in http.token.</p>' : '';
  return layout(
    'Log in · dataflowd',
    `<header class="top"><span class="brand">dataflowd</span></header>
<main class="login"><h1>Log in</h1>
<p class="muted">Enter the API token (<code>http.token</code> in dataflowd.yaml).</p>${error}
<form method="post" action="/login">
<input type="hidden" name="next" value="${escapeHtml(opts.next)}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
</form></main>`,
    { script: false },
  );
}

/** A local path to return to after login: anything else (another site, `//host`) goes home. */
export function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
}
