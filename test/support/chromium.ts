import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

/*
 * A real browser for the dashboard's tests: Debian's Chromium driven by playwright-core, which
 * never downloads a browser of its own. A fresh profile each time, nothing reaching out.
 */

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function startChromium(): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the dashboard's browser tests need Chromium at ${CHROMIUM}: install the Debian package chromium (apt-get install chromium), as .ci/run does`);
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'dataflowd-chromium-'));
  // launchPersistentContext passes the fresh profile as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 900 } });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** What a page did that it should not: console errors (CSP violations among them), uncaught errors, dialogs. */
export interface PageTrouble {
  errors: string[];
  dialogs: string[];
}

export function watch(page: Page): PageTrouble {
  const trouble: PageTrouble = { errors: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') trouble.errors.push(m.text());
  });
  page.on('pageerror', (err) => trouble.errors.push(`uncaught: ${err.message}`));
  page.on('dialog', (d) => {
    trouble.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return trouble;
}

/** How far the page scrolls sideways (0 when it fits the window). */
export async function sidewaysScroll(page: Page): Promise<number> {
  // A string: it runs in the page, whose DOM types this Node project does not load.
  return Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
}
