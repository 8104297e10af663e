/**
 * The webhook admin pages and the API documentation in a real browser: each axe-clean under the strict
 * CSP without console errors, including the form's error state, the page that shows the secret once, and
 * an endpoint's delivery log after a test event was delivered (to a sink on the test server itself).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seedDemoCouncil, type DemoCredential } from '../../src/demo/seed.js';
import {
  assertOneHeading,
  assertNoAxeViolations,
  launchBrowser,
  startServer,
  watchForProblems,
  type PageProblems,
  type TestServer,
} from '../helpers/browser.js';
import { signInInBrowser } from '../helpers/staff-browser.js';

describe('webhook pages and API documentation in a browser', () => {
  let browser: Browser;
  let server: TestServer;
  let credentials: DemoCredential[] = [];
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;
  let sinkHits = 0;

  before(async () => {
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({
        seed: async (db) => (credentials = (await seedDemoCouncil(db)) ?? []),
        beforeReady: (app) => {
          app.post('/test-webhook-sink', { config: { csrf: false } }, async (_request, reply) => {
            sinkHits++;
            return reply.status(204).send();
          });
        },
      }).then((s) => (server = s)),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
    context = await browser.newContext();
    page = await context.newPage();
    problems = await watchForProblems(page);
    const admin = credentials.find((c) => c.role === 'admin')!;
    await signInInBrowser(page, server, admin, '/admin');
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  async function audit(where: string, heading: RegExp): Promise<void> {
    await assertOneHeading(page, heading, where);
    await assertNoAxeViolations(page, where);
    problems.assertNone(where);
  }

  it('audits the list, the form with its errors, the secret shown once, the endpoint and its log', async () => {
    problems.clear();
    await page.goto(server.url('/admin/webhooks'));
    await audit('/admin/webhooks (none yet)', /^Webhooks$/);

    await page.getByRole('button', { name: 'Add an endpoint' }).click();
    await page.waitForURL(/\/admin\/webhooks\/new$/);
    await audit('/admin/webhooks/new', /^Add a webhook endpoint$/);

    await page.getByLabel('Address').fill('ftp://crm.example');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    assert.match(await page.title(), /^Error: Add a webhook endpoint – /);
    const summary = page.locator('.govuk-error-summary');
    assert.match((await summary.textContent()) ?? '', /Enter a name for the endpoint/);
    assert.equal(
      await page.getByLabel('Address').inputValue(),
      'ftp://crm.example',
      'what was typed is kept',
    );
    await audit('the form with errors', /^Add a webhook endpoint$/);

    await page.getByLabel('Name').fill('Ashdown CRM');
    await page.getByLabel('Address').fill(server.url('/test-webhook-sink'));
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await audit('the secret page', /^Signing secret for Ashdown CRM$/);
    assert.match((await page.locator('#webhook-secret').textContent()) ?? '', /^whsec_/);

    await page.getByRole('button', { name: 'Continue to the endpoint' }).click();
    await audit('the endpoint (nothing sent)', /^Ashdown CRM$/);
    await page.getByRole('button', { name: 'Send a test event' }).click();
    const worker = server.testApp.app.jobs.createWorker(pino({ level: 'silent' }));
    await worker.runOnce();
    assert.equal(sinkHits, 1);
    await page.reload();
    assert.match((await page.locator('table').textContent()) ?? '', /Delivered/);
    await audit('the endpoint with its delivery log', /^Ashdown CRM$/);

    await page.getByRole('button', { name: 'Change' }).click();
    await audit('the change form', /^Change the endpoint$/);
    await page.goto(server.url('/admin/webhooks'));
    await audit('/admin/webhooks (one endpoint)', /^Webhooks$/);
  });

  it('audits the API documentation page', async () => {
    problems.clear();
    const response = await page.goto(server.url('/api/docs'));
    assert.equal(response?.status(), 200);
    await audit('/api/docs', /^Civicdesk API$/);
  });
});
