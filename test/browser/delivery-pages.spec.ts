/**
 * The delivery administration pages in a real browser: the targets list, the email target form (and its
 * error state), a failed delivery with its error and "Retry now", and the unmatched-email list, each
 * with one h1, axe-clean and without console errors under the strict CSP.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  assertOneHeading,
  assertNoAxeViolations,
  type PageProblems,
  type TestServer,
} from '../helpers/browser.js';
import { useDemoSignedInPage } from '../helpers/staff-browser.js';

describe('delivery administration pages in a browser', () => {
  const session = useDemoSignedInPage('admin', '/admin');
  let server: TestServer;
  let page: Page;
  let problems: PageProblems;
  before(() => {
    ({ server, page, problems } = session());
  });

  async function audit(path: string, heading: RegExp): Promise<void> {
    problems.clear();
    const response = await page.goto(server.url(path));
    assert.equal(response?.status(), 200, `${path} answered ${response?.status()}`);
    await assertOneHeading(page, heading, path);
    await assertNoAxeViolations(page, path);
    problems.assertNone(path);
  }

  it('adds an email target through the form, showing its errors first', async () => {
    await audit('/admin/delivery', /^Delivery to bodies$/);
    await audit('/admin/delivery/new', /^Add an email target$/);
    await page.selectOption('#bodyCode', 'little-wickham');
    await page.fill('#email', 'not an address');
    await page.getByRole('button', { name: 'Add target' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    assert.match(await page.title(), /^Error: /);
    await assertNoAxeViolations(page, 'target form with errors');
    await page.fill('#email', 'cases@littlewickham-pc.example');
    await page.getByRole('button', { name: 'Add target' }).click();
    await page.getByText('Delivery target added').waitFor();
    await assertNoAxeViolations(page, 'targets after adding');
  });

  it('shows a failed delivery with its error and a Retry now button, and the unmatched list', async () => {
    const { app } = server.testApp;
    const result = await app.intake.submit({
      serviceCode: 'speeding',
      lat: 53.412,
      lon: -2.371,
      description: 'Fast cars',
      answers: { when: 'morning', school: 'no', speed_limit: '30' },
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org' },
      channel: 'web',
    });
    // The delivery is made by the delivery module's case-event subscriber, a moment after the case:
    // run the outbox here (this server may have no worker of its own) until it exists.
    const worker = app.jobs.createWorker(app.log);
    for (let i = 0; i < 250; i++) {
      await worker.runOnce();
      const made = await app.db
        .selectFrom('case_delivery')
        .select('id')
        .where('case_id', '=', result.case.id)
        .executeTakeFirst();
      if (made) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The file mailbox never fails, so the failure is written as the worker would after its last attempt.
    await app.db
      .updateTable('case_delivery')
      .set({ state: 'failed', attempts: 8, last_error: 'Mailbox temporarily unavailable' })
      .where('case_id', '=', result.case.id)
      .execute();
    await audit('/admin/delivery', /^Delivery to bodies$/);
    await page.getByRole('button', { name: `Retry now: ${result.case.reference}` }).waitFor();
    await audit('/admin/delivery/inbound', /^Email not matched to a case$/);
  });
});
