/**
 * Staff sign-in in a real browser (playwright-core), as a person does it: the password, then setting up
 * the authenticator app from the setup key on the page (first time), or a code from it. See staff.ts for
 * how codes are chosen so that many sign-ins in a row are not refused as replays.
 *
 *   await signInInBrowser(page, server, admin, '/admin');
 *
 * or, for a suite about pages the demo's admin sees: `const session = useDemoSignedInPage('admin', '/admin')`.
 */
import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { StaffRole } from '../../src/db/database.js';
import { seedDemoCouncil, type DemoCredential } from '../../src/demo/seed.js';
import { totpCode } from '../../src/modules/staff/totp.js';
import {
  launchBrowser,
  startServer,
  watchForProblems,
  type PageProblems,
  type TestServer,
} from './browser.js';
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

export interface SignedInPage {
  browser: Browser;
  server: TestServer;
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
  credentials: DemoCredential[];
}

/**
 * Registers before() and after() hooks in the calling suite: Chromium and a server with the demo council
 * started side by side, a page watched for problems (see watchForProblems), signed in as the demo's
 * member of staff with `role` and left on `next`. Call the returned function in tests and later hooks.
 */
export function useDemoSignedInPage(role: StaffRole, next: string): () => SignedInPage {
  let ready: SignedInPage | undefined;
  let browser: Browser | undefined;
  let server: TestServer | undefined;
  let context: BrowserContext | undefined;
  before(async () => {
    let credentials: DemoCredential[] = [];
    // Both at once; whichever started is closed in after() even if the other failed.
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({ seed: async (db) => (credentials = (await seedDemoCouncil(db)) ?? []) }).then(
        (s) => (server = s),
      ),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
    context = await browser!.newContext();
    const page = await context.newPage();
    const problems = await watchForProblems(page);
    const who = credentials.find((c) => c.role === role);
    if (!who) throw new Error(`the demo council has no ${role}`);
    await signInInBrowser(page, server!, who, next);
    ready = { browser: browser!, server: server!, context, page, problems, credentials };
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });
  return () => {
    if (!ready) throw new Error('the signed-in page is not ready');
    return ready;
  };
}
