/**
 * Staff sign-in through HTTP, as browsers do it: setting up an authenticator app (the code computed here
 * from the setup key on the page, as an app would), signing in with a password and then a code, replayed
 * codes, recovery codes, the set-up page as the only page open until it is done, lockout, signing out
 * everywhere, and the per-address rate limit. Time-dependent rules (lock expiry, link expiry, TOTP steps)
 * are tested with a moved clock in src/modules/staff/staff.service.db.test.ts.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { StaffService, staffSecuritySettings } from '../src/modules/staff/staff.service.js';
import { totpCode, totpStep } from '../src/modules/staff/totp.js';
import { buildTestApp, TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newCouncil, useMailingApp, type TestCouncil } from './helpers/fixtures.js';
import type { TestSmtpServer } from './helpers/smtp.js';
import {
  answerSecondFactor,
  knownFactor,
  recoveryCodesFrom,
  rememberFactor,
  setupKeyFrom,
  setUpStep,
} from './helpers/staff.js';

describeEachEngine('staff sign-in', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, { CIVICDESK_BASE_URL: 'https://report.ashdown.example' });
  let t: TestApp;
  let smtp: TestSmtpServer;
  let council: TestCouncil;
  const login = (role: 'admin' | 'team_lead' | 'officer' | 'agent') => council.staff[role]!;
  let addresses = 0;
  /** Each browser comes from its own address, so the per-address rate limit counts each separately. */
  const browser = () => new TestBrowser(t.app, { remoteAddress: `192.0.2.${++addresses}` });

  before(async () => {
    ({ t, smtp } = mailing());
    council = await newCouncil(t.app, { staff: ['admin', 'team_lead', 'officer', 'agent'] });
  });

  it('sends an admin without an authenticator app to set one up from every staff page, and lets them do nothing else until then', async () => {
    const admin = login('admin');
    const b = browser();
    await b.get('/staff/sign-in');
    const signedIn = await b.post('/staff/sign-in', { email: admin.email, password: admin.password });
    assert.equal(signedIn.statusCode, 303);
    assert.equal(signedIn.headers.location, '/staff/two-factor/setup');

    for (const path of ['/admin', '/admin/services', '/admin/routing/new', '/staff/account']) {
      const page = await b.get(path);
      assert.equal(page.statusCode, 303, path);
      assert.equal(page.headers.location, `/staff/two-factor/setup?next=${encodeURIComponent(path)}`, path);
    }
    const setup = await b.get('/staff/two-factor/setup?next=%2Fadmin%2Fservices');
    assert.equal(setup.statusCode, 200);
    assert.equal(setup.headers['cache-control'], 'no-store');
    assert.match(setup.body, /<h1 class="govuk-heading-l">Set up your authenticator app<\/h1>/);
    assert.match(
      setup.body,
      /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" width="200" height="200" alt="QR code/,
    );
    assert.match(setup.body, /autocomplete="one-time-code"/);
    assert.ok(!/Your account|Administration</.test(setup.body), 'no navigation away until it is set up');
    const secret = setupKeyFrom(setup.body);
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const svg = Buffer.from(
      /data:image\/svg\+xml;base64,([^"]+)"/.exec(setup.body)![1]!,
      'base64',
    ).toString();
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.doesNotMatch(svg, /<script|style=/);
    assert.equal(
      setupKeyFrom((await b.get('/staff/two-factor/setup')).body),
      secret,
      'the same key on reload',
    );

    const refused = await b.post('/admin/services/new', { code: 'graffiti' });
    assert.equal(refused.statusCode, 403, 'no form elsewhere is accepted either');

    const blank = await b.post('/staff/two-factor/setup', { code: '', next: '/admin/services' });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /<title>Error: Set up your authenticator app/);
    assert.match(
      blank.body,
      /govuk-error-summary[\s\S]*href="#code">Enter the 6-digit code from your authenticator app/,
    );
    const step = totpStep(new Date());
    const wrong = await b.post('/staff/two-factor/setup', {
      code: totpCode(secret, { step: step - 5 }),
      next: '/admin/services',
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /The code is not correct/);

    const before = b.cookie;
    // The step before now (see setUpStep), so that this step and the next are left for later sign-ins.
    const confirmedStep = await setUpStep();
    const done = await b.post('/staff/two-factor/setup', {
      code: totpCode(secret, { step: confirmedStep }),
      next: '/admin/services',
    });
    assert.equal(done.statusCode, 200);
    assert.equal(done.headers['cache-control'], 'no-store');
    assert.match(done.body, /Save your recovery codes/);
    const codes = recoveryCodesFrom(done.body);
    assert.equal(codes.length, 10);
    assert.match(done.body, /href="\/admin\/services" role="button"/);
    assert.notEqual(b.cookie, before, 'a new session once the second factor is set up');
    rememberFactor(t.app, admin.email, { secret, lastStep: confirmedStep, recoveryCodes: codes });

    assert.equal((await b.get('/admin/services')).statusCode, 200);
    const row = await getDatabase()
      .db.selectFrom('staff_user')
      .select(['totp_secret', 'totp_enabled_at'])
      .where('email', '=', admin.email)
      .executeTakeFirstOrThrow();
    assert.ok(row.totp_enabled_at);
    assert.ok(row.totp_secret?.startsWith('v1.') && !row.totp_secret.includes(secret), 'sealed at rest');
    await smtp.waitFor(
      (m) =>
        m.envelope.to.includes(admin.email) && /Two-step verification is on/.test(m.parsed.subject ?? ''),
    );
  });

  it('signs in with a password and then a code, and the session between the two is not signed in', async () => {
    const admin = login('admin');
    const b = browser();
    await b.get('/staff/sign-in?next=/admin/routing');
    const first = b.cookie;
    const password = await b.post('/staff/sign-in', {
      email: admin.email,
      password: admin.password,
      next: '/admin/routing',
    });
    assert.equal(password.statusCode, 303);
    assert.equal(password.headers.location, '/staff/sign-in/code');
    assert.notEqual(b.cookie, first, 'a new session after the password');
    const halfway = b.cookie;

    const notYet = await b.get('/admin');
    assert.equal(notYet.statusCode, 303);
    assert.match(String(notYet.headers.location), /^\/staff\/sign-in\?next=/, 'not signed in until the code');

    const page = await b.get('/staff/sign-in/code');
    assert.equal(page.statusCode, 200);
    assert.match(
      page.body,
      /<h1 class="govuk-label-wrapper">\s*<label class="govuk-label govuk-label--l" for="code">/,
    );
    assert.match(page.body, /inputmode="numeric"/);
    assert.match(page.body, /autocomplete="one-time-code"/);
    const blank = await b.post('/staff/sign-in/code', { code: ' ' });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /<title>Error: Enter the code from your authenticator app/);
    const short = await b.post('/staff/sign-in/code', { code: '1234' });
    assert.match(short.body, /The code must be 6 digits/);

    let landing = '';
    await answerSecondFactor(
      knownFactor(t.app, admin.email)!,
      async (answer) => {
        const response = await b.post('/staff/sign-in/code', {
          code: answer.value.replace(/^(\d{3})/, '$1 '),
        });
        landing = String(response.headers.location);
        return response.statusCode === 303;
      },
      { recoveryCodes: false },
    );
    assert.equal(landing, '/admin/routing');
    assert.notEqual(b.cookie, halfway, 'and another once signed in');
    assert.equal((await b.get('/admin/routing')).statusCode, 200);

    // Signing in and out are in the audit trail: who, how, from where.
    const trail = async () =>
      getDatabase()
        .db.selectFrom('audit_event')
        .innerJoin('staff_user', 'staff_user.id', 'audit_event.staff_user_id')
        .select(['audit_event.action', 'audit_event.detail', 'audit_event.ip'])
        .where('staff_user.email', '=', admin.email)
        .where('audit_event.action', 'in', ['staff.signed_in', 'staff.signed_out'])
        .orderBy('audit_event.id', 'desc')
        .execute();
    const [signedIn] = await trail();
    assert.equal(signedIn?.action, 'staff.signed_in');
    assert.deepEqual(signedIn?.detail, { how: 'code' });
    assert.equal(signedIn?.ip, b.remoteAddress);
    assert.equal((await b.post('/staff/sign-out', {})).statusCode, 303);
    assert.equal((await trail())[0]?.action, 'staff.signed_out');
  });

  it('refuses a code that was already used, even from another browser', async () => {
    const admin = login('admin');
    const factor = knownFactor(t.app, admin.email)!;
    const first = browser();
    await first.get('/staff/sign-in');
    await first.post('/staff/sign-in', { email: admin.email, password: admin.password });
    await first.get('/staff/sign-in/code');
    let used = '';
    await answerSecondFactor(
      factor,
      async (answer) => {
        const response = await first.post('/staff/sign-in/code', { code: answer.value });
        used = answer.value;
        return response.statusCode === 303;
      },
      { recoveryCodes: false },
    );
    assert.match(used, /^\d{6}$/, 'signed in with a code');

    const second = browser();
    await second.get('/staff/sign-in');
    await second.post('/staff/sign-in', { email: admin.email, password: admin.password });
    await second.get('/staff/sign-in/code');
    const replayed = await second.post('/staff/sign-in/code', { code: used });
    assert.equal(replayed.statusCode, 400);
    assert.match(replayed.body, /That code has already been used: wait for your app to show a new code/);
    assert.equal((await second.get('/admin')).statusCode, 303, 'not signed in');
  });

  it('accepts a recovery code once, and says so on the account page', async () => {
    const admin = login('admin');
    const factor = knownFactor(t.app, admin.email)!;
    const code = factor.recoveryCodes.pop()!;
    const b = browser();
    await b.signIn(admin.email, admin.password);
    const left = Number(/You have (\d+) unused recovery code/.exec((await b.get('/staff/account')).body)![1]);

    const c = browser();
    await c.get('/staff/sign-in');
    await c.post('/staff/sign-in', { email: admin.email, password: admin.password });
    const page = await c.get('/staff/sign-in/recovery-code');
    assert.match(page.body, /autocomplete="one-time-code"/);
    const malformed = await c.post('/staff/sign-in/recovery-code', { recoveryCode: 'abc' });
    assert.equal(malformed.statusCode, 400);
    assert.match(malformed.body, /value="abc"/, 'what was typed is kept');
    assert.match(malformed.body, /Enter the recovery code as 12 letters and numbers/);
    const ok = await c.post('/staff/sign-in/recovery-code', { recoveryCode: code.toUpperCase() });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/staff/account?notice=recovery-code-used');
    const account = await c.get(String(ok.headers.location));
    assert.match(account.body, /You signed in with a recovery code/);
    assert.match(account.body, new RegExp(`You have ${left - 1} unused recovery code`));

    const d = browser();
    await d.get('/staff/sign-in');
    await d.post('/staff/sign-in', { email: admin.email, password: admin.password });
    await d.get('/staff/sign-in/recovery-code');
    const again = await d.post('/staff/sign-in/recovery-code', { recoveryCode: code });
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /That recovery code is not correct or has already been used/);
    await smtp.waitFor(
      (m) => m.envelope.to.includes(admin.email) && /recovery code was used/.test(m.parsed.subject ?? ''),
    );
  });

  it('lets other staff choose two-step verification, and requires it of everyone when the council says so', async () => {
    const officer = login('officer');
    const b = browser();
    const signedIn = await b.signIn(officer.email, officer.password);
    assert.equal(signedIn.headers.location, '/staff/cases', 'password only; not required of an officer');
    const account = await b.get('/staff/account');
    assert.match(
      account.body,
      /<h2 class="govuk-heading-m">Two-step verification<\/h2>\s*<p class="govuk-body">Off\./,
    );
    const setup = await b.get('/staff/two-factor/setup');
    const secret = setupKeyFrom(setup.body);
    const step = totpStep(new Date());
    const done = await b.post('/staff/two-factor/setup', { code: totpCode(secret, { step }) });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /href="\/staff\/cases" role="button"/);
    rememberFactor(t.app, officer.email, {
      secret,
      lastStep: step,
      recoveryCodes: recoveryCodesFrom(done.body),
    });

    const again = browser();
    const password = await again.signIn(officer.email, officer.password);
    assert.equal(password.headers.location, '/staff/sign-in/code', 'now asked for a code');
    const off = await again.get('/staff/two-factor/turn-off');
    assert.equal(off.statusCode, 200);
    const wrong = await again.post('/staff/two-factor/turn-off', { password: 'not it' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Your password is not correct/);
    assert.equal(
      (await again.post('/staff/two-factor/turn-off', { password: officer.password })).headers.location,
      '/staff/account?notice=totp-off',
    );
    assert.equal((await browser().signIn(officer.email, officer.password)).headers.location, '/staff/cases');

    const admin = browser();
    await admin.signIn(login('admin').email, login('admin').password);
    assert.equal(
      (await admin.get('/staff/two-factor/turn-off')).headers.location,
      '/staff/account',
      'admins cannot turn it off',
    );
    assert.doesNotMatch((await admin.get('/staff/account')).body, /Turn off two-step verification/);

    const strict = await buildTestApp(getDatabase(), { env: { CIVICDESK_STAFF_TOTP_REQUIRED: 'true' } });
    try {
      const agent = login('agent');
      const c = new TestBrowser(strict.app);
      await c.get('/staff/sign-in');
      const response = await c.post('/staff/sign-in', { email: agent.email, password: agent.password });
      assert.equal(response.headers.location, '/staff/two-factor/setup');
      const page = await c.get('/staff/two-factor/setup');
      assert.match(page.body, /At this council, all staff sign in with a code/);
      assert.equal(
        (await c.get('/staff/account')).headers.location,
        '/staff/two-factor/setup?next=%2Fstaff%2Faccount',
      );
    } finally {
      await strict.close();
    }
  });

  it('locks an account after 5 failed attempts, says no more than for any failure, and emails the owner', async () => {
    const lead = login('team_lead');
    const b = browser();
    await b.get('/staff/sign-in');
    const unknown = await b.post('/staff/sign-in', {
      email: 'nobody@ashdown.example',
      password: 'whatever it is',
    });
    const message = (body: string) =>
      /<div class="govuk-error-summary__body">([\s\S]*?)<\/div>/.exec(body)?.[1]?.replace(/\s+/g, ' ');
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body, /value="nobody@ashdown.example"/, 'the email typed is kept');
    assert.doesNotMatch(unknown.body, /value="whatever it is"/, 'the password is not');
    for (let i = 1; i <= 5; i++) {
      const wrong = await b.post('/staff/sign-in', { email: lead.email, password: `wrong ${i}` });
      assert.equal(wrong.statusCode, 400);
      assert.equal(
        message(wrong.body),
        message(unknown.body),
        `attempt ${i} says what an unknown address gets`,
      );
    }
    const locked = await b.post('/staff/sign-in', { email: lead.email, password: lead.password });
    assert.equal(locked.statusCode, 400, 'the right password is refused while locked');
    assert.equal(message(locked.body), message(unknown.body), 'and says nothing about the lock');
    assert.match(
      locked.body,
      /After 5 failed attempts an account is locked for 15 minutes, and its owner is emailed/,
    );
    const email = await smtp.waitFor(
      (m) => m.envelope.to.includes(lead.email) && /locked/.test(m.parsed.subject ?? ''),
    );
    assert.match(email.parsed.text ?? '', /5 failed attempts/);
    assert.match(email.parsed.text ?? '', /https:\/\/report\.ashdown\.example\/staff\/forgotten-password/);

    // The lock is in the database, so every process sees it, and it ends by the clock: a service with a
    // clock 15 minutes on (as another process would be by then) lets the right password in.
    const later = new StaffService(getDatabase().db, staffSecuritySettings(t.config), t.app.jobs, {
      now: () => new Date(Date.now() + 15 * 60_000 + 1000),
    });
    assert.equal((await later.signIn.checkPassword(lead.email, lead.password)).outcome, 'ok');
  });

  it('signs out everywhere: another browser’s session ends too', async () => {
    const agent = login('agent');
    const phone = browser();
    const desk = browser();
    await phone.signIn(agent.email, agent.password);
    await desk.signIn(agent.email, agent.password);
    assert.equal((await phone.get('/staff/account')).statusCode, 200);

    const account = await desk.get('/staff/account');
    assert.match(account.body, /action="\/staff\/account\/sign-out-everywhere"/);
    const out = await desk.post('/staff/account/sign-out-everywhere', {});
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, '/staff/sign-in?notice=signed-out-everywhere');
    assert.match(
      (await desk.get(String(out.headers.location))).body,
      /You have been signed out on every device/,
    );
    assert.equal((await phone.get('/staff/account')).statusCode, 303, 'the other browser is signed out');
    assert.equal((await desk.get('/staff/account')).statusCode, 303);
    const sessions = await getDatabase()
      .db.selectFrom('session')
      .innerJoin('staff_user', 'staff_user.id', 'session.staff_user_id')
      .select('session.id_hash')
      .where('staff_user.email', '=', agent.email)
      .execute();
    assert.equal(sessions.length, 0);
  });

  it('keeps the per-address rate limit on sign-in, and refuses forms without their CSRF token', async () => {
    const b = browser();
    await b.get('/staff/sign-in');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push(
        (await b.post('/staff/sign-in', { email: 'nobody@ashdown.example', password: 'x' })).statusCode,
      );
    }
    assert.deepEqual(statuses, [...Array(10).fill(400), 429]);
    assert.equal(
      (await browser().post('/staff/sign-in', { email: 'a@b.example', password: 'x' })).statusCode,
      403,
    );

    const agent = browser();
    await agent.signIn(login('agent').email, login('agent').password);
    for (const path of [
      '/staff/account/sign-out-everywhere',
      '/staff/account/password',
      '/staff/two-factor/setup',
    ]) {
      const tokenless = await t.app.inject({
        method: 'POST',
        url: path,
        remoteAddress: agent.remoteAddress,
        headers: { cookie: agent.cookie!, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'code=123456',
      });
      assert.equal(tokenless.statusCode, 403, path);
    }
    assert.equal((await agent.get('/staff/account')).statusCode, 200, 'still signed in');
  });
});
