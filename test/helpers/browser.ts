/**
 * The browser-test tier: Debian's Chromium driven by playwright-core, the real app listening on a real
 * port, axe-core on every page, and a watch for console errors and Content Security Policy violations.
 *
 *   const browser = await launchBrowser();
 *   const server = await startServer({ seed: (db) => seedDemoCouncil(db) });
 *   const page = await browser.newPage();
 *   const problems = await watchForProblems(page);
 *   await page.goto(server.url('/'));
 *   await assertNoAxeViolations(page);
 *   problems.assertNone();
 *
 * The app sends a strict CSP (nonces, no 'unsafe-inline'), and the tests keep it on: axe is evaluated
 * through the DevTools protocol (page.evaluate), which CSP does not govern, rather than added as a
 * <script> tag, and the browser context never bypasses CSP.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net, { type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import type { Database } from '../../src/db/database.js';
import { buildTestApp, type TestApp } from './app.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/** Debian's Chromium unless CIVICDESK_CHROMIUM names another executable. */
export const CHROMIUM_PATH = process.env.CIVICDESK_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

const contextsWithoutJavaScript = new WeakSet<BrowserContext>();

/**
 * A browser context with JavaScript switched off, as for a resident whose browser runs none. Use this
 * rather than newContext({ javaScriptEnabled: false }) directly, so that runAxe knows (see there).
 */
/** The default map tile host, which this machine cannot reach. */
export const TILE_HOST = 'https://tile.openstreetmap.org/';

/**
 * Answers map tile requests with a grey 1×1 PNG (Leaflet stretches it over each tile), standing in for
 * the tile server this machine cannot reach, so pages with maps log no failed loads.
 */
export async function serveGreyTiles(context: BrowserContext): Promise<void> {
  const grey = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGO4ewcAAtMBq7JbLdsAAAAASUVORK5CYII=',
    'base64',
  );
  await context.route(`${TILE_HOST}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'image/png', body: grey }),
  );
}

export async function newContextWithoutJavaScript(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  contextsWithoutJavaScript.add(context);
  return context;
}

export interface TestServer {
  /** Like "http://127.0.0.1:41234", no trailing slash. */
  baseUrl: string;
  /** An absolute URL for a path on the server. */
  url(pathname: string): string;
  testApp: TestApp;
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * A port on 127.0.0.1 that nothing is listening on just now: for a server that must know its own address
 * before it starts (CIVICDESK_BASE_URL, so that the links in its emails lead back to it).
 */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Starts the real app (buildTestApp: CSRF, CSP and rate limits as in production) on a fresh in-memory
 * PGlite database, listening on 127.0.0.1 on `port` (default: any free port). `seed` runs on the
 * migrated database before the app is built.
 */
export async function startServer({
  seed,
  env,
  beforeReady,
  port: wantedPort = 0,
}: {
  seed?: (db: Kysely<Database>) => Promise<unknown>;
  env?: Record<string, string>;
  /** Add test-only routes (a page with a component on it, a stub endpoint) before the app is sealed. */
  beforeReady?: (app: FastifyInstance) => void;
  /** From freePort(), when the app must be told its own address (CIVICDESK_BASE_URL) in `env`. */
  port?: number;
} = {}): Promise<TestServer> {
  const database = await createTestDatabase('pglite');
  let testApp: TestApp | undefined;
  try {
    if (seed) await seed(database.db);
    testApp = await buildTestApp(database, { env, beforeReady });
    await testApp.app.listen({ port: wantedPort, host: '127.0.0.1' });
  } catch (error) {
    await testApp?.close();
    await database.close();
    throw error;
  }
  const { port } = testApp.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = testApp;
  return {
    baseUrl,
    url: (pathname) => new URL(pathname, baseUrl).toString(),
    testApp: started,
    database,
    close: async () => {
      await started.close();
      await database.close();
    },
  };
}

// --- axe-core ---------------------------------------------------------------------------------------

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice'];

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; html: string; failureSummary: string }[];
}

let axeSource: string | undefined;
function readAxeSource(): string {
  axeSource ??= fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

const AXE_TIMEOUT_MS = 15_000;

/**
 * Runs axe-core on the page as it is now and returns its violations (an empty list when clean).
 *
 * axe.run is asynchronous and needs timers, which never fire while script execution is disabled. So in a
 * context from newContextWithoutJavaScript, script execution is switched back on for the audit only,
 * through a DevTools protocol session of our own: the page has already been parsed and rendered without
 * JavaScript, its scripts were skipped then and do not run now, so axe sees exactly what a resident
 * without JavaScript gets. Script execution is switched off again afterwards.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  if (!contextsWithoutJavaScript.has(page.context())) {
    return withTimeout(
      auditPage(page),
      AXE_TIMEOUT_MS,
      'axe-core did not finish (if JavaScript is off in this context, create it with newContextWithoutJavaScript())',
    );
  }
  const cdp = await scriptSwitch(page);
  // Each DevTools session keeps its own view of this setting and acts only when it changes: so set it
  // (agreeing with the context) before clearing it. The session is kept, not detached: detaching would
  // undo its setting and leave script execution on.
  await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
  await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
  try {
    return await withTimeout(auditPage(page), AXE_TIMEOUT_MS, 'axe-core did not finish');
  } finally {
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
  }
}

const scriptSwitches = new WeakMap<Page, CDPSession>();
async function scriptSwitch(page: Page): Promise<CDPSession> {
  let session = scriptSwitches.get(page);
  if (!session) {
    session = await page.context().newCDPSession(page);
    scriptSwitches.set(page, session);
  }
  return session;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function auditPage(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(readAxeSource());
  // The callback is serialised and run in the page: it must not refer to anything outside itself.
  return page.evaluate(async (tags: string[]) => {
    const { axe } = globalThis as unknown as {
      axe: {
        run(options: object): Promise<{
          violations: {
            id: string;
            impact?: string | null;
            help: string;
            helpUrl: string;
            nodes: { target: unknown[]; html: string; failureSummary?: string }[];
          }[];
        }>;
      };
    };
    const results = await axe.run({ runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        // A selector, or for a node inside iframes or shadow roots a list of them, outermost first.
        target: n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : String(t))),
        html: n.html,
        failureSummary: n.failureSummary ?? '',
      })),
    }));
  }, AXE_TAGS);
}

/** A readable account of axe violations, one rule per paragraph, for an assertion message. */
export function formatAxeViolations(violations: AxeViolation[], where = 'the page'): string {
  if (violations.length === 0) return `No accessibility violations on ${where}.`;
  const lines = [`${violations.length} accessibility rule(s) violated on ${where}:`];
  for (const v of violations) {
    lines.push(`- ${v.id} [${v.impact ?? 'unknown impact'}]: ${v.help}`, `    ${v.helpUrl}`);
    for (const node of v.nodes) {
      lines.push(`    at ${node.target.join(' >> ')}`, `       ${node.html.slice(0, 200)}`);
    }
  }
  return lines.join('\n');
}

/**
 * Waits for the page a click or submit led to, then checks it has exactly one h1 and that it reads as
 * expected. Checking at once after a click can catch the next page before its body has arrived (a
 * count of 0), so this waits for the load and for an h1 with the expected text first.
 */
export async function assertOneHeading(
  page: Page,
  heading: string | RegExp,
  where = page.url(),
): Promise<void> {
  await page.waitForLoadState('load');
  const h1 = page.locator('h1');
  await h1
    .filter({ hasText: heading })
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => undefined); // the assertions below say what was there instead
  assert.equal(await h1.count(), 1, `${where} has one h1`);
  const text = ((await h1.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  if (typeof heading === 'string') assert.equal(text, heading, `the heading on ${where}`);
  else assert.match(text, heading, `the heading on ${where}`);
}

export async function assertNoAxeViolations(page: Page, where = page.url()): Promise<void> {
  const violations = await runAxe(page);
  assert.equal(violations.length, 0, formatAxeViolations(violations, where));
}

// --- console errors and CSP violations --------------------------------------------------------------

const CSP_PREFIX = '[csp-violation]';

/**
 * Reports each securitypolicyviolation as a console error with a recognisable prefix. Playwright runs
 * init scripts through the DevTools protocol, so the page's CSP does not block this.
 */
const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', function (e) {
  console.error(${JSON.stringify(CSP_PREFIX)} + ' ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' in ' + (e.sourceFile || document.location.href) + ':' + e.lineNumber);
}, true);`;

export interface PageProblems {
  consoleErrors: string[];
  cspViolations: string[];
  pageErrors: string[];
  /** Fails with every problem seen so far listed. */
  assertNone(where?: string): void;
  /** Forgets what has been seen so far. */
  clear(): void;
}

/**
 * Collects console errors, uncaught page errors and CSP violations from now on (for pages loaded after
 * this call), except the browser's note that a document the page navigated to answered with an error
 * status. With JavaScript disabled there is nothing to run the CSP listener, so only the browser's
 * own console messages are seen.
 */
export async function watchForProblems(page: Page): Promise<PageProblems> {
  const problems: PageProblems = {
    consoleErrors: [],
    cspViolations: [],
    pageErrors: [],
    assertNone(where = page.url()) {
      const all = [
        ...problems.cspViolations.map((m) => `CSP violation: ${m}`),
        ...problems.consoleErrors.map((m) => `console error: ${m}`),
        ...problems.pageErrors.map((m) => `page error: ${m}`),
      ];
      assert.equal(
        all.length,
        0,
        `${all.length} problem(s) in the browser on ${where}:\n- ${all.join('\n- ')}`,
      );
    },
    clear() {
      problems.consoleErrors.length = 0;
      problems.cspViolations.length = 0;
      problems.pageErrors.length = 0;
    },
  };
  // A page the test navigated to may fail on purpose (a 404 page); Chromium then logs "Failed to load
  // resource" for the document itself. The test checks that status, so only that message is let pass:
  // a failing stylesheet, script or image still counts.
  const failedDocuments = new Set<string>();
  page.on('response', (response) => {
    const request = response.request();
    if (response.status() >= 400 && request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      failedDocuments.add(response.url());
    }
  });
  await page.addInitScript(CSP_LISTENER);
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const { url, lineNumber } = message.location();
    if (text.startsWith('Failed to load resource') && failedDocuments.has(url)) return;
    const at = url ? ` (${url}:${lineNumber})` : '';
    if (text.startsWith(CSP_PREFIX)) problems.cspViolations.push(text.slice(CSP_PREFIX.length).trim());
    else if (/Content[ -]Security[ -]Policy/i.test(text)) problems.cspViolations.push(text + at);
    else problems.consoleErrors.push(text + at);
  });
  page.on('pageerror', (error) => problems.pageErrors.push(error.stack ?? error.message));
  return problems;
}
