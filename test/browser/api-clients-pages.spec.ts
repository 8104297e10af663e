/**
 * The API keys admin pages in a real browser, without JavaScript needed: each axe-clean under the strict
 * CSP without console errors, including the form's error state, the page that shows the key once, and the
 * list before and after a key is revoked.
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

describe('API keys pages in a browser', () => {
  const session = useDemoSignedInPage('admin', '/admin');
  let server: TestServer;
  let page: Page;
  let problems: PageProblems;
  before(() => {
    ({ server, page, problems } = session());
  });

  async function audit(where: string, heading: RegExp): Promise<void> {
    await assertOneHeading(page, heading, where);
    await assertNoAxeViolations(page, where);
    problems.assertNone(where);
  }

  it('audits the list, the form with its errors, the key shown once and a revoked key', async () => {
    problems.clear();
    await page.goto(server.url('/admin/api-clients'));
    await audit('/admin/api-clients (none yet)', /^API keys$/);

    await page.getByRole('button', { name: 'Add an API client' }).click();
    await page.waitForURL(/\/admin\/api-clients\/new$/);
    await audit('/admin/api-clients/new', /^Add an API client$/);

    await page.getByRole('button', { name: 'Add client and make its key' }).click();
    assert.match(await page.title(), /^Error: Add an API client – /);
    assert.match(
      (await page.locator('.govuk-error-summary').textContent()) ?? '',
      /Enter the name of the system the key is for/,
    );
    await audit('the form with errors', /^Add an API client$/);

    await page.getByLabel('Name').fill('FixMyStreet');
    await page.getByLabel('Pothole').check();
    await page.getByRole('button', { name: 'Add client and make its key' }).click();
    await audit('the key page', /^API key for FixMyStreet$/);
    assert.match((await page.locator('#api-key').textContent()) ?? '', /^cdk_[a-z0-9]{10}_/);

    await page.getByRole('button', { name: 'Continue to API keys' }).click();
    await audit('/admin/api-clients (one client)', /^API keys$/);
    assert.match((await page.locator('table').textContent()) ?? '', /Pothole/);

    await page.getByRole('button', { name: 'Revoke the key for FixMyStreet' }).click();
    await page.waitForURL(/\/admin\/api-clients\?revoked=/);
    assert.match((await page.locator('table').textContent()) ?? '', /Revoked/);
    await audit('/admin/api-clients (revoked)', /^API keys$/);
  });
});
