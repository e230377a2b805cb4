import type { Page } from 'playwright-core';
import { HOSTILE_FILE } from '../http/dashboard-fixture';
import { rawRequest } from '../http/raw-request';
import { Chromium, PageTrouble, sidewaysScroll, startChromium, watch } from '../support/chromium';
import { DaemonProcess, killAll } from './daemon-process';
import { jsonl, people, Workspace } from './workspace';

/*
 * The dashboard of a real `dataflowd start` (dist/, so the build's copy of the browser files is
 * what is served), in Chromium: "run now" starts a run and leads to it, the run's files show with
 * their state, a file named as HTML stays text, and cross-site requests start nothing.
 */

const TOKEN = 'e2e-dashboard-token-93b1';
/** Far in the future: the dataflow runs only when asked. */
const ON_DEMAND = 'schedule: { frequency: week, startTime: "2099-01-01T00:00:00Z" }\n';

async function startDaemon(ws: Workspace, env: Record<string, string> = {}): Promise<{ daemon: DaemonProcess; url: string }> {
  const daemon = DaemonProcess.start(ws, env);
  const line = await daemon.waitFor((l) => l.msg === 'http listening');
  if (!line) throw new Error(`the daemon stopped before listening:\n${daemon.tail()}`);
  return { daemon, url: String(line.url) };
}

describe('the dashboard of a running daemon, without a token (loopback)', () => {
  let ws: Workspace;
  let daemon: DaemonProcess;
  let url: string;
  let browser: Chromium;
  let page: Page;
  let trouble: PageTrouble;

  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.put(`people/${HOSTILE_FILE}`, jsonl(people(0, 20)));
    await ws.put('people/plain.json', jsonl(people(20, 5)));
    await ws.writeDataflow('people', `source: { connection: inbox, path: people }\ntarget: { dataset: people }\n${ON_DEMAND}`);
    ({ daemon, url } = await startDaemon(ws));
    browser = await startChromium();
    page = await browser.context.newPage();
    trouble = watch(page);
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.kill('SIGTERM');
    await killAll();
    await ws?.close();
  });

  const runsOfPeople = async () => JSON.parse((await rawRequest(`${url}/api/dataflows/people/runs`)).body) as Array<{ id: string; trigger: string; status: string }>;

  it('refuses a run asked from another site, or under another host name, and records none', async () => {
    const port = new URL(url).port;
    const evil = await rawRequest(`${url}/api/dataflows/people/runs`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' } });
    expect(evil.status).toBe(403);
    const rebound = await rawRequest(`${url}/api/dataflows/people/runs`, { method: 'POST', headers: { host: `evil.example:${port}` } });
    expect(rebound.status).toBe(403);
    expect((await rawRequest(`${url}/api/dataflows`, { headers: { host: `evil.example:${port}` } })).status).toBe(403);
    expect(await runsOfPeople()).toEqual([]);
  });

  it('starts a run with "run now", leads to it, and shows its files with their state, names as text', async () => {
    await page.goto(url);
    const card = page.locator('article[data-dataflow="people"]');
    await card.getByText('No ingestion yet.').waitFor();
    await card.getByRole('button', { name: 'Run now' }).click();
    const link = card.locator('.notice.ok a');
    await link.waitFor({ timeout: 30_000 });
    const [run] = await runsOfPeople();
    expect(run).toMatchObject({ trigger: 'api' });
    expect(await link.textContent()).toBe(run.id);

    await link.click();
    await page.locator('#status .badge', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    const hostile = page.locator('#files tr', { hasText: HOSTILE_FILE });
    await hostile.waitFor();
    expect(await hostile.locator('.badge').textContent()).toBe('ingested');
    expect(await page.locator('#files tr', { hasText: 'people/plain.json' }).locator('.badge').textContent()).toBe('ingested');
    expect(await page.locator('#batches td', { hasText: 'success' }).count()).toBe(1);
    expect(await page.evaluate("document.querySelectorAll('img').length")).toBe(0);

    await page.setViewportSize({ width: 360, height: 800 });
    expect(await sidewaysScroll(page)).toBe(0);
    expect(trouble).toEqual({ errors: [], dialogs: [] });
  });

  it('shows a second "run now" that found nothing new as a folded check, not as an error', async () => {
    await page.goto(`${url}/dataflows/people`);
    await page.getByRole('button', { name: 'Run now' }).click();
    // Nothing new is left: the run starts, and shows as a check that found nothing new.
    await page.locator('.run-now-control .notice.ok a').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: /1 run skipped: nothing new/ }).waitFor({ timeout: 30_000 });
    expect(trouble).toEqual({ errors: [], dialogs: [] });
  });
});

describe('the dashboard of a running daemon with a token', () => {
  let ws: Workspace;
  let daemon: DaemonProcess;
  let url: string;
  let browser: Chromium;

  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDaemonConfig('', { http: ['  listen: 127.0.0.1:0', '  token: ${env:DATAFLOWD_TOKEN}'] });
    await ws.writeDataflow('people', `source: { connection: inbox, path: people }\ntarget: { dataset: people }\n${ON_DEMAND}`);
    ({ daemon, url } = await startDaemon(ws, { DATAFLOWD_TOKEN: TOKEN }));
    browser = await startChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await daemon?.kill('SIGTERM');
    await killAll();
    await ws?.close();
  });

  it('opens to a browser after the login form, and to API clients with the bearer header', async () => {
    expect((await rawRequest(`${url}/api/dataflows`)).status).toBe(401);
    expect((await rawRequest(`${url}/api/dataflows`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const page = await browser.context.newPage();
    const trouble = watch(page);
    await page.goto(url);
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('article[data-dataflow="people"]').waitFor();
    expect(trouble).toEqual({ errors: [], dialogs: [] });
  });
});
