import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';

import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  impactOfSeverity,
  renderStatusPageHtml,
  serviceStatus,
  type PublicIncident,
  type StatusPageModel,
} from '../../src/api/status-page-render.js';

const SCREENSHOT_PATH = 'test-results/status-page.png';
const SKIP_BROWSER = process.env.BARQ_SKIP_BROWSER === '1';

/** Phone-sized viewport, so the screenshot shows the page as most readers see it. */
const PHONE_VIEWPORT = { width: 390, height: 844 };

if (SKIP_BROWSER) {
  console.warn('BARQ_SKIP_BROWSER=1: skipping the status page browser test; unset it to run the test in chromium');
}

/** Finds the Debian `chromium` executable in PATH. */
function findChromium(): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory, so keep looking.
    }
  }
  return undefined;
}

const openIncident: PublicIncident = {
  publicId: 'pub-7k2m9q',
  service: 'BARQ API',
  impact: impactOfSeverity('P0'),
  title: 'Requests to the BARQ API are failing',
  status: 'investigating',
  startedAt: '2026-03-10T11:20:00.000Z',
  updates: [
    { at: '2026-03-10T11:40:00.000Z', status: 'investigating', message: 'Most requests fail with errors. We are working on it.' },
    { at: '2026-03-10T11:25:00.000Z', status: 'investigating', message: 'We are looking into failed requests.' },
  ],
};

const resolvedIncident: PublicIncident = {
  publicId: 'pub-3x8d1w',
  service: 'Payments',
  impact: impactOfSeverity('P2'),
  title: 'Slow card payments',
  status: 'resolved',
  startedAt: '2026-03-08T09:00:00.000Z',
  resolvedAt: '2026-03-08T10:30:00.000Z',
  updates: [
    { at: '2026-03-08T10:30:00.000Z', status: 'resolved', message: 'Card payments are back to normal speed.' },
    { at: '2026-03-08T09:05:00.000Z', status: 'investigating', message: 'Card payments take longer than usual.' },
  ],
};

const model: StatusPageModel = {
  title: 'BARQ status',
  generatedAt: '2026-03-10T12:00:00.000Z',
  services: ['BARQ API', 'Payments', 'Dashboard'].map((name) => ({ name, status: serviceStatus(name, [openIncident]) })),
  current: [openIncident],
  recent: [resolvedIncident],
};

describe.skipIf(SKIP_BROWSER)('status page in chromium', () => {
  let server: Server;
  let pageUrl: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const html = renderStatusPageHtml(model);
    server = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('shows the open incident on a phone screen', async () => {
    const executablePath = findChromium();
    if (executablePath === undefined) {
      throw new Error(
        'chromium not found in PATH. Install it with `apt-get install -y chromium` ' +
          '(scripts/install-chromium.sh does this), or set BARQ_SKIP_BROWSER=1 to skip this test.',
      );
    }
    browser = await chromium.launch({ executablePath });
    const context = await browser.newContext({ viewport: PHONE_VIEWPORT });
    const requested: string[] = [];
    // The page must load nothing but itself, so any other request is recorded and aborted.
    await context.route('**/*', async (route) => {
      requested.push(route.request().url());
      if (route.request().url() === pageUrl) await route.continue();
      else await route.abort();
    });
    const page = await context.newPage();

    await page.goto(pageUrl);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });

    const current = page.locator('section.current article.incident');
    await expect.poll(() => current.count()).toBe(1);
    expect(await current.locator('.incident-title').isVisible()).toBe(true);
    expect(await current.locator('.incident-title').innerText()).toBe('Requests to the BARQ API are failing');
    expect(await current.locator('.incident-status').isVisible()).toBe(true);
    expect(await current.locator('.incident-status').innerText()).toBe('Investigating');
    expect(await current.locator('.latest .update-message').innerText()).toBe('Most requests fail with errors. We are working on it.');
    expect(await page.locator('.banner').innerText()).toBe('Major outage');
    expect(await page.locator('section.recent .incident-title').innerText()).toBe('Slow card payments');
    expect(requested).toEqual([pageUrl]);

    const overflow = await page.locator('html').evaluate((root) => root.scrollWidth - root.clientWidth);
    expect(overflow, 'horizontal overflow in pixels on a 390 px wide screen').toBeLessThanOrEqual(0);
  });
});
