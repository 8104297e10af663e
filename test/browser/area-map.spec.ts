/**
 * The admin area page in a real browser: with JavaScript the boundary is drawn on the map from the
 * GeoJSON, under the strict CSP; without it the map is hidden and the bounding box and the download link
 * remain. axe-clean both ways.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seedDemoCouncil, type DemoCredential } from '../../src/demo/seed.js';
import {
  assertNoAxeViolations,
  launchBrowser,
  newContextWithoutJavaScript,
  startServer,
  watchForProblems,
  type TestServer,
} from '../helpers/browser.js';
import { signInInBrowser } from '../helpers/staff-browser.js';

async function signInAsAdmin(page: Page, server: TestServer, admin: DemoCredential): Promise<void> {
  // Password, then the authenticator app admins must use (set up the first time).
  await signInInBrowser(page, server, admin, '/admin/areas');
}

describe('admin area page in a browser', () => {
  let browser: Browser;
  let server: TestServer;
  let admin: DemoCredential;

  before(async () => {
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({
        seed: async (db) => {
          admin = (await seedDemoCouncil(db))!.find((c) => c.role === 'admin')!;
        },
      }).then((s) => (server = s)),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('draws the boundary from the GeoJSON, with JavaScript', async () => {
    const context: BrowserContext = await browser.newContext();
    // No internet here: the tiles are refused, as when the tile server is down.
    await context.route('https://tile.openstreetmap.org/**', (route) => route.abort('internetdisconnected'));
    try {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      await signInAsAdmin(page, server, admin);
      await page.getByRole('link', { name: 'Northmoor ward (fictional)' }).click();
      await page.locator('[data-module="app-area-map"][data-loaded="true"]').waitFor();
      assert.equal(await page.locator('.leaflet-overlay-pane path').count(), 1);
      assert.equal(
        await page.getByRole('region', { name: 'Map of the boundary of Northmoor ward (fictional)' }).count(),
        1,
      );
      await assertNoAxeViolations(page, 'the area page');
      const others = problems.consoleErrors.filter(
        (m) => !(m.startsWith('Failed to load resource') && m.includes('tile.openstreetmap.org')),
      );
      assert.deepEqual([...others, ...problems.cspViolations, ...problems.pageErrors], []);
    } finally {
      await context.close();
    }
  });

  it('gives the bounding box and the download instead, without JavaScript', async () => {
    const context = await newContextWithoutJavaScript(browser);
    try {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      await signInAsAdmin(page, server, admin);
      await page.getByRole('link', { name: 'Northmoor ward (fictional)' }).click();
      await page.getByRole('heading', { name: 'Northmoor ward (fictional)' }).waitFor();
      assert.equal(await page.locator('[data-module="app-area-map"]').isVisible(), false);
      assert.equal(await page.getByRole('cell', { name: '53.470000' }).count(), 1);
      const download = page.getByRole('link', { name: 'Download the boundary as GeoJSON' });
      assert.match((await download.getAttribute('href')) ?? '', /^\/admin\/areas\/[0-9a-f-]{36}\.geojson$/);
      await assertNoAxeViolations(page, 'the area page without JavaScript');
      problems.assertNone();
    } finally {
      await context.close();
    }
  });
});
