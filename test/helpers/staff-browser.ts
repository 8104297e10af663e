/**
 * Staff sign-in in a real browser (playwright-core), as a person does it: the password, then setting up
 * the authenticator app from the setup key on the page (first time), or a code from it. See staff.ts for
 * how codes are chosen so that many sign-ins in a row are not refused as replays.
 *
 *   await signInInBrowser(page, server, admin, '/admin');
 */
import type { Page } from 'playwright-core';
import { totpCode } from '../../src/modules/staff/totp.js';
import type { TestServer } from './browser.js';
import { answerSecondFactor, knownFactor, rememberFactor, setUpStep } from './staff.js';

async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([
    page.waitForEvent('load'),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
}

/** Signs in and ends on `next` (a path). */
export async function signInInBrowser(
  page: Page,
  server: TestServer,
  who: { email: string; password: string },
  next: string,
): Promise<void> {
  const app = server.testApp.app;
  await page.goto(server.url(`/staff/sign-in?next=${encodeURIComponent(next)}`));
  await page.getByLabel('Email address').fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await submit(page, 'Sign in');
  const path = () => new URL(page.url()).pathname;

  if (path() === '/staff/two-factor/setup') {
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
    const step = await setUpStep();
    await page.getByLabel('Code from the app').fill(totpCode(secret, { step }));
    await submit(page, 'Continue');
    const codes = await page.getByRole('list', { name: 'Recovery codes' }).locator('code').allTextContents();
    if (codes.length !== 10) throw new Error(`setting up the authenticator app failed at ${page.url()}`);
    rememberFactor(app, who.email, { secret, lastStep: step, recoveryCodes: codes });
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: 'I have saved my recovery codes' }).click(),
    ]);
  } else if (path() === '/staff/sign-in/code') {
    const factor = knownFactor(app, who.email);
    if (!factor) throw new Error(`the tests do not know the authenticator app of ${who.email}`);
    await answerSecondFactor(factor, async (answer) => {
      if (answer.kind === 'code') {
        await page.getByLabel('Enter the code from your authenticator app').fill(answer.value);
        await submit(page, 'Continue');
        return path() !== '/staff/sign-in/code';
      }
      await page.goto(server.url('/staff/sign-in/recovery-code'));
      await page.getByLabel('Enter a recovery code').fill(answer.value);
      await submit(page, 'Continue');
      if (path() === '/staff/sign-in/recovery-code') return false;
      await page.goto(server.url(next));
      return true;
    });
  }
  if (path() !== new URL(next, 'http://x').pathname) {
    throw new Error(`signing in ended at ${page.url()}, not ${next}`);
  }
}
