/**
 * The core loop end to end in Chromium, as issue #5 asks: a resident reports a pothole on the web; an
 * officer signs in with their authenticator app, finds the case in the team's queue, sends a public
 * update started from a response template; the resident receives it at a real SMTP server and sees it
 * on the tracking page; the officer closes the case and the resident receives the summary of what was
 * done. Every staff page on the way is checked with axe-core, including a form with an error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pino } from 'pino';
import { seedDemoCouncil, type DemoCredential } from '../../src/demo/seed.js';
import type { Worker } from '../../src/infra/jobs/jobs.js';
import {
  assertNoAxeViolations,
  freePort,
  launchBrowser,
  serveGreyTiles,
  newContextWithoutJavaScript,
  startServer,
  watchForProblems,
  type TestServer,
} from '../helpers/browser.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { signInInBrowser } from '../helpers/staff-browser.js';

const RESIDENT = { name: 'Rosa Resident', email: 'rosa@example.org' };

async function continueTo(page: Page, button: string, path: string | RegExp): Promise<void> {
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.waitForURL((url) =>
    typeof path === 'string' ? url.pathname === path : path.test(url.pathname),
  );
}

describe('an officer works a resident’s report in a browser', () => {
  let browser: Browser;
  let server: TestServer;
  let smtp: TestSmtpServer;
  let worker: Worker | undefined;
  let credentials: DemoCredential[] = [];
  let reference = '';

  before(async () => {
    smtp = await startSmtpServer();
    const port = await freePort();
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({
        seed: async (db) => (credentials = (await seedDemoCouncil(db)) ?? []),
        port,
        env: {
          SMTP_URL: smtp.url,
          CIVICDESK_BASE_URL: `http://127.0.0.1:${port}`,
          CIVICDESK_REFERENCE_PREFIX: 'ASH',
          // Every member of staff, not only admins, signs in with an authenticator app.
          CIVICDESK_STAFF_TOTP_REQUIRED: 'true',
        },
      }).then((s) => (server = s)),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
    worker = server.testApp.app.jobs.createWorker(pino({ level: 'silent' }));
    await worker.start();
  });

  after(async () => {
    await worker?.stop();
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  it('a resident reports a pothole on the web and gets a reference', async () => {
    const context = await newContextWithoutJavaScript(browser);
    const page = await context.newPage();
    await page.goto(server.url('/report'));
    await page.getByRole('link', { name: 'Pothole', exact: true }).click();
    await page.waitForURL(/\/report\/where$/);
    await page.getByLabel('Postcode, street or place').fill('Church Road');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('radio', { name: /^Church Road/ }).check();
    await continueTo(page, 'Continue', '/report/questions');
    await page
      .getByRole('group', { name: /Is it causing an immediate danger/ })
      .getByRole('radio', { name: 'No' })
      .check();
    await page.getByRole('radio', { name: 'About the size of a dinner plate' }).check();
    await continueTo(page, 'Continue', '/report/details');
    await page.getByLabel('Description (optional)').fill('Deep pothole outside the church gates');
    await continueTo(page, 'Continue', '/report/photos');
    await continueTo(page, 'Continue', '/report/about-you');
    await page.getByLabel('Full name').fill(RESIDENT.name);
    await page.getByLabel('Email address').fill(RESIDENT.email);
    await continueTo(page, 'Continue', '/report/check');
    await continueTo(page, 'Send report', /^\/report\/confirmation\//);
    reference = ((await page.locator('.govuk-panel__body strong').textContent()) ?? '').trim();
    assert.match(reference, /^ASH-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await smtp.waitFor((m) => m.parsed.subject === `Your report ${reference}: Pothole`);
    await context.close();
  });

  describe('in the back office', () => {
    let context: BrowserContext;
    let page: Page;

    before(async () => {
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await serveGreyTiles(context); // the case page has a map
      page = await context.newPage();
    });
    after(() => context?.close());

    it('an officer signs in with their authenticator app and finds the case among the unassigned ones', async () => {
      assert.ok(reference, 'the resident reported first');
      const officer = credentials.find((c) => c.role === 'officer');
      assert.ok(officer);
      const problems = await watchForProblems(page);
      // Password, then (first sign-in) setting up the app and confirming a code from it.
      await signInInBrowser(page, server, officer, '/staff/cases');
      await assertNoAxeViolations(page, 'the queue');
      // Unassigned: which team has it depends on the time of day (potholes out of hours go to the
      // duty officers), but nobody has taken it yet.
      await page.getByRole('link', { name: /^Unassigned/ }).click();
      const row = page.getByRole('row').filter({ hasText: reference });
      assert.match((await row.textContent()) ?? '', /Pothole|Church Road/);
      await row.getByRole('link', { name: reference }).click();
      await page.waitForURL((url) => url.pathname === `/staff/cases/${reference}`);
      assert.equal((await page.locator('h1').textContent())?.trim(), reference);
      // The map of where it was reported starts, with its pin (tiles may not load here: no network).
      await page.locator('[data-module="app-case-map"][data-app-init="ready"]').waitFor();
      assert.equal(await page.locator('[data-module="app-case-map"] .leaflet-marker-icon').count(), 1);
      await assertNoAxeViolations(page, 'the case page');
      assert.deepEqual(problems.cspViolations, []);
      assert.deepEqual(problems.pageErrors, []);
    });

    it('sends a public update started from a template, after an error for an empty one', async () => {
      // A mistake first: an empty update is refused with an error summary.
      await page.getByRole('button', { name: 'Save and send update' }).click();
      await page.locator('.govuk-error-summary').waitFor();
      assert.match(await page.title(), /^Error: /);
      await assertNoAxeViolations(page, 'the case page with an error');

      await page.getByLabel('Start from a template').selectOption({ label: 'Inspection booked' });
      await page.getByRole('button', { name: 'Use template' }).click();
      const box = page.getByLabel('Public update');
      const text = await box.inputValue();
      assert.match(text, /^Thank you for reporting this\. One of our inspectors will look at it by /);
      assert.match(text, /Olu Officer \(demo\), Ashdown Borough Council/);
      assert.equal(
        await page.getByLabel('Status').inputValue(),
        'in_progress',
        'the template chose the status',
      );
      await assertNoAxeViolations(page, 'the case page with a template filled in');
      await box.fill(`${text}\n\nWe expect to be there on Tuesday.`);
      await page.getByRole('button', { name: 'Save and send update' }).click();
      await page.getByText('Update saved and sent').waitFor();

      const email = await smtp.waitFor(
        (m) =>
          m.envelope.to.includes(RESIDENT.email) &&
          m.parsed.subject === `Update on report ${reference}: Pothole`,
      );
      const body = email.parsed.text ?? '';
      assert.match(body, /One of our inspectors will look at it by/);
      assert.match(body, /We expect to be there on Tuesday\./);
      assert.match(body, /Status: In progress/);
    });

    it('the resident sees the update on the tracking page from their receipt', async () => {
      const receipt = await smtp.waitFor((m) => m.parsed.subject === `Your report ${reference}: Pothole`);
      const link = /http:\/\/127\.0\.0\.1:\d+\/track\/[\w-]+\?token=[\w%-]+/.exec(
        receipt.parsed.text ?? '',
      )?.[0];
      assert.ok(link, 'the receipt links to the tracking page');
      const resident = await browser.newContext();
      const tracking = await resident.newPage();
      await tracking.goto(link);
      await tracking.getByText('We expect to be there on Tuesday.').waitFor();
      assert.equal((await tracking.locator('.govuk-tag').first().textContent())?.trim(), 'In progress');
      await resident.close();
    });

    it('closes the case, and the resident gets the summary of what was done', async () => {
      await page.getByLabel('Start from a template').selectOption({ label: 'Fixed' });
      await page.getByRole('button', { name: 'Use template' }).click();
      assert.equal(await page.getByLabel('Status').inputValue(), 'fixed');
      await page.getByRole('button', { name: 'Save and send update' }).click();
      await page.getByText('Update saved and sent').waitFor();
      assert.equal((await page.locator('.govuk-tag').first().textContent())?.trim(), 'Fixed');

      const summary = await smtp.waitFor(
        (m) =>
          m.envelope.to.includes(RESIDENT.email) &&
          m.parsed.subject === `Report ${reference} is closed: Fixed`,
      );
      const body = summary.parsed.text ?? '';
      assert.match(body, /is now closed/);
      assert.match(body, /Outcome: Fixed/);
      assert.match(body, /Our crew fixed the problem you reported/);
      assert.match(body, /What we did:\n[\s\S]*One of our inspectors will look at it/);
      assert.match(body, /we will reopen it/);
      assert.match(body, /make a complaint/);
      await assertNoAxeViolations(page, 'the closed case');
    });
  });
});
