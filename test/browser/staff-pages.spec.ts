/**
 * Every staff sign-in and account page in a real browser, under the strict CSP: each renders with one
 * h1, is axe-clean, and logs no console error or CSP violation; the error states too, with the "Error: "
 * title and focus on the error summary. The QR code is a data: image that the CSP allows and the browser
 * can draw. The case page with its action forms (priority, change service, mark as duplicate) is checked
 * the same way, with an error state and the page that says a re-routed case left the officer's sight.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seedDemoCouncil, type DemoCredential } from '../../src/demo/seed.js';
import { EMAIL_SEND } from '../../src/infra/mailer/email.jobs.js';
import { totpCode, totpStep } from '../../src/modules/staff/totp.js';
import {
  assertOneHeading,
  assertNoAxeViolations,
  launchBrowser,
  serveGreyTiles,
  startServer,
  watchForProblems,
  type PageProblems,
  type TestServer,
} from '../helpers/browser.js';
import { signInInBrowser } from '../helpers/staff-browser.js';
import { rememberFactor } from '../helpers/staff.js';

describe('staff sign-in and account pages in a browser', () => {
  let browser: Browser;
  let server: TestServer;
  let credentials: DemoCredential[] = [];
  const login = (role: string) => credentials.find((c) => c.role === role)!;

  before(async () => {
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({ seed: async (db) => (credentials = (await seedDemoCouncil(db)) ?? []) }).then(
        (s) => (server = s),
      ),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function withPage(run: (page: Page, problems: PageProblems) => Promise<void>): Promise<void> {
    const context: BrowserContext = await browser.newContext();
    await serveGreyTiles(context); // the case page has a map
    try {
      const page = await context.newPage();
      await run(page, await watchForProblems(page));
    } finally {
      await context.close();
    }
  }

  /** Checks the page as it is now: one h1, axe-clean, no console or CSP problem. */
  async function check(page: Page, problems: PageProblems, heading: RegExp, where: string): Promise<void> {
    await assertOneHeading(page, heading, where);
    await assertNoAxeViolations(page, where);
    problems.assertNone(where);
    problems.clear();
  }

  async function visit(page: Page, problems: PageProblems, path: string, heading: RegExp, status = 200) {
    const response = await page.goto(server.url(path));
    assert.equal(response?.status(), status, `${path} answered ${response?.status()}`);
    await check(page, problems, heading, path);
  }

  async function submit(page: Page, button: string): Promise<void> {
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: button, exact: true }).click(),
    ]);
  }

  /** The error state: the title, the summary linking to the field, focus on the summary. */
  async function checkError(
    page: Page,
    problems: PageProblems,
    title: string,
    message: RegExp,
    where: string,
  ) {
    assert.match(await page.title(), new RegExp(`^Error: ${title} – `), where);
    assert.match((await page.locator('.govuk-error-summary').textContent()) ?? '', message, where);
    await page.waitForFunction('document.activeElement?.classList.contains("govuk-error-summary")');
    await check(page, problems, /./, where);
  }

  it('audits the signed-out pages: sign in, forgotten password, reset, and their error states', async () => {
    await withPage(async (page, problems) => {
      await visit(page, problems, '/staff/sign-in', /^Sign in$/);
      await visit(page, problems, '/staff/sign-in?notice=signed-out-everywhere', /^Sign in$/);
      await page.getByLabel('Email address').fill('somebody@ashdown.example');
      await page.getByLabel('Password', { exact: true }).fill('not the password');
      await submit(page, 'Sign in');
      await checkError(
        page,
        problems,
        'Sign in',
        /Enter a correct email address and password/,
        'sign-in error',
      );
      assert.equal(await page.getByLabel('Email address').inputValue(), 'somebody@ashdown.example');
      assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');

      await page.getByRole('link', { name: 'Forgotten your password?' }).click();
      await page.waitForURL(/\/staff\/forgotten-password$/);
      await check(page, problems, /^Reset your password$/, 'forgotten password');
      await page.getByLabel('Email address').fill('not an email');
      await submit(page, 'Send the link');
      await checkError(page, problems, 'Reset your password', /correct format/, 'forgotten password error');
      await page.getByLabel('Email address').fill(login('officer').email);
      await submit(page, 'Send the link');
      await check(page, problems, /^Check your email$/, 'link sent');

      const job = await server.database.db
        .selectFrom('outbox_job')
        .select('payload')
        .where('kind', '=', EMAIL_SEND)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      const link = /https?:\/\/[^/]+(\/staff\/reset-password\?token=[\w-]+)/.exec(
        (job.payload as { text: string }).text,
      )![1]!;
      await page.goto(server.url(link));
      assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
      await check(page, problems, /^Choose a new password$/, 'reset form');
      await page.getByLabel('New password', { exact: true }).fill('Password2024!');
      await page.getByLabel('Confirm new password').fill('Password2024!');
      await submit(page, 'Change password');
      await checkError(page, problems, 'Choose a new password', /too easy to guess/, 'reset form error');
      const newPassword = 'Fenland-Heron-Tuesday-41';
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('Confirm new password').fill(newPassword);
      await submit(page, 'Change password');
      await check(page, problems, /^Sign in$/, 'signed in after reset');
      assert.match(
        (await page.locator('.govuk-notification-banner').textContent()) ?? '',
        /password has been changed/,
      );
      login('officer').password = newPassword;
      await visit(page, problems, link, /^This link does not work$/, 410);
    });
  });

  it('audits setting up the authenticator app, the recovery codes and the account pages', async () => {
    await withPage(async (page, problems) => {
      const admin = login('admin');
      await page.goto(server.url('/staff/sign-in'));
      await page.getByLabel('Email address').fill(admin.email);
      await page.getByLabel('Password', { exact: true }).fill(admin.password);
      await submit(page, 'Sign in');
      assert.equal(new URL(page.url()).pathname, '/staff/two-factor/setup');
      await check(page, problems, /^Set up your authenticator app$/, 'set-up');
      const qr = page.getByRole('img', { name: /QR code to scan/ });
      const drawn = await qr.evaluate((element) => {
        const img = element as unknown as { complete: boolean; naturalWidth: number };
        return img.complete && img.naturalWidth > 0;
      });
      assert.equal(drawn, true, 'the QR code is drawn');

      await page.getByLabel('Code from the app').fill('000000');
      await submit(page, 'Continue');
      await checkError(
        page,
        problems,
        'Set up your authenticator app',
        /The code is not correct/,
        'set-up error',
      );

      const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
      const step = totpStep(new Date());
      await page.getByLabel('Code from the app').fill(totpCode(secret, { step }));
      await submit(page, 'Continue');
      await check(page, problems, /^Save your recovery codes$/, 'recovery codes');
      const codes = await page
        .getByRole('list', { name: 'Recovery codes' })
        .locator('code')
        .allTextContents();
      assert.equal(codes.length, 10);
      rememberFactor(server.testApp.app, admin.email, { secret, lastStep: step, recoveryCodes: codes });

      await visit(page, problems, '/staff/account', /^Your account$/);
      await visit(page, problems, '/staff/account/password', /^Change your password$/);
      await page.getByLabel('Current password').fill('wrong');
      await page.getByLabel('New password', { exact: true }).fill('short');
      await page.getByLabel('Confirm new password').fill('short');
      await submit(page, 'Change password');
      await checkError(
        page,
        problems,
        'Change your password',
        /not correct[\s\S]*12 characters/,
        'change password error',
      );
      await visit(page, problems, '/staff/two-factor/recovery-codes', /^Get new recovery codes$/);
      await page.getByLabel('Your password').fill('wrong');
      await submit(page, 'Get new recovery codes');
      await checkError(
        page,
        problems,
        'Get new recovery codes',
        /Your password is not correct/,
        'confirm password error',
      );
      await visit(page, problems, '/staff/two-factor/setup', /^Set up a different authenticator app$/);
    });
  });

  it('audits the code and recovery code steps of sign-in, and the locked page', async () => {
    await withPage(async (page, problems) => {
      const admin = login('admin');
      await page.goto(server.url('/staff/sign-in'));
      await page.getByLabel('Email address').fill(admin.email);
      await page.getByLabel('Password', { exact: true }).fill(admin.password);
      await submit(page, 'Sign in');
      await check(page, problems, /^Enter the code from your authenticator app$/, 'code step');
      await page.getByLabel('Enter the code from your authenticator app').fill('12');
      await submit(page, 'Continue');
      await checkError(
        page,
        problems,
        'Enter the code from your authenticator app',
        /6 digits/,
        'code step error',
      );
      await page.getByRole('link', { name: 'Use a recovery code instead' }).click();
      await page.waitForURL(/recovery-code$/);
      await check(page, problems, /^Enter a recovery code$/, 'recovery code step');
      await page.getByLabel('Enter a recovery code').fill('nope');
      await submit(page, 'Continue');
      await checkError(
        page,
        problems,
        'Enter a recovery code',
        /12 letters and numbers/,
        'recovery code error',
      );
    });
    await withPage(async (page, problems) => {
      const agent = login('agent');
      await signInInBrowser(page, server, agent, '/staff/account/password');
      for (let i = 0; i < 5; i++) {
        await page.getByLabel('Current password').fill(`wrong ${i}`);
        await page.getByLabel('New password', { exact: true }).fill('Fenland-Heron-Tuesday-41');
        await page.getByLabel('Confirm new password').fill('Fenland-Heron-Tuesday-41');
        await submit(page, 'Change password');
      }
      await check(page, problems, /^You cannot sign in just now$/, 'locked');
      assert.match((await page.locator('main').textContent()) ?? '', /locked until/);
    });
  });

  it('audits the case page with its action forms, an error state, and a case moved to another body', async () => {
    const app = server.testApp.app;
    const report = (lat: number, lon: number) =>
      app.intake.submit({
        serviceCode: 'pothole',
        lat,
        lon,
        description: 'A deep pothole',
        answers: { danger: 'no', size: 'large' },
        reporter: { name: 'Rosa Resident', email: 'rosa@example.org' },
        channel: 'web',
        at: new Date('2026-11-24T10:00:00Z'),
      });
    const original = (await report(53.45, -2.38)).case.reference;
    const duplicate = (await report(53.4501, -2.3801)).case.reference;
    const inParish = (await report(53.412, -2.371)).case.reference;
    await app.domain.routing.saveRule({
      serviceCode: 'fly-tipping',
      position: 5,
      name: 'Fly-tipping in Little Wickham goes to the parish',
      conditions: { areaKind: 'parish', areaCode: 'DEMO-P-LW' },
      bodyCode: 'little-wickham',
      teamCode: 'clerk',
      showContact: false,
      enabled: true,
    });
    await withPage(async (page, problems) => {
      await signInInBrowser(page, server, login('officer'), `/staff/cases/${duplicate}`);
      await check(page, problems, new RegExp(`^${duplicate}$`), 'case page');
      for (const label of ['How urgent is it?', 'New service', 'Reference of the original case'])
        assert.equal(await page.getByText(label, { exact: true }).count(), 1, `the ${label} form is there`);

      await page.getByLabel('Reference of the original case').fill(duplicate);
      await submit(page, 'Mark as duplicate');
      await checkError(
        page,
        problems,
        `Case ${duplicate}`,
        /cannot be a duplicate of itself/,
        'duplicate error',
      );
      assert.equal(await page.getByLabel('Reference of the original case').inputValue(), duplicate);

      await page.getByLabel('Urgent').check();
      await submit(page, 'Set priority');
      await check(page, problems, new RegExp(`^${duplicate}$`), 'priority set');
      assert.equal(((await page.locator('.moj-badge').textContent()) ?? '').trim(), 'Urgent');

      await page.getByLabel('Reference of the original case').fill(original);
      await submit(page, 'Mark as duplicate');
      await check(page, problems, new RegExp(`^${duplicate}$`), 'marked as duplicate');
      assert.match((await page.locator('main').textContent()) ?? '', new RegExp(`Duplicate of ${original}`));

      await page.goto(server.url(`/staff/cases/${inParish}`));
      await page.getByLabel('New service').selectOption('fly-tipping');
      await submit(page, 'Change service');
      await check(page, problems, /^Service changed/, 'moved to another body');
      assert.match((await page.locator('main').textContent()) ?? '', /you can no longer see it/);
    });
  });
});
