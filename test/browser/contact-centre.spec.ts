/**
 * The contact centre in Chromium without JavaScript, as an agent works a call: find the caller by
 * phone number, be shown them again when trying to add them as new, take a phone report for them
 * (where, what, details with an error, send) and read the reference from their page, then log an
 * interaction. Every page and error state is axe-clean, with no CSP violation.
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
  type PageProblems,
  type TestServer,
} from '../helpers/browser.js';
import { signInInBrowser } from '../helpers/staff-browser.js';

async function press(page: Page, button: string | RegExp): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: button }).click()]);
}

describe('the contact centre in a browser', () => {
  let browser: Browser;
  let server: TestServer;
  let credentials: DemoCredential[] = [];
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;
  let webReference = '';

  before(async () => {
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({ seed: async (db) => (credentials = (await seedDemoCouncil(db)) ?? []) }).then(
        (s) => (server = s),
      ),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
    const app = server.testApp.app;
    const [mill] = await app.domain.gazetteer.search('Mill Lane', { limit: 1 });
    const web = await app.intake.submit({
      serviceCode: 'pothole',
      lat: mill!.lat,
      lon: mill!.lon,
      description: 'Pothole outside the bakery',
      answers: { danger: 'no', size: 'large' },
      reporter: { name: 'Jane Caller', email: 'jane@example.org', phone: '0161 496 0123' },
      channel: 'web',
    });
    webReference = web.case.reference;
    context = await newContextWithoutJavaScript(browser);
    page = await context.newPage();
    problems = await watchForProblems(page);
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  async function check(heading: RegExp, where: string): Promise<void> {
    assert.match((await page.locator('h1').textContent())?.trim() ?? '', heading, where);
    await assertNoAxeViolations(page, where);
    assert.deepEqual(problems.cspViolations, [], where);
  }

  it('finds the caller by phone number, and shows them again rather than adding them twice', async () => {
    const agent = credentials.find((c) => c.role === 'agent')!;
    await signInInBrowser(page, server, agent, '/staff/cases');
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Callers' }).click()]);
    await check(/Find a caller/, 'the caller search');
    await page.getByLabel(/Name, email address, phone number or postcode/).fill('+44 161 4960123');
    await press(page, 'Search');
    await check(/Find a caller/, 'search results');
    assert.equal(await page.getByRole('link', { name: 'Jane Caller' }).count(), 1);

    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('link', { name: 'Add a new caller' }).click(),
    ]);
    await check(/Add a new caller/, 'the new caller form');
    assert.equal(
      await page.getByLabel(/Phone number/).inputValue(),
      '+44 161 4960123',
      'the search is carried over',
    );
    await page.getByLabel('Full name').fill('Jane Caller');
    await press(page, 'Add new caller');
    await check(/Is the caller already a contact\?/, 'the likely matches');
    await press(page, 'Add new caller');
    await check(/Is the caller already a contact\?/, 'not confirming the caller is someone else');
    assert.match(await page.locator('.govuk-error-summary').innerText(), /confirm they are none of them/);
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: /^Jane Caller/ }).click()]);
    await check(/Jane Caller/, 'the contact page');
    assert.equal(await page.locator('#cases + table').getByRole('link', { name: webReference }).count(), 1);
  });

  it('takes a phone report for the caller and shows the reference to read back', async () => {
    await press(page, 'Report a problem for this caller');
    await check(/Where is the problem\?/, 'where');
    await page.getByLabel('Postcode, street or place').fill('Mill Lane');
    await press(page, 'Find');
    await page
      .getByRole('radio', { name: /^Mill Lane/ })
      .first()
      .check();
    await press(page, 'Continue');
    await check(/What is the problem\?/, 'what');
    await page.getByRole('radio', { name: 'Pothole' }).check();
    await press(page, 'Continue');
    await check(/Pothole/, 'details');
    assert.match(await page.locator('#nearby-heading').innerText(), /Already reported nearby/);
    await press(page, 'Send the report');
    await check(/Pothole/, 'details with errors');
    const summary = await page.locator('.govuk-error-summary').innerText();
    assert.match(summary, /Enter what the caller told you/);
    await page
      .getByRole('group', { name: /Is it causing an immediate danger/ })
      .getByRole('radio', { name: 'No' })
      .check();
    await page.getByRole('radio', { name: 'About the size of a dinner plate' }).check();
    await page.getByLabel('What the caller told you').fill('Another pothole by the post box');
    await press(page, 'Send the report');
    await check(/Jane Caller/, 'the contact page after the report');
    const banner = await page.locator('.govuk-notification-banner').innerText();
    const reference = /Reference ([A-Z]+-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(banner)?.[1];
    assert.ok(reference, banner);
    assert.equal((await page.getByRole('link', { name: reference }).count()) >= 1, true);
  });

  it('logs an interaction, with an error first', async () => {
    await page.getByRole('radio', { name: 'Email' }).check();
    await press(page, 'Log interaction');
    await check(/Jane Caller/, 'an interaction without a summary');
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter what was said or done/);
    await page.getByLabel('Summary').fill('Asked when the bakery pothole will be filled');
    await press(page, 'Log interaction');
    await check(/Jane Caller/, 'the logged interaction');
    assert.match(
      await page.locator('#interactions ~ table').first().innerText(),
      /Asked when the bakery pothole/,
    );
    assert.deepEqual(problems.pageErrors, []);
  });

  it('lets a team lead merge a second record of the caller, axe-clean at each step', async () => {
    await server.testApp.app.intake.submit({
      serviceCode: 'pothole',
      lat: 53.45,
      lon: -2.38,
      description: 'Another pothole',
      answers: { danger: 'no', size: 'small' },
      reporter: { name: 'J Caller', email: 'j.caller@example.net', phone: '07700 900123' },
      channel: 'web',
    });
    const leadContext = await newContextWithoutJavaScript(browser);
    const agentPage = page;
    try {
      page = await leadContext.newPage();
      problems = await watchForProblems(page);
      const lead = credentials.find((c) => c.role === 'team_lead')!;
      await signInInBrowser(page, server, lead, '/staff/contacts?q=jane%40example.org');
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Jane Caller' }).click()]);
      await Promise.all([
        page.waitForEvent('load'),
        page.getByRole('link', { name: /^Merge with another record/ }).click(),
      ]);
      await check(/^Find the other record$/, 'the merge search');
      await page.getByLabel('Name, email address, phone number or postcode').fill('07700 900123');
      await press(page, 'Search');
      await check(/^Find the other record$/, 'the merge search results');
      await Promise.all([
        page.waitForEvent('load'),
        page.getByRole('link', { name: 'Compare with J Caller' }).click(),
      ]);
      await check(/^Merge these two records\?$/, 'the comparison');
      await press(page, 'Merge records');
      await check(/^Merge these two records\?$/, 'the comparison with its errors');
      assert.match(await page.locator('.govuk-error-summary').innerText(), /Choose which name to keep/);
      await page.getByRole('group', { name: 'Which name should be kept?' }).getByLabel('Jane Caller').check();
      await page
        .getByRole('group', { name: 'Which email address should be kept?' })
        .getByLabel('jane@example.org')
        .check();
      await page
        .getByRole('group', { name: 'Which phone number should be kept?' })
        .getByLabel('07700 900123')
        .check();
      await press(page, 'Merge records');
      await check(/^Jane Caller$/, 'the merged record');
      assert.match(await page.locator('.govuk-notification-banner').innerText(), /merged into this one/);
      assert.match(await page.locator('main').innerText(), /07700 900123/);
      assert.deepEqual(problems.pageErrors, []);
    } finally {
      page = agentPage;
      await leadContext.close();
    }
  });

  it('shows the queue with its filters, sortable headers and a date error, axe-clean', async () => {
    await page.goto(server.url('/staff/cases?view=all&sort=newest&from=2026-02-30'));
    await check(/Cases/, 'the queue with a wrong date');
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Reported from must be a real date/);
    assert.match(
      (await page.locator('th[aria-sort="descending"]').textContent()) ?? '',
      /^Reported ▼ \(sorted descending, select to change\)$/,
    );
  });
});
