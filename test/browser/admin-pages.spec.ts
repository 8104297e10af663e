/**
 * Every administration page in a real browser, signed in as the demo council's admin: each renders with
 * one h1, is axe-clean (WCAG 2.x A/AA and best practice), and runs under the strict CSP without a
 * console error. And a form's error state: the error summary, the field's message and the "Error: "
 * title, axe-clean too, with focus moved to the summary.
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

describe('administration pages in a browser', () => {
  const session = useDemoSignedInPage('admin', '/admin');
  let server: TestServer;
  let page: Page;
  let problems: PageProblems;
  before(() => {
    ({ server, page, problems } = session());
  });

  /** Opens a page, checks it rendered with one h1, and audits it. */
  async function audit(path: string, heading: RegExp): Promise<void> {
    problems.clear();
    const response = await page.goto(server.url(path));
    assert.equal(response?.status(), 200, `${path} answered ${response?.status()}`);
    await assertOneHeading(page, heading, path);
    await assertNoAxeViolations(page, path);
    problems.assertNone(path);
  }

  it('audits the dashboard, services and questions', async () => {
    const { domain } = server.testApp.app;
    const pothole = await domain.services.get('pothole');
    assert.ok(pothole?.definition.questions[0], 'the demo pothole service asks questions');
    await audit('/admin', /^Administration$/);
    await audit('/admin/services', /^Services$/);
    await audit('/admin/services/new', /^Add a service$/);
    await audit('/admin/services/pothole', /^Pothole$/);
    await audit(
      `/admin/services/pothole/questions/${pothole.definition.questions[0].code}`,
      /^Edit question$/,
    );
    await audit('/admin/services/pothole/questions/new', /^Add a question$/);
  });

  it('audits the routing rules, a rule form and the test bench with a result', async () => {
    const [rule] = await server.testApp.app.domain.routing.rules();
    assert.ok(rule, 'the demo council has routing rules');
    await audit('/admin/routing', /^Routing rules$/);
    await audit('/admin/routing/new', /^Add a routing rule$/);
    await audit(`/admin/routing/rules/${rule.id}`, /^Edit routing rule$/);
    await audit('/admin/routing/test', /^Routing test bench$/);
    await audit(
      '/admin/routing/test?lat=53.45&lon=-2.38&service=pothole&answers=danger%3Dno',
      /^Routing test bench$/,
    );
    assert.equal(await page.locator('#result').count(), 1, 'the test bench shows a result');
  });

  it('audits bodies, a body, the body and team forms', async () => {
    await audit('/admin/organisations', /^Bodies and teams$/);
    await audit('/admin/organisations/new', /^Add a body$/);
    await audit('/admin/organisations/ashdown', /^Ashdown Borough Council/);
    await audit('/admin/organisations/ashdown/edit', /^Change the body’s details$/);
    await audit('/admin/organisations/ashdown/teams/new', /^Add a team$/);
    await audit('/admin/organisations/ashdown/teams/highways', /^Change Highways$/);
  });

  it('audits calendars, a calendar, the calendar and closure forms', async () => {
    await audit('/admin/calendars', /^Calendars$/);
    await audit('/admin/calendars/new', /^Add a calendar$/);
    await audit('/admin/calendars/standard', /^Council offices/);
    assert.equal(
      await page.locator('#bank-holidays + p + table tbody tr').count(),
      10,
      'the next 10 bank holidays',
    );
    await audit('/admin/calendars/standard/edit', /^Change the working week$/);
    await audit('/admin/calendars/standard/closures/new', /^Add a closure day$/);
  });

  it('audits areas and the catalogue', async () => {
    await audit('/admin/areas', /^Areas$/);
    await audit('/admin/catalogue', /^Catalogue file$/);
    await audit('/admin/workflow', /^Case workflow$/);
  });

  it('shows an axe-clean error state when a body’s email address is wrong, keeping what was typed', async () => {
    problems.clear();
    await page.goto(server.url('/admin/organisations/new'));
    await page.getByLabel('Code', { exact: true }).fill('hale-barns');
    await page.getByLabel('Name', { exact: true }).fill('Hale Barns Parish Council');
    await page.getByLabel('Parish or town council').check();
    await page.getByLabel('Email address (optional)').fill('clerk at hale-barns');
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Add body' }).click(),
    ]);

    assert.match(await page.title(), /^Error: Add a body – /);
    const summary = page.locator('.govuk-error-summary');
    assert.equal(
      (await summary.getByRole('link').textContent())?.trim(),
      'Enter an email address in the correct format, like name@example.com',
    );
    assert.match(
      (await page.locator('#email-error').textContent()) ?? '',
      /Enter an email address in the correct format/,
    );
    assert.equal(await page.getByLabel('Email address (optional)').inputValue(), 'clerk at hale-barns');
    // GOV.UK Frontend moves focus to the error summary.
    await page.waitForFunction('document.activeElement?.classList.contains("govuk-error-summary")');
    await assertNoAxeViolations(page, 'the body form with an error');
    problems.assertNone('the body form with an error');
  });

  it('shows an axe-clean error state for a date that is not real', async () => {
    problems.clear();
    await page.goto(server.url('/admin/calendars/standard/closures/new'));
    await page.getByLabel('Day').fill('30');
    await page.getByLabel('Month').fill('2');
    await page.getByLabel('Year').fill('2027');
    await page.getByLabel('What it is for').fill('Staff training');
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Add closure day' }).click(),
    ]);
    assert.match(await page.title(), /^Error: Add a closure day – /);
    assert.equal(
      await page.locator('.govuk-error-summary a').getAttribute('href'),
      '#date-day',
      'the summary links to the day',
    );
    await page.locator('.govuk-error-summary a').click();
    assert.equal(await page.evaluate('document.activeElement?.id'), 'date-day');
    await assertNoAxeViolations(page, 'the closure form with an error');
    problems.assertNone('the closure form with an error');
  });
  it('audits people, a person, the person forms and confirmations, and the audit trail', async () => {
    const { app } = server.testApp;
    const officer = await app.db
      .selectFrom('staff_user')
      .select('id')
      .where('role', '=', 'officer')
      .executeTakeFirstOrThrow();
    await audit('/admin/people', /^People$/);
    await audit('/admin/people?role=officer', /^People$/);
    await audit('/admin/people/new', /^Add a person$/);
    await audit(`/admin/people/${officer.id}`, /^Olu Officer \(demo\)/);
    await audit(`/admin/people/${officer.id}/edit`, /^Change Olu Officer \(demo\)$/);
    await audit(`/admin/people/${officer.id}/disable`, /^Disable Olu Officer \(demo\)’s account\?$/);
    await audit('/admin/audit', /^Audit trail$/);
  });

  it('shows an axe-clean error state when adding a person with no role and a bad email address', async () => {
    problems.clear();
    await page.goto(server.url('/admin/people/new'));
    await page.getByLabel('Full name').fill('Nia Newcomer');
    await page.getByLabel('Email address').fill('nia at ashdown');
    await page.getByLabel('Body', { exact: true }).selectOption('ashdown');
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Add person and send invitation' }).click(),
    ]);
    assert.match(await page.title(), /^Error: Add a person – /);
    const links = page.locator('.govuk-error-summary a');
    assert.deepEqual(
      (await links.allTextContents()).map((t) => t.trim()),
      ['Enter an email address in the correct format, like name@example.com', 'Choose their role'],
    );
    assert.equal(await page.getByLabel('Full name').inputValue(), 'Nia Newcomer');
    await page.waitForFunction('document.activeElement?.classList.contains("govuk-error-summary")');
    await assertNoAxeViolations(page, 'the person form with errors');
    problems.assertNone('the person form with errors');

    // With the problems put right, the person is added and their page is axe-clean too.
    await page.getByLabel('Email address').fill('nia@ashdown.example');
    await page.getByLabel('Officer', { exact: true }).check();
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Add person and send invitation' }).click(),
    ]);
    assert.match((await page.locator('.govuk-notification-banner').textContent()) ?? '', /Person added/);
    await assertNoAxeViolations(page, 'a newly added person');
    await audit('/admin/audit?action=staff.added', /^Audit trail$/);
  });
});
