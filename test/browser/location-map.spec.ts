/**
 * The "Where is it?" map and place type-ahead in a real browser, on a test-only page built from the
 * markup contract in src/client/README.md (the real page belongs to the report journey): the map draws,
 * the pin moves by dragging, clicking and the arrow keys and fills in the form, the live region says
 * where the pin is, "Use my location" works (and says so when it cannot), reports nearby appear from the
 * nearby endpoint (stubbed here), suggestions appear and choosing one moves the pin; without tiles the map
 * still works; without JavaScript the search and the form still work. axe-clean, no CSP violations.
 *
 * Tiles: this machine has no internet, so tile requests to the default OpenStreetMap host are answered
 * by the test (a grey PNG) or refused. Either way the browser applies the page's CSP to them first.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { GazetteerService } from '../../src/modules/gazetteer/gazetteer.service.js';
import {
  assertNoAxeViolations,
  launchBrowser,
  newContextWithoutJavaScript,
  startServer,
  watchForProblems,
  type PageProblems,
  type TestServer,
} from '../helpers/browser.js';

// A point on Bradgate Road, where the map starts.
const START = { lat: 53.3879, lon: -2.3655 };
// Broad Road, where "Use my location" says the resident is.
const BROAD_ROAD = { latitude: 53.39, longitude: -2.35 };

const TILE_HOST = 'https://tile.openstreetmap.org/';
/** A 1×1 grey PNG: Leaflet stretches it over the tile. */
const GREY_TILE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGO4ewcAAtMBq7JbLdsAAAAASUVORK5CYII=',
  'base64',
);

const REPORTS = [
  { reference: 'CD-7K3Q-9X2M', serviceName: 'Pothole', status: 'Open', lat: 53.3882, lon: -2.366 },
  {
    reference: 'CD-4HWD-2PLT',
    serviceName: 'Street light not working',
    status: 'In progress',
    lat: 53.3876,
    lon: -2.3647,
  },
  // Kilometres away: outside any box the map asks about at the starting zoom.
  { reference: 'CD-FARR-AWAY', serviceName: 'Fly-tipping', status: 'Open', lat: 53.45, lon: -2.3 },
].map((r) => ({ ...r, url: `/track/${r.reference}` }));

const PAGE = `{% extends "layout.njk" %}
{% block pageContent %}
<h1 class="govuk-heading-l">Where is it?</h1>
<form method="get" action="{{ action }}" novalidate>
  <div class="govuk-form-group">
    <label class="govuk-label govuk-label--s" for="place-search">Postcode, street or place</label>
    <div data-module="app-place-autocomplete">
      <input class="govuk-input" id="place-search" name="q" type="text" autocomplete="off" spellcheck="false" value="{{ q }}">
    </div>
  </div>
  <button type="submit" class="govuk-button govuk-button--secondary">Search</button>
</form>
{% if results.length %}
<h2 class="govuk-heading-m">Choose a place</h2>
<ul class="govuk-list">
{% for place in results %}
  <li><form method="post" action="/test/where-is-it">{% include "partials/csrf.njk" %}
    <input type="hidden" name="lat" value="{{ place.lat }}"><input type="hidden" name="lon" value="{{ place.lon }}">
    <button type="submit" class="govuk-button govuk-button--secondary">{{ place.label }} ({{ place.detail }})</button>
  </form></li>
{% endfor %}
</ul>
{% endif %}
{% if withMap %}
<div class="app-map app-js-only" data-module="app-location-map"
     data-lat="{{ start.lat }}" data-lon="{{ start.lon }}" data-zoom="17"
     data-bounds="-2.4,53.38,-2.3,53.42"
     data-nearby-url="/test/nearby?service=pothole"
     data-label="Map of where it is"
     data-tile-url="{{ site.map.tileUrl }}" data-attribution="{{ site.map.attribution }}" data-max-zoom="{{ site.map.maxZoom }}"></div>
<form id="location-form" method="post" action="/test/where-is-it" novalidate>
  {% include "partials/csrf.njk" %}
  <input type="hidden" name="lat" value="">
  <input type="hidden" name="lon" value="">
  <button type="submit" class="govuk-button">Continue</button>
</form>
{% endif %}
{% if chosen %}<p class="govuk-body" id="chosen">You chose {{ chosen.lat }}, {{ chosen.lon }}</p>{% endif %}
{% endblock %}`;

function addTestRoutes(app: FastifyInstance, nearbyBoxes: string[]): void {
  const render = async (request: FastifyRequest, reply: FastifyReply, context: Record<string, unknown>) => {
    const session = await request.ensureSession();
    const html = await new Promise<string>((resolve, reject) =>
      app.views.renderString(
        PAGE,
        {
          site: {
            councilName: 'Test council',
            currentPath: request.url.split('?')[0],
            map: {
              tileUrl: app.config.CIVICDESK_MAP_TILE_URL,
              attribution: app.config.CIVICDESK_MAP_ATTRIBUTION,
              maxZoom: app.config.CIVICDESK_MAP_MAX_ZOOM,
            },
          },
          cspNonce: reply.cspNonce.script,
          csrfToken: session.csrfToken,
          pageTitle: 'Where is it?',
          start: START,
          ...context,
        },
        (error, result) => (error ? reject(error) : resolve(result ?? '')),
      ),
    );
    return reply.type('text/html; charset=utf-8').send(html);
  };
  const search = async (request: FastifyRequest) => {
    const q = String((request.query as { q?: string }).q ?? '').slice(0, 100);
    return { q, results: q.trim().length >= 2 ? await app.domain.gazetteer.search(q) : [] };
  };

  app.get('/test/where-is-it', async (request, reply) =>
    render(request, reply, { withMap: true, action: '/test/where-is-it', ...(await search(request)) }),
  );
  app.get('/test/search-only', async (request, reply) =>
    render(request, reply, { withMap: false, action: '/test/search-only', ...(await search(request)) }),
  );
  app.post('/test/where-is-it', async (request, reply) => {
    const { lat, lon } = request.body as { lat?: string; lon?: string };
    return render(request, reply, { withMap: false, action: '/test/where-is-it', chosen: { lat, lon } });
  });
  // The nearby-reports contract: GET <url>?bbox=minLon,minLat,maxLon,maxLat → { reports: [...] }.
  app.get('/test/nearby', async (request) => {
    const bbox = String((request.query as { bbox?: string }).bbox ?? '');
    nearbyBoxes.push(bbox);
    const [minLon, minLat, maxLon, maxLat] = bbox.split(',').map(Number) as [number, number, number, number];
    return {
      reports: REPORTS.filter(
        (r) => r.lon >= minLon && r.lon <= maxLon && r.lat >= minLat && r.lat <= maxLat,
      ),
    };
  });
}

async function seedGazetteer(service: GazetteerService): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-map-'));
  try {
    const file = (name: string, ...lines: string[]) => {
      fs.writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
      return path.join(dir, name);
    };
    await service.importStreets(
      file(
        'streets.csv',
        'street,town,lon,lat',
        'Bradgate Road,Sale,-2.3650,53.3877',
        'Bradgate Road,Sale,-2.3655,53.3879',
        'Bradgate Road,Sale,-2.3660,53.3881',
        'Broad Road,Sale,-2.3500,53.3900',
        'Broad Road,Sale,-2.3510,53.3901',
      ),
      { localityField: 'town' },
    );
    await service.importPlaces(file('places.csv', 'name,type,lon,lat', 'Woodheys Park,park,-2.3350,53.4150'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Tile requests answered with a grey tile, or refused (as when the tile server cannot be reached). */
async function serveTiles(context: BrowserContext, available: boolean): Promise<void> {
  await context.route(`${TILE_HOST}**`, (route) =>
    available
      ? route.fulfill({ status: 200, contentType: 'image/png', body: GREY_TILE })
      : route.abort('internetdisconnected'),
  );
}

async function coordinates(page: Page): Promise<{ lat: number; lon: number }> {
  const form = page.locator('#location-form');
  return {
    lat: Number(await form.locator('input[name="lat"]').inputValue()),
    lon: Number(await form.locator('input[name="lon"]').inputValue()),
  };
}

/** Waits until the live region says exactly this. */
async function announced(page: Page, text: string): Promise<void> {
  const status = page.locator('.app-map__status[role="status"]');
  try {
    await status.filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor({
      timeout: 5000,
    });
  } catch {
    assert.fail(`the live region says "${await status.textContent()}", not "${text}"`);
  }
}

async function openMapPage(
  context: BrowserContext,
  server: TestServer,
): Promise<{ page: Page; problems: PageProblems }> {
  const page = await context.newPage();
  const problems = await watchForProblems(page);
  const response = await page.goto(server.url('/test/where-is-it'));
  assert.equal(response?.status(), 200);
  await page.locator('[data-module="app-location-map"][data-app-init="ready"]').waitFor();
  return { page, problems };
}

describe('"Where is it?" map and place search in a browser', () => {
  let browser: Browser;
  let server: TestServer;
  const nearbyBoxes: string[] = [];

  before(async () => {
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({
        seed: (db) => seedGazetteer(new GazetteerService(db)),
        beforeReady: (app) => addTestRoutes(app, nearbyBoxes),
      }).then((s) => (server = s)),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  describe('with JavaScript and tiles', () => {
    let context: BrowserContext;
    before(async () => {
      context = await browser.newContext({
        geolocation: BROAD_ROAD,
        permissions: ['geolocation'],
        viewport: { width: 1000, height: 900 },
      });
      await serveTiles(context, true);
    });
    after(async () => {
      await context?.close();
    });

    it('draws the map with tiles, the pin at the start and nearby reports, and is axe-clean', async () => {
      const { page, problems } = await openMapPage(context, server);
      const map = page.locator('[data-module="app-location-map"]');
      assert.equal(await map.getAttribute('role'), 'region');
      assert.equal(await map.getAttribute('aria-label'), 'Map of where it is');
      await page.locator('.leaflet-tile-loaded').first().waitFor();
      assert.match(
        (await page.locator('.leaflet-control-attribution').textContent()) ?? '',
        /OpenStreetMap contributors/,
      );

      // The pin is where the page said, and the form says so too.
      const pin = page.getByRole('button', { name: 'Location pin' });
      await pin.waitFor();
      assert.deepEqual(await coordinates(page), { lat: START.lat, lon: START.lon });

      // Reports already made in view, from the nearby endpoint, and not the one far away.
      await page.locator('.app-map__report-marker').nth(1).waitFor();
      assert.equal(await page.locator('.app-map__report-marker').count(), 2);
      const pothole = page.getByRole('button', { name: /Reported already: Pothole \(CD-7K3Q-9X2M\), Open/ });
      assert.equal(await pothole.count(), 1);
      const box = nearbyBoxes.at(-1)!.split(',').map(Number);
      assert.equal(box.length, 4);
      assert.ok(
        box[0]! < START.lon && START.lon < box[2]! && box[1]! < START.lat && START.lat < box[3]!,
        nearbyBoxes.at(-1),
      );
      await pothole.click();
      const link = page.locator('.leaflet-popup-content a', { hasText: 'CD-7K3Q-9X2M' });
      assert.equal(await link.getAttribute('href'), '/track/CD-7K3Q-9X2M');

      await assertNoAxeViolations(page, 'the location map page');
      problems.assertNone('the location map page');
      await page.close();
    });

    it('moves the pin by clicking the map, dragging it and the arrow keys, and says where it is', async () => {
      const { page, problems } = await openMapPage(context, server);
      const map = page.locator('[data-module="app-location-map"]');
      await map.scrollIntoViewIfNeeded(); // mouse clicks go to viewport coordinates
      const area = (await map.boundingBox())!;
      const centre = { x: area.x + area.width / 2, y: area.y + area.height / 2 };

      // Click: 40 px to the right of the middle, still by Bradgate Road.
      await page.mouse.click(centre.x + 40, centre.y);
      await announced(page, 'Pin placed near Bradgate Road, Sale');
      const clicked = await coordinates(page);
      assert.ok(
        clicked.lon > START.lon + 0.0003 && Math.abs(clicked.lat - START.lat) < 0.00005,
        JSON.stringify(clicked),
      );

      // Drag the pin back 80 px to the left.
      const pin = page.getByRole('button', { name: 'Location pin' });
      const pinBox = (await pin.boundingBox())!;
      await page.mouse.move(pinBox.x + pinBox.width / 2, pinBox.y + pinBox.height / 2);
      await page.mouse.down();
      await page.mouse.move(pinBox.x + pinBox.width / 2 - 80, pinBox.y + pinBox.height / 2, { steps: 8 });
      await page.mouse.up();
      const dragged = await coordinates(page);
      assert.ok(dragged.lon < clicked.lon - 0.0006, JSON.stringify({ clicked, dragged }));

      // Arrow keys on the focused pin: up moves it north, right east; the map itself does not pan.
      await pin.focus();
      await page.keyboard.press('ArrowUp');
      const up = await coordinates(page);
      assert.ok(up.lat > dragged.lat && up.lon === dragged.lon, JSON.stringify({ dragged, up }));
      await page.keyboard.press('Shift+ArrowRight');
      const right = await coordinates(page);
      assert.ok(right.lon > up.lon + 0.0004 && right.lat === up.lat, JSON.stringify({ up, right }));
      await announced(page, 'Pin placed near Bradgate Road, Sale');

      // The map focused: Enter puts the pin in the middle of the map.
      await map.focus();
      await page.keyboard.press('Enter');
      const middle = await coordinates(page);
      assert.ok(
        Math.abs(middle.lat - START.lat) < 0.00002 && Math.abs(middle.lon - START.lon) < 0.00002,
        JSON.stringify(middle),
      );

      // The form sends what the pin says.
      const sent = await coordinates(page);
      await page.getByRole('button', { name: 'Continue' }).click();
      assert.equal(
        (await page.locator('#chosen').textContent())?.trim(),
        `You chose ${sent.lat.toFixed(6)}, ${sent.lon.toFixed(6)}`,
      );
      problems.assertNone('the location map page');
      await page.close();
    });

    it('puts the pin at the resident\'s location with "Use my location"', async () => {
      const { page, problems } = await openMapPage(context, server);
      await page.getByRole('button', { name: 'Use my location' }).click();
      await announced(page, 'Pin placed at your location, near Broad Road, Sale');
      assert.deepEqual(await coordinates(page), { lat: BROAD_ROAD.latitude, lon: BROAD_ROAD.longitude });
      problems.assertNone();
      await page.close();
    });

    it('suggests places as the resident types, and choosing one moves the pin', async () => {
      const { page, problems } = await openMapPage(context, server);
      const box = page.getByRole('combobox', { name: 'Postcode, street or place' });
      await box.pressSequentially('broad', { delay: 30 });
      const option = page.getByRole('option', { name: /^Broad Road ?, Street, Sale$/ });
      await option.waitFor();
      await option.click();
      await announced(page, 'Pin placed near Broad Road, Sale');
      const [street] = await server.testApp.app.domain.gazetteer.search('Broad Road', { kinds: ['street'] });
      assert.deepEqual(await coordinates(page), { lat: street!.lat, lon: street!.lon });
      assert.equal(await box.inputValue(), 'Broad Road');
      // The pin is in view: the map went there.
      const pin = (await page.getByRole('button', { name: 'Location pin' }).boundingBox())!;
      const map = (await page.locator('[data-module="app-location-map"]').boundingBox())!;
      assert.ok(
        Math.abs(pin.x + pin.width / 2 - (map.x + map.width / 2)) < 5,
        'the map is centred on the pin',
      );

      // A query that finds nothing says so.
      await box.fill('');
      await box.pressSequentially('qqqzzz', { delay: 20 });
      await page.locator('.autocomplete__option--no-results', { hasText: 'No places found' }).waitFor();
      problems.assertNone();
      await page.close();
    });

    it('submits the search with the chosen place when the page has no map', async () => {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      await page.goto(server.url('/test/search-only'));
      const box = page.getByRole('combobox', { name: 'Postcode, street or place' });
      await box.pressSequentially('bradg', { delay: 30 });
      await page.getByRole('option', { name: /Bradgate Road/ }).click();
      await page.waitForURL(/\/test\/search-only\?q=Bradgate\+Road$/);
      assert.match(
        (await page.getByRole('button', { name: /Bradgate Road \(Street, Sale\)/ }).textContent()) ?? '',
        /Bradgate/,
      );
      await assertNoAxeViolations(page, 'the search results page');
      problems.assertNone();
      await page.close();
    });
  });

  describe('with JavaScript, but no tiles and no permission to locate', () => {
    let context: BrowserContext;
    before(async () => {
      context = await browser.newContext();
      await serveTiles(context, false);
    });
    after(async () => {
      await context?.close();
    });

    it('still shows the pin, fills in the form from a click, and explains that the location is unavailable', async () => {
      const { page, problems } = await openMapPage(context, server);
      await page.locator('.leaflet-tile').first().waitFor({ state: 'attached' });
      assert.equal(await page.locator('.leaflet-tile-loaded').count(), 0);
      // A mouse click goes to viewport coordinates: bring the whole map into view first (how far down
      // the page it sits depends on the browser's fonts).
      const map = page.locator('[data-module="app-location-map"]');
      await map.scrollIntoViewIfNeeded();
      const area = (await map.boundingBox())!;
      await page.mouse.click(area.x + area.width / 2 - 50, area.y + area.height / 2 + 20);
      await announced(page, 'Pin placed near Bradgate Road, Sale');
      const clicked = await coordinates(page);
      assert.ok(clicked.lon < START.lon && clicked.lat < START.lat, JSON.stringify(clicked));

      await page.getByRole('button', { name: 'Use my location' }).click();
      await announced(
        page,
        'You have not allowed this site to use your location. Search for the place or move the pin on the map instead.',
      );
      assert.deepEqual(await coordinates(page), clicked, 'the pin stayed where it was');

      await assertNoAxeViolations(page, 'the location map page without tiles');
      // The only console errors are the tiles that could not be fetched.
      const others = problems.consoleErrors.filter(
        (m) => !(m.startsWith('Failed to load resource') && m.includes(TILE_HOST)),
      );
      assert.deepEqual(others, []);
      assert.deepEqual(problems.cspViolations, []);
      assert.deepEqual(problems.pageErrors, []);
      await page.close();
    });
  });

  describe('without JavaScript', () => {
    let context: BrowserContext;
    before(async () => {
      context = await newContextWithoutJavaScript(browser);
    });
    after(async () => {
      await context?.close();
    });

    it('hides the empty map, and the search and its results list still lead to a place', async () => {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      await page.goto(server.url('/test/where-is-it'));
      assert.equal(await page.locator('[data-module="app-location-map"]').isVisible(), false);
      assert.equal(await page.getByRole('button', { name: 'Use my location' }).count(), 0);
      await assertNoAxeViolations(page, 'the location page without JavaScript');

      await page.getByLabel('Postcode, street or place').fill('bradgate rd');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('button', { name: 'Bradgate Road (Street, Sale)' }).click();
      assert.match((await page.locator('#chosen').textContent()) ?? '', /^You chose 53\.38\d*, -2\.36\d*$/);
      problems.assertNone();
      await page.close();
    });
  });
});
