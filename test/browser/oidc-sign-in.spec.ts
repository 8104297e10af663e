/**
 * Signing in through the council's identity provider in a real browser: the button on the sign-in page,
 * the provider's own sign-in and consent pages (a real oidc-provider on 127.0.0.1), and back to Civicdesk
 * signed in. Civicdesk's pages on the way (sign-in, landing, account, a problem page) are axe-clean with
 * one h1 and no console error or CSP violation; the provider's pages are not ours and are not checked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { seedDemoCouncil } from '../../src/demo/seed.js';
import {
  assertOneHeading,
  assertNoAxeViolations,
  freePort,
  launchBrowser,
  startServer,
  watchForProblems,
  type PageProblems,
  type TestServer,
} from '../helpers/browser.js';
import { startIdentityProvider, type TestIdentityProvider } from '../helpers/oidc-provider.js';

const BUTTON = 'Sign in with Ashdown Council account';

describe('staff sign-in through the identity provider in a browser', () => {
  let browser: Browser;
  let server: TestServer;
  let idp: TestIdentityProvider;

  before(async () => {
    const port = await freePort();
    idp = await startIdentityProvider({
      clients: [
        {
          client_id: 'civicdesk',
          client_secret: 'browser-test-client-secret',
          redirect_uris: [`http://127.0.0.1:${port}/staff/sign-in/oidc/callback`],
        },
      ],
    });
    idp.accounts.set('ada', {
      email: 'admin@ashdown.example',
      email_verified: true,
      name: 'Ada Admin',
      roles: ['civicdesk-admins'],
    });
    browser = await launchBrowser();
    server = await startServer({
      port,
      seed: (db) => seedDemoCouncil(db),
      env: {
        CIVICDESK_BASE_URL: `http://127.0.0.1:${port}`,
        CIVICDESK_OIDC_ISSUER: idp.issuer,
        CIVICDESK_OIDC_CLIENT_ID: 'civicdesk',
        CIVICDESK_OIDC_CLIENT_SECRET: 'browser-test-client-secret',
        CIVICDESK_OIDC_SCOPES: 'openid email profile roles',
        CIVICDESK_OIDC_BUTTON_TEXT: BUTTON,
        CIVICDESK_OIDC_ROLE_MAP: 'civicdesk-admins=admin,civicdesk-officers=officer',
      },
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await idp?.close();
  });

  async function check(page: Page, problems: PageProblems, heading: RegExp, where: string) {
    await assertOneHeading(page, heading, where);
    await assertNoAxeViolations(page, where);
    problems.assertNone(where);
    problems.clear();
  }

  async function submitAndWait(page: Page, selector: string) {
    await Promise.all([page.waitForEvent('load'), page.locator(selector).click()]);
  }

  it('signs an administrator in from the button, through the provider, without asking for our TOTP', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      await page.goto(server.url('/staff/sign-in'));
      await check(page, problems, /^Sign in$/, 'the sign-in page with the provider button');

      // To the provider's pages, which are not ours: watch nothing there.
      await Promise.all([
        page.waitForURL(`${idp.issuer}/**`),
        page.getByRole('button', { name: BUTTON }).click(),
      ]);
      await page.locator('input[name="login"]').fill('ada');
      await page.locator('input[name="password"]').fill('anything');
      await submitAndWait(page, 'button[type="submit"]');
      if (page.url().startsWith(idp.issuer)) await submitAndWait(page, 'button[type="submit"]'); // consent
      await page.waitForURL(server.url('/admin'));

      // Back at Civicdesk, in pages with a fresh watch.
      const signedIn = await context.newPage();
      const watch = await watchForProblems(signedIn);
      await signedIn.goto(server.url('/admin'));
      assert.equal(new URL(signedIn.url()).pathname, '/admin', 'not sent to set up an authenticator app');
      await check(signedIn, watch, /./, 'the admin landing page');
      await signedIn.goto(server.url('/staff/account'));
      await check(signedIn, watch, /^Your account$/, 'the account page after a provider sign-in');
      assert.match(await signedIn.locator('#signed-in-through-provider').innerText(), /council account/);
    } finally {
      await context.close();
    }
  });

  it('shows an accessible problem page, with a way back, for a sign-in it cannot finish', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      const response = await page.goto(server.url('/staff/sign-in/oidc/callback?code=abc&state=forged'));
      assert.equal(response?.status(), 400);
      await check(page, problems, /^Your sign-in could not be finished$/, 'the problem page');
      assert.equal(await page.getByRole('link', { name: 'Go to the sign-in page' }).count(), 1);
      assert.equal(await page.getByRole('button', { name: BUTTON }).count(), 1, 'and a way to try again');
    } finally {
      await context.close();
    }
  });
});
