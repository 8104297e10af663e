/**
 * The resident's report journey in a real browser, as a person does it, on the demo council: one server
 * (PGlite, the outbox worker running, a real SMTP server in this process, CIVICDESK_BASE_URL its own
 * address so the emailed links lead back to it) and one Chromium.
 *
 * 1. On a phone, with JavaScript: start page → "Report a problem" → Pothole → the type-ahead finds
 *    "Mill Lane" and the pin goes there → the pin is dragged and moved with the arrow keys → questions →
 *    description → a real JPEG uploaded and shown → about you → check answers → confirmation.
 * 2. The receipt arrives at the SMTP server; its tracking link opens the tracking page in a fresh browser.
 * 3. Without JavaScript: the same journey with the results list instead of the map, and a validation
 *    error that shows the GOV.UK error summary and keeps what was typed.
 * 4. A second resident at the same spot is offered the first report, follows it, and gets an email; the
 *    first report's public timeline says someone else reported it too.
 * 5. With the keyboard only (Tab, Space, Enter, typing; no mouse, no map): every control of the where,
 *    questions, about-you and check pages is reached and operated.
 *
 * axe-core runs on every page of 1 to 4 (and on the street light's questions, seen only in 5), and no
 * page logs a console error or a CSP violation. Map tiles are the one exception: this machine has no
 * internet, so tile requests fail (they are refused here at once, as a disconnected network would,
 * rather than left to time out).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { seedDemoCouncil } from '../../src/demo/seed.js';
import type { Worker } from '../../src/infra/jobs/jobs.js';
import {
  assertOneHeading,
  assertNoAxeViolations,
  freePort,
  launchBrowser,
  newContextWithoutJavaScript,
  startServer,
  watchForProblems,
  type PageProblems,
  type TestServer,
} from '../helpers/browser.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';

const TILE_HOST = 'https://tile.openstreetmap.org/';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const REFERENCE = /^ASH-[0-9A-Z]{4}-[0-9A-Z]{4}$/;

const FIRST = { name: 'Alex Resident', email: 'alex@example.org', phone: '07700 900123' };
const SECOND = { name: 'Bea Neighbour', email: 'bea@example.org' };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A photo as a phone takes it: a JPEG with a gradient, so it is not one flat colour. */
async function photoOfAPothole(): Promise<Buffer> {
  const width = 320;
  const height = 240;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 3;
      const shade = 60 + Math.round((80 * x) / width) + Math.round((40 * y) / height);
      pixels[i] = shade;
      pixels[i + 1] = shade;
      pixels[i + 2] = shade - 10;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** Tile requests fail at once, as with no network (this machine has none). */
async function noTiles(context: BrowserContext): Promise<void> {
  await context.route(`${TILE_HOST}**`, (route) => route.abort('internetdisconnected'));
}

/** A page watched for console errors and CSP violations, failing fast rather than at 30 s. */
async function openPage(context: BrowserContext): Promise<{ page: Page; problems: PageProblems }> {
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { page, problems: await watchForProblems(page) };
}

/** No console errors, page errors or CSP violations, except tiles that could not be fetched. */
function assertNoProblemsButTiles(problems: PageProblems, where: string): void {
  const consoleErrors = problems.consoleErrors.filter(
    (m) => !(m.startsWith('Failed to load resource') && m.includes(TILE_HOST)),
  );
  assert.deepEqual(
    { consoleErrors, cspViolations: problems.cspViolations, pageErrors: problems.pageErrors },
    { consoleErrors: [], cspViolations: [], pageErrors: [] },
    `problems in the browser on ${where}`,
  );
}

/** The page, loaded and styled, has this one h1, and is axe-clean. */
async function onPage(page: Page, heading: string | RegExp, where: string): Promise<void> {
  // Styled as the resident sees it: axe measures (target sizes, contrast) what the stylesheet draws.
  await assertOneHeading(page, heading, where);
  await assertNoAxeViolations(page, where);
}

async function waitForPath(page: Page, path: string | RegExp): Promise<void> {
  await page.waitForURL((url) =>
    typeof path === 'string' ? url.pathname === path : path.test(url.pathname),
  );
}

/** The text of a summary list row's value, by its key. */
async function summaryValue(page: Page, key: string): Promise<string> {
  const row = page.locator('.govuk-summary-list__row', {
    has: page.locator('.govuk-summary-list__key', { hasText: new RegExp(`^\\s*${escapeRegExp(key)}\\s*$`) }),
  });
  assert.equal(await row.count(), 1, `one "${key}" row`);
  return ((await row.locator('.govuk-summary-list__value').textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

async function formCoordinates(page: Page): Promise<{ lat: number; lon: number }> {
  const form = page.locator('#location-form');
  return {
    lat: Number(await form.locator('input[name="lat"]').inputValue()),
    lon: Number(await form.locator('input[name="lon"]').inputValue()),
  };
}

/**
 * Undefined if `target` has focus; otherwise what has, in words (its label, its accessible name or its
 * text), for a failure message or a list of the controls passed on the way.
 */
async function focusElsewhere(target: Locator): Promise<string | undefined> {
  // Runs in the page (this project's TypeScript has no DOM types, hence the shape spelt out).
  return target.evaluate((element) => {
    interface Focusable {
      tagName: string;
      textContent: string | null;
      getAttribute(name: string): string | null;
      labels?: { textContent: string | null }[] | null;
    }
    const document = (
      element as unknown as { ownerDocument: { activeElement: Focusable | null; body: unknown } }
    ).ownerDocument;
    const active = document.activeElement;
    if (active === (element as unknown)) return undefined;
    if (!active || active === document.body) return '(nothing)';
    const text =
      active.labels?.[0]?.textContent ?? active.getAttribute('aria-label') ?? active.textContent ?? '';
    return `${active.tagName.toLowerCase()}: ${text.replace(/\s+/g, ' ').trim()}`;
  });
}

/**
 * Presses Tab until `target` has focus, failing after `max` presses; returns what had focus on the way,
 * so a test can show which controls it passed.
 */
async function tabTo(page: Page, target: Locator, what: string, max = 40): Promise<string[]> {
  const passed: string[] = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const elsewhere = await focusElsewhere(target);
    if (elsewhere === undefined) return passed;
    passed.push(elsewhere);
  }
  assert.fail(`${what} was not reached with ${max} presses of Tab; focus went to:\n- ${passed.join('\n- ')}`);
}

describe('report journey in a browser', () => {
  let browser: Browser;
  let server: TestServer;
  let smtp: TestSmtpServer;
  let worker: Worker | undefined;
  let baseUrl: string;
  /** The report made in the first test, which the later ones look for. */
  let first: { reference: string } | undefined;

  before(async () => {
    smtp = await startSmtpServer();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({
        seed: (db) => seedDemoCouncil(db),
        port,
        env: {
          SMTP_URL: smtp.url,
          CIVICDESK_BASE_URL: baseUrl,
          CIVICDESK_REFERENCE_PREFIX: 'ASH',
        },
      }).then((s) => (server = s)),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
    assert.equal(server.baseUrl, baseUrl);
    worker = server.testApp.app.jobs.createWorker(pino({ level: 'silent' }));
    await worker.start();
  });

  after(async () => {
    await worker?.stop();
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  it('takes a resident on a phone from the start page to a reference, with the map and type-ahead', async () => {
    const context = await browser.newContext(PHONE);
    await noTiles(context);
    const { page, problems } = await openPage(context);

    await page.goto(server.url('/'));
    await onPage(page, /^Report a problem to /, 'the start page');
    await page.getByRole('button', { name: 'Report a problem' }).click();

    await waitForPath(page, '/report');
    await onPage(page, 'What do you want to report?', 'the list of services');
    await page.getByRole('link', { name: 'Pothole', exact: true }).click();

    // Where is it? The map and the type-ahead start.
    await waitForPath(page, '/report/where');
    await page.locator('[data-module="app-location-map"][data-app-init="ready"]').waitFor();
    await page.locator('[data-module="app-place-autocomplete"][data-app-init="ready"]').waitFor();
    await onPage(page, 'Where is the problem?', 'the where page with the map');
    assert.equal((await page.locator('.govuk-caption-l').textContent())?.trim(), 'Pothole');

    // The hint is part of the type-ahead's name (accessible-autocomplete drops aria-describedby).
    const box = page.getByRole('combobox', {
      name: 'Postcode, street or place For example, M33 7AA or Bradgate Road',
      exact: true,
    });
    await box.pressSequentially('mill la', { delay: 20 });
    const suggestion = page.getByRole('option', { name: /^Mill Lane\b/ });
    await suggestion.waitFor();
    await suggestion.click();
    const [millLane] = await server.testApp.app.domain.gazetteer.search('Mill Lane', { kinds: ['street'] });
    assert.ok(millLane);
    const pin = page.getByRole('button', { name: 'Location pin' });
    await pin.waitFor();
    const chosen = await formCoordinates(page);
    assert.deepEqual(chosen, { lat: Number(millLane.lat.toFixed(6)), lon: Number(millLane.lon.toFixed(6)) });
    const status = page.locator('.app-map__status[role="status"]');
    await status.filter({ hasText: /^Pin placed near Mill Lane/ }).waitFor();
    // The pin is in the middle of the map: the map went there.
    const pinBox = (await pin.boundingBox())!;
    const mapBox = (await page.locator('[data-module="app-location-map"]').boundingBox())!;
    assert.ok(
      Math.abs(pinBox.x + pinBox.width / 2 - (mapBox.x + mapBox.width / 2)) < 5,
      'the map is on the pin',
    );

    // The exact spot: the pin dragged a little to the east, then one step north with the arrow key.
    await page.mouse.move(pinBox.x + pinBox.width / 2, pinBox.y + pinBox.height / 2);
    await page.mouse.down();
    await page.mouse.move(pinBox.x + pinBox.width / 2 + 30, pinBox.y + pinBox.height / 2, { steps: 6 });
    await page.mouse.up();
    const dragged = await formCoordinates(page);
    // 30 px at zoom 17 is about 0.0003° of longitude.
    assert.ok(
      dragged.lon > chosen.lon + 0.0002 && Math.abs(dragged.lat - chosen.lat) < 0.00005,
      JSON.stringify({ chosen, dragged }),
    );
    await pin.focus();
    await page.keyboard.press('ArrowUp');
    const nudged = await formCoordinates(page);
    assert.ok(nudged.lat > dragged.lat && nudged.lon === dragged.lon, JSON.stringify({ dragged, nudged }));
    await status.filter({ hasText: /^Pin placed near Mill Lane/ }).waitFor();
    await assertNoAxeViolations(page, 'the where page with the pin placed');
    await page.getByRole('button', { name: 'Continue' }).click();

    // Nothing reported here yet: straight to the questions.
    await waitForPath(page, '/report/questions');
    await onPage(page, 'Tell us about it', 'the questions page');
    await page
      .getByRole('group', { name: /Is it causing an immediate danger/ })
      .getByRole('radio', { name: 'No' })
      .check();
    await page.getByRole('radio', { name: 'Larger than a dinner plate' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForPath(page, '/report/details');
    await onPage(page, 'Describe the problem', 'the details page');
    await page.getByLabel('Description (optional)').fill('A deep hole by the kerb, <b>about 10cm</b> deep');
    await page.getByLabel('The exact spot (optional)').fill('Outside number 14');
    await page.getByRole('button', { name: 'Continue' }).click();

    // A real photo, chosen with the file picker and uploaded; its thumbnail is shown.
    await waitForPath(page, '/report/photos');
    await onPage(page, 'Add photos (optional)', 'the photos page');
    await page.getByLabel('Choose a photo').setInputFiles({
      name: 'IMG_2041.jpg',
      mimeType: 'image/jpeg',
      buffer: await photoOfAPothole(),
    });
    await page.getByRole('button', { name: 'Upload photo' }).click();
    await waitForPath(page, '/report/photos');
    const thumbnail = page.getByRole('img', { name: 'Photo 1 you added' });
    await thumbnail.waitFor();
    await page.waitForFunction(
      (img) => {
        const image = img as unknown as { complete: boolean; naturalWidth: number };
        return image.complete && image.naturalWidth > 0;
      },
      await thumbnail.elementHandle(),
    );
    await onPage(page, 'Add photos (optional)', 'the photos page with a photo');
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForPath(page, '/report/about-you');
    await onPage(page, 'Your details', 'the about-you page');
    await page.getByLabel('Full name').fill(FIRST.name);
    await page.getByLabel('Email address').fill(FIRST.email);
    await page.getByLabel('Phone number (optional)').fill(FIRST.phone);
    assert.equal(await page.getByLabel('Email me a receipt and updates').isChecked(), true, 'on by default');
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForPath(page, '/report/check');
    await onPage(page, 'Check your answers before sending your report', 'the check page');
    assert.match(await summaryValue(page, 'Where'), /Mill Lane/);
    assert.equal(await summaryValue(page, 'What'), 'Pothole');
    assert.equal(await summaryValue(page, 'Is it causing an immediate danger to people or vehicles?'), 'No');
    assert.equal(await summaryValue(page, 'About how wide is it?'), 'Larger than a dinner plate');
    assert.equal(await summaryValue(page, 'Description'), 'A deep hole by the kerb, <b>about 10cm</b> deep');
    assert.equal(await summaryValue(page, 'Exact spot'), 'Outside number 14');
    assert.equal(await summaryValue(page, 'Photos'), '1 added');
    assert.equal(await summaryValue(page, 'Name'), FIRST.name);
    assert.equal(await summaryValue(page, 'Email'), FIRST.email);
    assert.equal(await summaryValue(page, 'Phone'), FIRST.phone);
    assert.equal(await summaryValue(page, 'Receipt and updates by email'), 'Yes');
    await page.getByRole('button', { name: 'Send report' }).click();

    await waitForPath(page, /^\/report\/confirmation\//);
    await onPage(page, /^Report sent/, 'the confirmation page');
    const reference = ((await page.locator('.govuk-panel__body strong').textContent()) ?? '').trim();
    assert.match(reference, REFERENCE);
    assert.equal(new URL(page.url()).pathname, `/report/confirmation/${reference}`);
    const main = ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(main, new RegExp(`We have sent a confirmation email to ${escapeRegExp(FIRST.email)}`));
    assert.match(main, /Your report has gone to Ashdown/);
    assert.match(main, /We aim to respond by .*\d{1,2} \w+ \d{4}/);

    // Saved where the pin was put, with the photo.
    const saved = await server.database.db
      .selectFrom('cases')
      .select(['lat', 'lon', 'description'])
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    assert.ok(Math.abs(saved.lat - nudged.lat) < 1e-6 && Math.abs(saved.lon - nudged.lon) < 1e-6);
    first = { reference };

    assertNoProblemsButTiles(problems, 'the journey with JavaScript');
    await context.close();
  });

  it('emails the receipt, whose link opens the tracking page with the status and the timeline', async () => {
    assert.ok(first, 'the first report was made');
    const { reference } = first;
    const receipt = await smtp.waitFor(
      (e) => e.envelope.to.includes(FIRST.email) && (e.parsed.subject ?? '').includes(reference),
    );
    assert.equal(receipt.parsed.subject, `Your report ${reference}: Pothole`);
    assert.deepEqual(
      [receipt.parsed.to]
        .flat()
        .flatMap((a) => a?.value ?? [])
        .map((a) => a.address),
      [FIRST.email],
    );
    const text = receipt.parsed.text ?? '';
    assert.match(text, new RegExp(`Dear ${FIRST.name}`));
    assert.match(text, /What you reported: Pothole/);
    assert.match(text, /Where: .*Mill Lane/);
    const link = new RegExp(`${escapeRegExp(baseUrl)}/track/${reference}\\?token=[\\w%-]+`).exec(text)?.[0];
    assert.ok(link, `the receipt links to the tracking page on this server:\n${text}`);
    assert.ok(
      String(receipt.parsed.html).includes(link.replace(/&/g, '&amp;')),
      'the HTML part has the link too',
    );

    // Opened from the email, in a browser that has never seen the report.
    const context = await browser.newContext(PHONE);
    const { page, problems } = await openPage(context);
    await page.goto(link);
    await waitForPath(page, `/track/${reference}`);
    assert.equal(new URL(page.url()).search, '', 'the token is dropped from the address bar');
    await onPage(page, reference, 'the tracking page');
    assert.equal((await page.locator('.govuk-tag').first().textContent())?.trim(), 'Received');
    assert.equal(await summaryValue(page, 'What'), 'Pothole');
    assert.match(await summaryValue(page, 'Where'), /Mill Lane.*\(Outside number 14\)/);
    assert.match(await summaryValue(page, 'Expect a response by'), /\d{4}/);
    await page.getByRole('heading', { name: 'What has happened' }).waitFor();
    const timeline = (await page.locator('.app-timeline__item').allInnerTexts()).map((t) =>
      t.replace(/\s+/g, ' ').trim(),
    );
    assert.ok(
      timeline.some((t) => /^Reported online\b.*\d{1,2} \w+ \d{4}/.test(t)),
      `the timeline says when it was reported: ${JSON.stringify(timeline)}`,
    );
    assert.ok(
      timeline.some((t) => /^Sent to Ashdown/.test(t)),
      `the timeline says who it went to: ${JSON.stringify(timeline)}`,
    );
    problems.assertNone('the tracking page');
    await context.close();
  });

  it('takes a resident without JavaScript through the same journey with the results list', async () => {
    const context = await newContextWithoutJavaScript(browser);
    const { page, problems } = await openPage(context);
    const resident = { name: 'Priya Shah', email: 'priya@example.org' };

    await page.goto(server.url('/'));
    await onPage(page, /^Report a problem to /, 'the start page without JavaScript');
    await page.getByRole('button', { name: 'Report a problem' }).click();
    await waitForPath(page, '/report');
    await onPage(page, 'What do you want to report?', 'the services without JavaScript');
    await page.getByRole('link', { name: 'Pothole', exact: true }).click();

    await waitForPath(page, '/report/where');
    await onPage(page, 'Where is the problem?', 'the where page without JavaScript');
    assert.equal(await page.locator('[data-module="app-location-map"]').isVisible(), false, 'no empty map');
    await page.getByLabel('Postcode, street or place').fill('Church Road');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(/\/report\/where\?q=Church\+Road$/);
    await onPage(page, 'Where is the problem?', 'the search results without JavaScript');
    await page.getByRole('radio', { name: /^Church Road/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForPath(page, '/report/questions');
    await onPage(page, 'Tell us about it', 'the questions without JavaScript');
    await page
      .getByRole('group', { name: /Is it causing an immediate danger/ })
      .getByRole('radio', { name: 'No' })
      .check();
    await page.getByRole('radio', { name: 'About the size of a dinner plate' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForPath(page, '/report/details');
    await onPage(page, 'Describe the problem', 'the details without JavaScript');
    await page.getByLabel('Description (optional)').fill('Breaking up at the junction');
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForPath(page, '/report/photos');
    await onPage(page, 'Add photos (optional)', 'the photos page without JavaScript');
    await page.getByRole('button', { name: 'Continue' }).click();

    // A mistake: the error summary links to the field, and what was typed is still there.
    await waitForPath(page, '/report/about-you');
    await onPage(page, 'Your details', 'the about-you page without JavaScript');
    await page.getByLabel('Full name').fill(resident.name);
    await page.getByLabel('Email address').fill('priya@example');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    assert.match(await page.title(), /^Error: Your details/);
    await onPage(page, 'Your details', 'the about-you page with an error');
    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' });
    const summaryLink = summary.getByRole('link', { name: /Enter an email address in the correct format/ });
    assert.equal(await summaryLink.getAttribute('href'), '#email');
    assert.match(
      (await page.locator('#email-error').textContent()) ?? '',
      /Error: Enter an email address in the correct format/,
    );
    assert.equal(await page.getByLabel('Full name').inputValue(), resident.name);
    assert.equal(await page.getByLabel('Email address').inputValue(), 'priya@example');
    assert.equal(await page.getByLabel('Email me a receipt and updates').isChecked(), true);
    await summaryLink.click();
    assert.equal(new URL(page.url()).hash, '#email');
    assert.equal(await page.locator('#email').getAttribute('name'), 'email', 'the link leads to the field');
    await page.getByLabel('Email address').fill(resident.email);
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForPath(page, '/report/check');
    await onPage(page, 'Check your answers before sending your report', 'the check page without JavaScript');
    assert.match(await summaryValue(page, 'Where'), /^Church Road/);
    assert.equal(await summaryValue(page, 'About how wide is it?'), 'About the size of a dinner plate');
    assert.equal(await summaryValue(page, 'Email'), resident.email);
    await page.getByRole('button', { name: 'Send report' }).click();

    await waitForPath(page, /^\/report\/confirmation\//);
    await onPage(page, /^Report sent/, 'the confirmation without JavaScript');
    const reference = ((await page.locator('.govuk-panel__body strong').textContent()) ?? '').trim();
    assert.match(reference, REFERENCE);
    assert.notEqual(reference, first?.reference);
    problems.assertNone('the journey without JavaScript');
    await context.close();
  });

  it('offers a second resident at the same spot the report already made, and lets them follow it', async () => {
    assert.ok(first, 'the first report was made');
    const { reference } = first;
    const context = await browser.newContext(PHONE);
    await noTiles(context);
    const { page, problems } = await openPage(context);

    await page.goto(server.url('/report'));
    await onPage(page, 'What do you want to report?', 'the services (second resident)');
    await page.getByRole('link', { name: 'Pothole', exact: true }).click();
    await waitForPath(page, '/report/where');
    await page.locator('[data-module="app-place-autocomplete"][data-app-init="ready"]').waitFor();
    await page.getByRole('combobox', { name: 'Postcode, street or place' }).pressSequentially('mill la', {
      delay: 20,
    });
    await page.getByRole('option', { name: /^Mill Lane\b/ }).click();
    // The map shows the report already made there.
    await page.getByRole('button', { name: `Reported already: Pothole (${reference}), Received` }).waitFor();
    await onPage(page, 'Where is the problem?', 'the where page with a report nearby');
    await page.getByRole('button', { name: 'Continue' }).click();

    await waitForPath(page, '/report/nearby');
    await onPage(page, 'Has it already been reported?', 'the already-reported page');
    const card = page.locator('.govuk-summary-card');
    assert.equal(await card.count(), 1);
    assert.match((await card.locator('h2').textContent()) ?? '', /^Pothole, \d+ metres away$/);
    const cardText = (await card.textContent()) ?? '';
    assert.match(cardText, /A deep hole by the kerb, <b>about 10cm<\/b> deep/);
    assert.doesNotMatch(cardText, new RegExp(`${FIRST.name}|${FIRST.email}`), 'no personal data');
    await card.getByRole('button', { name: 'This is my problem: follow it' }).click();

    await waitForPath(page, `/report/follow/${reference}`);
    await onPage(page, `Follow report ${reference}`, 'the follow page');
    await page.getByLabel('Name (optional)').fill(SECOND.name);
    await page.getByLabel('Email address').fill(SECOND.email);
    await page.getByRole('button', { name: 'Follow this report' }).click();

    await onPage(page, `You are following report ${reference}`, 'the following page');
    assert.match((await page.locator('main').textContent()) ?? '', /We have sent you an email to confirm it/);
    await page.getByRole('link', { name: 'See the report' }).click();

    await waitForPath(page, `/reports/${reference}`);
    await onPage(page, 'Pothole', 'the public page of the first report');
    const timeline = page.locator('.app-timeline__item');
    assert.match(
      (await timeline.first().textContent()) ?? '',
      /Someone else reported this problem too and is following it/,
      'newest first',
    );
    const publicText = (await page.locator('main').textContent()) ?? '';
    assert.doesNotMatch(
      publicText,
      new RegExp(`${FIRST.name}|${FIRST.email}|${SECOND.name}|${SECOND.email}`),
    );
    assertNoProblemsButTiles(problems, 'the duplicate journey');
    await context.close();

    const confirmation = await smtp.waitFor(
      (e) =>
        e.envelope.to.includes(SECOND.email) && e.parsed.subject === `You are following report ${reference}`,
    );
    assert.match(confirmation.parsed.text ?? '', new RegExp(`${escapeRegExp(baseUrl)}/reports/${reference}`));
    // One case, not two.
    const cases = await server.database.db
      .selectFrom('cases')
      .select('reference')
      .where('description', 'like', 'A deep hole by the kerb%')
      .execute();
    assert.deepEqual(cases, [{ reference }]);
  });

  it('keeps a failed search’s error message on the type-ahead, for screen readers', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await noTiles(context);
    const { page, problems } = await openPage(context);
    await page.goto(server.url('/report'));
    await page.getByRole('link', { name: 'Pothole', exact: true }).click();
    await waitForPath(page, '/report/where');
    await page.getByRole('combobox', { name: /^Postcode, street or place/ }).fill('zzqxv');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(/\/report\/where\?q=zzqxv$/);
    await page.locator('[data-module="app-place-autocomplete"][data-app-init="ready"]').waitFor();

    // The library's own box replaced ours: it must still be described by the error message, also
    // after typing (when the library rewrites aria-describedby).
    const box = page.getByRole('combobox', { name: /^Postcode, street or place/ });
    const description = () =>
      box.evaluate((element) => {
        const page = (
          element as unknown as {
            ownerDocument: { getElementById(id: string): { textContent: string | null } | null };
          }
        ).ownerDocument;
        return (element.getAttribute('aria-describedby') ?? '')
          .split(/\s+/)
          .map((id: string) => page.getElementById(id)?.textContent?.trim() ?? '')
          .join(' ');
      });
    assert.match(await description(), /Error: No places match ‘zzqxv’/);
    assert.match((await box.getAttribute('class')) ?? '', /govuk-input--error/);
    await box.pressSequentially('m', { delay: 20 });
    await page.waitForTimeout(300);
    assert.match(await description(), /Error: No places match ‘zzqxv’/, 'still described after typing');
    await assertNoAxeViolations(page, 'the where page with a search error and JavaScript');
    assertNoProblemsButTiles(problems, 'the where page with a search error');
    await context.close();
  });

  it('can be done with the keyboard alone, without the map', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await noTiles(context);
    const { page, problems } = await openPage(context);
    const keyboard = page.keyboard;
    const resident = { name: 'Kim Keys', email: 'kim@example.org', phone: '0161 496 0000' };

    await page.goto(server.url('/report'));
    await tabTo(page, page.getByRole('link', { name: 'Street light not working' }), 'the street light link');
    await keyboard.press('Enter');

    // Where: type, Tab to Find, Enter; Tab to the place, Space; Tab to Continue, Enter.
    await waitForPath(page, '/report/where');
    await page.locator('[data-module="app-place-autocomplete"][data-app-init="ready"]').waitFor();
    await page.locator('[data-module="app-location-map"][data-app-init="ready"]').waitFor();
    await tabTo(page, page.getByRole('combobox', { name: 'Postcode, street or place' }), 'the place search');
    await keyboard.type('ashdown high', { delay: 20 });
    await page.getByRole('option', { name: /^Ashdown High Street\b/ }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Find' }), 'the Find button', 2);
    await keyboard.press('Enter');
    await page.waitForURL(/\/report\/where\?q=ashdown\+high$/);
    const place = page.getByRole('radio', { name: /^Ashdown High Street/ });
    await tabTo(page, place, 'the first result', 10);
    await keyboard.press('Space');
    assert.equal(await place.isChecked(), true);
    await tabTo(page, page.getByRole('button', { name: 'Continue' }), 'Continue on the where page');
    await keyboard.press('Enter');

    // The questions: a text box and radios (the arrow keys choose within a radio group).
    await waitForPath(page, '/report/questions');
    await assertNoAxeViolations(page, 'the street light questions');
    await tabTo(
      page,
      page.getByLabel('Number on the lamp post, if you can see one (optional)'),
      'the lamp post number',
    );
    await keyboard.type('AH-12');
    const fault = page.getByRole('group', { name: 'What is wrong with it?' });
    await tabTo(page, fault.getByRole('radio', { name: 'It is not lit at night' }), 'the first answer', 1);
    await keyboard.press('Space');
    assert.equal(await fault.getByRole('radio', { name: 'It is not lit at night' }).isChecked(), true);
    await keyboard.press('ArrowDown');
    assert.equal(await fault.getByRole('radio', { name: 'It flickers' }).isChecked(), true);
    await tabTo(page, page.getByRole('button', { name: 'Continue' }), 'Continue on the questions page', 1);
    await keyboard.press('Enter');

    await waitForPath(page, '/report/details');
    await tabTo(page, page.getByLabel('Description (optional)'), 'the description');
    await keyboard.type('Flickers on and off all evening');
    await tabTo(page, page.getByLabel('The exact spot (optional)'), 'the exact spot', 1);
    await keyboard.type('By the bus stop');
    await tabTo(page, page.getByRole('button', { name: 'Continue' }), 'Continue on the details page', 1);
    await keyboard.press('Enter');

    await waitForPath(page, '/report/photos');
    await tabTo(page, page.getByRole('button', { name: 'Continue' }), 'Continue on the photos page', 10);
    await keyboard.press('Enter');

    // About you: every field and both checkboxes.
    await waitForPath(page, '/report/about-you');
    await tabTo(page, page.getByLabel('Full name'), 'the name');
    await keyboard.type(resident.name);
    await tabTo(page, page.getByLabel('Email address'), 'the email', 1);
    await keyboard.type(resident.email);
    await tabTo(page, page.getByLabel('Phone number (optional)'), 'the phone', 1);
    await keyboard.type('0161 496 0999');
    const updates = page.getByLabel('Email me a receipt and updates');
    await tabTo(page, updates, 'the updates checkbox', 1);
    await keyboard.press('Space');
    assert.equal(await updates.isChecked(), false);
    await keyboard.press('Space');
    assert.equal(await updates.isChecked(), true);
    const showName = page.getByLabel('Show my name on the public report');
    await tabTo(page, showName, 'the show-my-name checkbox', 1);
    await keyboard.press('Space');
    assert.equal(await showName.isChecked(), true);
    await tabTo(page, page.getByRole('button', { name: 'Continue' }), 'Continue on the about-you page', 1);
    await keyboard.press('Enter');

    // Check your answers: every "Change" link is reached on the way to "Send report"; one is used.
    await waitForPath(page, '/report/check');
    assert.equal(await summaryValue(page, 'Phone'), '0161 496 0999');
    await tabTo(page, page.getByRole('link', { name: 'Change phone' }), 'Change phone');
    await keyboard.press('Enter');
    await waitForPath(page, '/report/about-you');
    const phone = page.getByLabel('Phone number (optional)');
    await tabTo(page, phone, 'the phone');
    await keyboard.press('ControlOrMeta+A');
    await keyboard.type(resident.phone);
    await tabTo(page, page.getByRole('button', { name: 'Continue' }), 'Continue on the about-you page', 3);
    await keyboard.press('Enter');
    await waitForPath(page, '/report/check');
    assert.equal(await summaryValue(page, 'Phone'), resident.phone);
    assert.equal(await summaryValue(page, 'Name shown publicly'), 'Yes');
    assert.equal(await summaryValue(page, 'What is wrong with it?'), 'It flickers');
    const onTheWay = await tabTo(page, page.getByRole('button', { name: 'Send report' }), 'Send report');
    const changeLinks = await page.getByRole('link', { name: /^Change / }).allTextContents();
    assert.ok(changeLinks.length >= 10, changeLinks.join(', '));
    for (const link of changeLinks) {
      const name = link.replace(/\s+/g, ' ').trim();
      assert.ok(onTheWay.includes(`a: ${name}`), `"${name}" is reached with Tab: ${onTheWay.join(', ')}`);
    }
    await keyboard.press('Enter');

    await waitForPath(page, /^\/report\/confirmation\//);
    const reference = ((await page.locator('.govuk-panel__body strong').textContent()) ?? '').trim();
    assert.match(reference, REFERENCE);
    const saved = await server.database.db
      .selectFrom('cases')
      .select(['answers', 'location_detail'])
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    assert.deepEqual(saved.answers, { column_number: 'AH-12', fault: 'flickering' });
    assert.equal(saved.location_detail, 'By the bus stop');
    assertNoProblemsButTiles(problems, 'the keyboard journey');
    await context.close();
  });
});
