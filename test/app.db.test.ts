/**
 * The web foundation through HTTP (app.inject): pages, health checks, the one error model, and the
 * security defaults (CSP nonces, CSRF, cookies, rate-limited 404s, log redaction), on both engines.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { seedDemoCouncil } from '../src/demo/seed.js';
import { loggerOptions } from '../src/infra/logging.js';
import {
  buildTestApp,
  csrfTokenFrom,
  PRODUCTION_ENV,
  sessionCookieFrom,
  type TestApp,
} from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';

describeEachEngine('web foundation', (getDatabase) => {
  let t: TestApp;
  before(async () => {
    await seedDemoCouncil(getDatabase().db);
    t = await buildTestApp(getDatabase());
  });
  after(() => t.close());

  it('serves the start page with the council name and its services', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/html/);
    assert.match(
      response.body,
      /<title>Report a problem – Ashdown Borough Council \(fictional demo\)<\/title>/,
    );
    assert.match(response.body, /Pothole/);
    assert.match(response.body, /Missed bin collection/);
  });

  it("sends a CSP with a fresh nonce per response, used by the page's one inline script, and no unsafe-inline", async () => {
    const first = await t.app.inject({ method: 'GET', url: '/' });
    const second = await t.app.inject({ method: 'GET', url: '/' });
    const csp = first.headers['content-security-policy'] as string;
    assert.ok(csp, 'a CSP header is sent');
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    const nonce = /script-src[^;]*'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, `script-src has a nonce: ${csp}`);
    assert.match(first.body, new RegExp(`<script nonce="${nonce.replace(/[+/=]/g, '\\$&')}">`));
    const secondNonce = /'nonce-([^']+)'/.exec(second.headers['content-security-policy'] as string)?.[1];
    assert.notEqual(secondNonce, nonce);
    assert.equal(first.headers['x-content-type-options'], 'nosniff');
  });

  it('serves GOV.UK Frontend and the built stylesheet', async () => {
    const css = await t.app.inject({ method: 'GET', url: '/static/app.css' });
    assert.equal(css.statusCode, 200);
    assert.match(css.body, /govuk-header|govuk-generic-header/);
    assert.doesNotMatch(css.body, /GDS Transport/, 'councils must not use the GOV.UK typeface');
    const js = await t.app.inject({ method: 'GET', url: '/static/govuk/govuk-frontend.min.js' });
    assert.equal(js.statusCode, 200);
    const source = await t.app.inject({ method: 'GET', url: '/static/govuk/template.njk' });
    assert.equal(source.statusCode, 404, 'only the compiled bundle is served from govuk-frontend');
  });

  it('answers /healthz always, and /readyz only once a worker is alive', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const notReady = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.json().checks.database.ok, true);
    assert.equal(notReady.json().checks.migrations.ok, true);
    assert.equal(notReady.json().checks.worker.ok, false);

    const worker = t.app.jobs.createWorker(pino({ level: 'silent' }));
    await worker.start();
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    await worker.stop();
    assert.equal(ready.statusCode, 200, ready.body);
    assert.equal(ready.json().status, 'ready');
  });

  it('renders one error model as HTML, problem JSON for /api and Open311 XML or JSON', async () => {
    const html = await t.app.inject({ method: 'GET', url: '/no-such-page' });
    assert.equal(html.statusCode, 404);
    assert.match(html.body, /<h1 class="govuk-heading-l">Page not found<\/h1>/);

    const api = await t.app.inject({ method: 'GET', url: '/api/v1/nothing' });
    assert.equal(api.statusCode, 404);
    assert.match(api.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(api.json().code, 'not_found');
    assert.equal(api.json().status, 404);

    const xml = await t.app.inject({ method: 'GET', url: '/open311/v2/nothing.xml' });
    assert.equal(xml.statusCode, 404);
    assert.match(xml.headers['content-type'] as string, /^text\/xml; charset=utf-8/);
    assert.match(
      xml.body,
      /^<\?xml version="1.0" encoding="utf-8"\?>\n<errors><error><code>404<\/code><description>Page not found<\/description><\/error><\/errors>$/,
    );

    const json = await t.app.inject({ method: 'GET', url: '/open311/v2/nothing.json' });
    assert.deepEqual(json.json(), [{ code: 404, description: 'Page not found' }]);
  });

  it("refuses a state-changing form post without the session's CSRF token (403), and accepts it with one", async () => {
    const page = await t.app.inject({ method: 'GET', url: '/dev/mail' });
    // With no emails yet the page has no form; send one so it does.
    assert.equal(page.statusCode, 200);
    const cookie = sessionCookieFrom(page);
    assert.ok(cookie, 'the page with a form starts a session');

    const tokenless = await t.app.inject({
      method: 'POST',
      url: '/dev/mail/clear',
      headers: { cookie },
      payload: {},
    });
    assert.equal(tokenless.statusCode, 403);
    assert.match(tokenless.body, /This form has expired or did not come from this site/);

    const session = await t.app.inject({ method: 'GET', url: '/dev/mail', headers: { cookie } });
    const token = csrfTokenFrom(session.body) ?? (await tokenFromFormPage(t, cookie));
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/dev/mail/clear',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${'A'.repeat(43)}`,
    });
    assert.equal(wrong.statusCode, 403);

    const crossSite = await t.app.inject({
      method: 'POST',
      url: '/dev/mail/clear',
      headers: {
        cookie,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `_csrf=${encodeURIComponent(token)}`,
    });
    assert.equal(crossSite.statusCode, 403);

    const ok = await t.app.inject({
      method: 'POST',
      url: '/dev/mail/clear',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(token)}`,
    });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/dev/mail');

    const noCookie = await t.app.inject({
      method: 'POST',
      url: '/dev/mail/clear',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(token)}`,
    });
    assert.equal(noCookie.statusCode, 403, 'a token is worth nothing without its session');
  });

  it('sets the session cookie HttpOnly, Secure and SameSite=Lax', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/dev/mail' });
    const header = ([] as string[])
      .concat(page.headers['set-cookie'] ?? [])
      .find((c) => c.startsWith('civicdesk_session='));
    assert.ok(header);
    assert.match(header, /; HttpOnly/);
    assert.match(header, /; Secure/);
    assert.match(header, /; SameSite=Lax/);
  });

  it('rate-limits requests for pages that do not exist', async () => {
    let last = 0;
    for (let i = 0; i < 125 && last !== 429; i++) {
      last = (await t.app.inject({ method: 'GET', url: `/probe-${i}`, remoteAddress: '203.0.113.9' }))
        .statusCode;
    }
    assert.equal(last, 429);
    const other = await t.app.inject({ method: 'GET', url: '/probe-x', remoteAddress: '203.0.113.10' });
    assert.equal(other.statusCode, 404, 'other clients are not affected');
  });
});

async function tokenFromFormPage(t: TestApp, cookie: string): Promise<string> {
  // The dev mailbox shows its form only when there are emails: send one through the file mailer.
  await t.app.mailer.send({ to: 'someone@example.org', subject: 'Hello', text: 'Hi' });
  const page = await t.app.inject({ method: 'GET', url: '/dev/mail', headers: { cookie } });
  const token = csrfTokenFrom(page.body);
  assert.ok(token, 'the form carries a CSRF token');
  return token;
}

describeEachEngine('production mode', (getDatabase) => {
  let t: TestApp;
  const logLines: string[] = [];
  before(async () => {
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    });
    t = await buildTestApp(getDatabase(), {
      env: { ...PRODUCTION_ENV, CIVICDESK_LOG_LEVEL: 'info' },
      parts: {
        logger: { ...(loggerOptions({ CIVICDESK_LOG_LEVEL: 'info' }, { pretty: false }) as object), stream },
      },
      beforeReady: (app) => {
        app.get('/boom', async (request) => {
          request.log.info({ email: 'resident@example.org', phone: '07700 900123' }, 'handling');
          throw new Error('secret internal detail');
        });
      },
    });
  });
  after(() => t.close());

  it('has no development pages', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/dev/mail' })).statusCode, 404);
    const home = await t.app.inject({ method: 'GET', url: '/' });
    assert.doesNotMatch(home.body, /Sent emails \(development\)/);
  });

  it('hides the details of a server error and logs them instead, without personal data or credentials', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/boom?token=abc123',
      headers: { cookie: 'civicdesk_session=abcdef', authorization: 'Bearer top-secret' },
    });
    assert.equal(response.statusCode, 500);
    assert.match(response.body, /Sorry, there is a problem with the service/);
    assert.doesNotMatch(response.body, /secret internal detail/);
    assert.doesNotMatch(response.body, /at .*\.ts:\d+/, 'no stack trace');

    const logs = logLines.join('');
    assert.match(logs, /secret internal detail/, 'the error is logged');
    for (const secret of [
      'resident@example.org',
      '07700 900123',
      'top-secret',
      'civicdesk_session=abcdef',
      'abc123',
    ]) {
      assert.ok(!logs.includes(secret), `the logs must not contain ${secret}`);
    }
  });

  it('sends HSTS in production', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/' });
    assert.match(response.headers['strict-transport-security'] as string, /max-age=31536000/);
  });
});
