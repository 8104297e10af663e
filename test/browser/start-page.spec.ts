/**
 * The start page and the site's standing pages in a real browser, with and without JavaScript: they
 * render, are axe-clean (WCAG 2.x A/AA and best practice), and run under the strict CSP without a
 * single console error or violation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seedDemoCouncil } from '../../src/demo/seed.js';
import {
  assertNoAxeViolations,
  formatAxeViolations,
  launchBrowser,
  newContextWithoutJavaScript,
  runAxe,
  startServer,
  watchForProblems,
  type TestServer,
} from '../helpers/browser.js';

const COUNCIL_NAME = 'Ashdown Borough Council (fictional demo)';

/** A check on the audit itself: an image without alt text added to the page must be reported. */
async function assertAxeNoticesAMissingAlt(page: Page): Promise<void> {
  // page.evaluate runs through the DevTools protocol, so this works with JavaScript off too.
  await page.evaluate(
    `document.querySelector('main').insertAdjacentHTML('beforeend', '<img src="/assets/images/favicon.svg" id="no-alt">')`,
  );
  const violations = await runAxe(page);
  const imageAlt = violations.find((v) => v.id === 'image-alt');
  assert.ok(imageAlt, `axe missed the image without alt text:\n${formatAxeViolations(violations)}`);
  assert.deepEqual(
    imageAlt.nodes.map((n) => n.target),
    [['#no-alt']],
  );
  assert.match(formatAxeViolations(violations, 'the page'), /image-alt \[critical\]: .*\n.*\n {4}at #no-alt/);
}

describe('start page in a browser', () => {
  let browser: Browser;
  let server: TestServer;

  before(async () => {
    // Both at once; whichever started is closed in after() even if the other failed.
    const [launched, started] = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      startServer({ seed: (db) => seedDemoCouncil(db), env: { CIVICDESK_COUNCIL_NAME: COUNCIL_NAME } }).then(
        (s) => (server = s),
      ),
    ]);
    for (const outcome of [launched, started]) if (outcome.status === 'rejected') throw outcome.reason;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  describe('with JavaScript', () => {
    let context: BrowserContext;
    before(async () => {
      context = await browser.newContext();
    });
    after(async () => {
      await context?.close();
    });

    it('renders the start page with the council name, an h1 and the services', async () => {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      const response = await page.goto(server.url('/'));
      assert.equal(response?.status(), 200);

      assert.equal((await page.locator('header .app-header__name').textContent())?.trim(), COUNCIL_NAME);
      const h1 = page.locator('h1');
      assert.equal(await h1.count(), 1);
      assert.match(
        (await h1.textContent()) ?? '',
        new RegExp(`Report a problem to ${COUNCIL_NAME.replace(/[()]/g, '\\$&')}`),
      );
      assert.match(await page.title(), /^Report a problem – Ashdown Borough Council/);
      assert.match((await page.locator('main').textContent()) ?? '', /Pothole/);

      // GOV.UK Frontend: the template's inline (nonced) script marked the body, and initAll() from our
      // module script initialised the components.
      const bodyClass = (await page.locator('body').getAttribute('class')) ?? '';
      assert.match(bodyClass, /\bjs-enabled\b/);
      assert.match(bodyClass, /\bgovuk-frontend-supported\b/);
      await page.locator('.govuk-skip-link[data-govuk-skip-link-init]').waitFor({ state: 'attached' });

      await assertNoAxeViolations(page, '/ (JavaScript on)');
      problems.assertNone('/ (JavaScript on)');
      await page.close();
    });

    it('shows an axe-clean "Page not found" page for an unknown address', async () => {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      const response = await page.goto(server.url('/no-such-page'));
      assert.equal(response?.status(), 404);
      assert.equal((await page.locator('h1').textContent())?.trim(), 'Page not found');
      assert.match(await page.title(), /^Page not found – /);
      await assertNoAxeViolations(page, '/no-such-page');
      problems.assertNone('/no-such-page');
      await page.close();
    });

    it('shows an axe-clean accessibility statement', async () => {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      const response = await page.goto(server.url('/accessibility'));
      assert.equal(response?.status(), 200);
      assert.equal((await page.locator('h1').textContent())?.trim(), 'Accessibility statement');
      await assertNoAxeViolations(page, '/accessibility');
      problems.assertNone('/accessibility');
      await page.close();
    });

    it('notices a CSP violation when there is one (a check on the watcher itself)', async () => {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      await page.goto(server.url('/'));
      // An inline script without the nonce: the CSP must refuse it, and the watcher must see that.
      const reported = Promise.all([
        page.waitForEvent('console', (m) => /Content Security Policy/.test(m.text())),
        page.waitForEvent('console', (m) => m.text().startsWith('[csp-violation]')),
      ]);
      await page.evaluate(`{
        const script = document.createElement('script');
        script.textContent = 'window.inlineRan = true';
        document.body.append(script);
      }`);
      await reported;
      assert.equal(await page.evaluate('window.inlineRan === true'), false, 'the inline script ran');
      // Both the browser's own console message and the securitypolicyviolation listener report it.
      assert.ok(
        problems.cspViolations.some((m) => /Content Security Policy/.test(m)),
        `the browser's CSP message was not seen: ${JSON.stringify(problems.cspViolations)}`,
      );
      assert.ok(
        problems.cspViolations.some((m) => /^script-src-elem blocked inline/.test(m)),
        `the securitypolicyviolation event was not seen: ${JSON.stringify(problems.cspViolations)}`,
      );
      assert.throws(() => problems.assertNone(), /CSP violation/);
      await page.close();
    });

    it('notices an accessibility violation when there is one (a check on the audit itself)', async () => {
      const page = await context.newPage();
      await page.goto(server.url('/accessibility'));
      await assertAxeNoticesAMissingAlt(page);
      await page.close();
    });
  });

  describe('without JavaScript', () => {
    let context: BrowserContext;
    before(async () => {
      context = await newContextWithoutJavaScript(browser);
    });
    after(async () => {
      await context?.close();
    });

    it('renders the start page content, without js-enabled, and is axe-clean', async () => {
      const page = await context.newPage();
      const problems = await watchForProblems(page);
      const response = await page.goto(server.url('/'));
      assert.equal(response?.status(), 200);

      assert.equal((await page.locator('header .app-header__name').textContent())?.trim(), COUNCIL_NAME);
      assert.equal(await page.locator('h1').count(), 1);
      assert.match((await page.locator('main').textContent()) ?? '', /Pothole/);
      const bodyClass = (await page.locator('body').getAttribute('class')) ?? '';
      assert.doesNotMatch(bodyClass, /\bjs-enabled\b/);
      assert.doesNotMatch(bodyClass, /\bgovuk-frontend-supported\b/);

      await assertNoAxeViolations(page, '/ (JavaScript off)');
      problems.assertNone('/ (JavaScript off)');
      await page.close();
    });

    it('notices an accessibility violation when there is one, and JavaScript stays off', async () => {
      const page = await context.newPage();
      await page.goto(server.url('/accessibility'));
      await assertAxeNoticesAMissingAlt(page);
      // The audit switched script execution on only for itself: a timer set now never fires.
      const timer = page.evaluate('new Promise((resolve) => setTimeout(() => resolve("fired"), 0))');
      const outcome = await Promise.race([
        timer,
        new Promise((resolve) => setTimeout(resolve, 300, 'silent')),
      ]);
      assert.equal(outcome, 'silent', 'script execution was left on after the audit');
      await page.close();
      await timer.catch(() => undefined); // rejected when the page closed
    });
  });
});
