import type { Page } from 'playwright-core';
import { Chromium, PageTrouble, sidewaysScroll, startChromium, watch } from '../support/chromium';
import { Fixture, HOSTILE_DESCRIPTION, HOSTILE_FILE, ordersFence, startFixture } from './dashboard-fixture';

/*
 * The dashboard in a real browser (Debian's Chromium), over a real SQLite store: every page
 * loads without a console error (a CSP violation is one), fits a 360 px phone, keeps hostile
 * text inert, folds the checks that found nothing new, and follows a run in flight live.
 */

const TOKEN = 'browser-token-0c2e71';
/** What a page's DOM would hold had a hostile text become HTML. */
const INJECTED = "document.querySelectorAll('img, main script, body > script').length";

describe('the dashboard in Chromium', () => {
  let fx: Fixture;
  let browser: Chromium;
  let page: Page;
  let trouble: PageTrouble;

  beforeAll(async () => {
    browser = await startChromium();
    fx = await startFixture({ deps: { trigger: async (name) => ({ started: false, reason: `a run of ${name} is already going` }) } });
  });
  afterAll(async () => {
    await browser?.close();
    await fx?.close();
  });
  beforeEach(async () => {
    page = await browser.context.newPage();
    trouble = watch(page);
  });
  afterEach(async () => {
    await page.close();
    expect(trouble).toEqual({ errors: [], dialogs: [] });
  });

  const pages = () => [
    ['the overview', '/', '#cards article'],
    ['a dataflow', '/dataflows/orders', '#history table'],
    ['a partial run', `/runs/${fx.runs.partial.id}`, '#row-errors table'],
    ['a failed run', `/runs/${fx.runs.failed.id}`, '#notifications table'],
    ['a run in flight', `/runs/${fx.runs.running.id}`, '#progress .progress'],
  ];

  it.each([360, 1400])('draws every page at %i px without errors or sideways scrolling', async (width) => {
    await page.setViewportSize({ width, height: 800 });
    for (const [what, route, drawn] of pages()) {
      await page.goto(fx.http.url + route);
      await page.locator(drawn).first().waitFor();
      expect({ what, sideways: await sidewaysScroll(page) }).toEqual({ what, sideways: 0 });
    }
  });

  it('shows a file named as HTML, and HTML in descriptions and errors, as plain text', async () => {
    await page.goto(`${fx.http.url}/runs/${fx.runs.partial.id}`);
    await page.locator('#files .path', { hasText: HOSTILE_FILE }).waitFor();
    expect(await page.locator('#row-errors td', { hasText: '"<b>0</b>" is not a number' }).count()).toBe(1);
    expect(await page.evaluate(INJECTED)).toBe(0);

    await page.goto(`${fx.http.url}/`);
    await page.getByText(HOSTILE_DESCRIPTION).waitFor();
    expect(await page.evaluate(INJECTED)).toBe(0);

    await page.goto(`${fx.http.url}/runs/${fx.runs.failed.id}`);
    await page.getByText('listing local://orders: permission denied <b>bold</b>').waitFor();
    expect(await page.locator('main b', { hasText: 'bold' }).count()).toBe(0);
  });

  it('shows the last ingestion, not the last check, and folds the checks that found nothing new', async () => {
    await page.goto(`${fx.http.url}/`);
    const card = page.locator('article[data-dataflow="orders"]');
    await card.getByRole('link', { name: 'last ingestion' }).waitFor();
    expect(await card.getByRole('link', { name: 'last ingestion' }).getAttribute('href')).toBe(`/runs/${fx.runs.lastIngestion.id}`);
    expect(await card.textContent()).toContain('nothing new: 3 listed (3 already ingested) (7 checks since the last ingestion)');

    await page.goto(`${fx.http.url}/dataflows/orders`);
    const fold = page.getByRole('button', { name: /7 runs skipped: nothing new/ });
    await fold.waitFor();
    expect(await page.locator('#history tr.skipped').count()).toBe(0);
    await fold.click();
    await page.locator('#history tr.skipped').first().waitFor();
    expect(await page.locator('#history tr.skipped').count()).toBe(7);
    // A check that found nothing new is no error.
    expect(await page.locator('#history tr.skipped .error-text').count()).toBe(0);
    expect(await page.locator('#history tr.run .error-text').count()).toBe(1);
    // The chart: the 9 ingestions that ended, in three strips (records, bytes, duration).
    expect(await page.locator('#chart rect.bar:not(.failed-part)').count()).toBe(27);
    expect(await page.locator('#chart rect.failed-part').count()).toBe(1);
  });

  it('follows a run in flight without reloading the page', async () => {
    await page.goto(`${fx.http.url}/runs/${fx.runs.running.id}`);
    const figures = page.locator('#progress .figures');
    await figures.filter({ hasText: 'Files 1 / 3' }).waitFor();
    await page.evaluate('window.notReloaded = true');
    const [, uploading, waiting] = await fx.store.filesOfRun(fx.runs.running.id);
    await fx.store.setFileState(await ordersFence(fx.store), [uploading.id], 'completing', { records: 200_000 });
    await figures.filter({ hasText: 'Files 2 / 3' }).waitFor({ timeout: 15_000 });
    expect(await figures.textContent()).toContain('Records 320,000');
    expect(await page.locator('#files .chip', { hasText: 'completing 2' }).count()).toBe(1);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await fx.store.setFileState(await ordersFence(fx.store), [waiting.id], 'uploading');
  });

  it('says why "run now" did not start a run, with a link to the one in the way', async () => {
    await page.goto(`${fx.http.url}/dataflows/orders`);
    await page.getByRole('button', { name: 'Run now' }).click();
    const notice = page.locator('.run-now-control .notice');
    await notice.filter({ hasText: 'Not started: a run of orders is already going' }).waitFor();
    expect(await notice.getByRole('link').getAttribute('href')).toBe(`/runs/${fx.runs.running.id}`);
    // Chromium logs every answer that is not 2xx; this one is the API saying 409 Conflict, as it should.
    expect(trouble.errors).toEqual(['Failed to load resource: the server responded with a status of 409 (Conflict)']);
    trouble.errors.length = 0;
  });
});

describe('the dashboard login in Chromium', () => {
  let fx: Fixture;
  let browser: Chromium;

  beforeAll(async () => {
    browser = await startChromium();
    fx = await startFixture({ http: '{ listen: "127.0.0.1:0", token: "${env:TOKEN}" }', env: { TOKEN } });
  });
  afterAll(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('asks for the token, refuses a wrong one, opens the page asked for, hides the cookie from scripts, and logs out', async () => {
    const page = await browser.context.newPage();
    const trouble = watch(page);
    await page.goto(`${fx.http.url}/dataflows/orders`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Token').fill('wrong-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('That token is not the one in http.token.').waitFor();
    expect(trouble.errors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    trouble.errors.length = 0;

    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#history table').waitFor();
    expect(new URL(page.url()).pathname).toBe('/dataflows/orders');
    expect(await page.evaluate('document.cookie')).toBe('');
    const [cookie] = await browser.context.cookies(fx.http.url);
    expect(cookie).toMatchObject({ name: 'dataflowd_session', httpOnly: true, sameSite: 'Strict' });

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.goto(`${fx.http.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(trouble).toEqual({ errors: [], dialogs: [] });
    await page.close();
  });
});
