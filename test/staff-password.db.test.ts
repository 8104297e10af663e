/**
 * Passwords through HTTP: "Forgotten your password?" with the link arriving at a real SMTP server (the
 * worker sending it from the outbox), the link working once and ending every session, the next sign-in
 * still asking for the authenticator app; and changing a password from the account page. Link expiry
 * is tested with a moved clock in src/modules/staff/staff.service.db.test.ts.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newCouncil, useMailingApp, type TestCouncil } from './helpers/fixtures.js';
import type { TestSmtpServer } from './helpers/smtp.js';

const BASE_URL = 'https://report.ashdown.example';

describeEachEngine('staff passwords', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, { CIVICDESK_BASE_URL: BASE_URL });
  let t: TestApp;
  let smtp: TestSmtpServer;
  let council: TestCouncil;
  const login = (role: 'admin' | 'team_lead' | 'officer' | 'agent') => council.staff[role]!;
  let addresses = 0;
  const browser = () => new TestBrowser(t.app, { remoteAddress: `198.51.100.${++addresses}` });

  before(async () => {
    ({ t, smtp } = mailing());
    council = await newCouncil(t.app, { staff: ['admin', 'team_lead', 'officer', 'agent'] });
  });

  /** The reset link in the newest reset email to `address`, as a path on this site. */
  async function resetLinkFor(address: string, after: number): Promise<string> {
    const email = await smtp.waitFor(
      (m) =>
        m.envelope.to.includes(address) &&
        /Reset your/.test(m.parsed.subject ?? '') &&
        smtp.received.indexOf(m) >= after,
    );
    const link = new RegExp(
      `${BASE_URL.replace(/\./g, '\\.')}(/staff/reset-password\\?token=[\\w-]{43})`,
    ).exec(email.parsed.text ?? '');
    assert.ok(link, 'the email has the link');
    assert.match(
      email.parsed.html || '',
      /href="https:\/\/report\.ashdown\.example\/staff\/reset-password\?token=/,
    );
    return link[1]!;
  }

  it('says the same whether or not an account exists, and emails only a real one', async () => {
    const b = browser();
    const signIn = await b.get('/staff/sign-in');
    assert.match(
      signIn.body,
      /<a class="govuk-link" href="\/staff\/forgotten-password">Forgotten your password\?<\/a>/,
    );
    const form = await b.get('/staff/forgotten-password');
    assert.match(form.body, /autocomplete="username"/);

    const blank = await b.post('/staff/forgotten-password', { email: '' });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /<title>Error: Reset your password/);
    assert.match(blank.body, /href="#email">Enter your email address/);
    const badFormat = await b.post('/staff/forgotten-password', { email: 'not-an-email' });
    assert.match(badFormat.body, /Enter an email address in the correct format/);
    assert.match(badFormat.body, /value="not-an-email"/);

    const mark = smtp.received.length;
    const unknown = await b.post('/staff/forgotten-password', { email: 'nobody@ashdown.example' });
    const known = await b.post('/staff/forgotten-password', { email: login('agent').email });
    assert.equal(unknown.statusCode, 303);
    assert.equal(known.statusCode, 303);
    assert.equal(unknown.headers.location, known.headers.location);
    const sent = await b.get(String(known.headers.location));
    assert.match(
      sent.body,
      /If there is a Civicdesk account for that email address, we have emailed it a link/,
    );
    assert.match(sent.body, /works once, for 60 minutes/);
    await resetLinkFor(login('agent').email, mark);
    assert.ok(!smtp.received.some((m) => m.envelope.to.includes('nobody@ashdown.example')));
  });

  it('resets a password with the emailed link once, ending every session, and sign-in still asks for the app', async () => {
    const admin = login('admin');
    const elsewhere = browser();
    await elsewhere.signIn(admin.email, admin.password); // sets up the authenticator app, first time
    assert.equal((await elsewhere.get('/admin')).statusCode, 200);

    const b = browser();
    await b.get('/staff/forgotten-password');
    const mark = smtp.received.length;
    await b.post('/staff/forgotten-password', { email: admin.email.toUpperCase() });
    const link = await resetLinkFor(admin.email, mark);

    const opened = await b.get(link);
    assert.equal(opened.statusCode, 303);
    assert.equal(opened.headers.location, '/staff/reset-password', 'the token leaves the address bar');
    const form = await b.get('/staff/reset-password');
    assert.equal(form.statusCode, 200);
    assert.equal(form.headers['cache-control'], 'no-store');
    assert.match(form.body, new RegExp(`For the Civicdesk account ${admin.email.replace(/\./g, '\\.')}`));
    assert.equal((form.body.match(/autocomplete="new-password"/g) ?? []).length, 2);

    const mismatch = await b.post('/staff/reset-password', {
      newPassword: 'Fenland-Heron-Tuesday-41',
      confirmPassword: 'Fenland-Heron-Tuesday-14',
    });
    assert.equal(mismatch.statusCode, 400);
    assert.match(mismatch.body, /<title>Error: Choose a new password/);
    assert.match(mismatch.body, /href="#confirmPassword">Passwords must match/);
    assert.ok(!mismatch.body.includes('Fenland-Heron'), 'passwords are never shown again');
    const common = await b.post('/staff/reset-password', {
      newPassword: 'Password2024!',
      confirmPassword: 'Password2024!',
    });
    assert.match(common.body, /too easy to guess/);

    const newPassword = 'Fenland-Heron-Tuesday-41';
    const done = await b.post('/staff/reset-password', { newPassword, confirmPassword: newPassword });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/staff/sign-in?notice=password-reset');
    assert.match(
      (await b.get(String(done.headers.location))).body,
      /Your password has been changed. Sign in with your new password/,
    );
    assert.equal((await elsewhere.get('/admin')).statusCode, 303, 'the other session has ended');

    const reused = browser();
    const again = await reused.get(link);
    assert.equal(again.statusCode, 410, 'the link works once');
    assert.match(again.body, /This link does not work/);

    const old = browser();
    await old.get('/staff/sign-in');
    assert.equal(
      (await old.post('/staff/sign-in', { email: admin.email, password: admin.password })).statusCode,
      400,
    );
    const fresh = browser();
    const signedIn = await fresh.signIn(admin.email, newPassword);
    assert.equal(
      signedIn.headers.location,
      '/staff/sign-in/code',
      'the authenticator app is still asked for',
    );
    assert.equal((await fresh.get('/admin')).statusCode, 200);
    await smtp.waitFor(
      (m) => m.envelope.to.includes(admin.email) && /password has been changed/.test(m.parsed.subject ?? ''),
    );
    admin.password = newPassword;
  });

  it('refuses a made-up or missing link', async () => {
    const b = browser();
    assert.equal((await b.get(`/staff/reset-password?token=${'A'.repeat(43)}`)).statusCode, 410);
    assert.equal((await b.get('/staff/reset-password')).statusCode, 410);
    await b.get('/staff/sign-in');
    assert.equal(
      (await b.post('/staff/reset-password', { newPassword: 'x', confirmPassword: 'x' })).statusCode,
      410,
    );
  });

  it('changes a password from the account page: the current one, the new one twice, and the rules', async () => {
    const officer = login('officer');
    const other = browser();
    await other.signIn(officer.email, officer.password);
    const b = browser();
    await b.signIn(officer.email, officer.password);
    const account = await b.get('/staff/account');
    assert.match(account.body, /href="\/staff\/account\/password"/);
    const form = await b.get('/staff/account/password');
    assert.match(
      form.body,
      /id="currentPassword" name="currentPassword" type="password"[^>]*autocomplete="current-password"|autocomplete="current-password"/,
    );
    assert.equal((form.body.match(/autocomplete="new-password"/g) ?? []).length, 2);

    const post = (currentPassword: string, newPassword: string, confirmPassword = newPassword) =>
      b.post('/staff/account/password', { currentPassword, newPassword, confirmPassword });
    const cases: [Parameters<typeof post>, RegExp][] = [
      [
        ['', '', ''],
        /href="#currentPassword">Enter your current password[\s\S]*href="#newPassword">Enter a new password/,
      ],
      [
        ['wrong current', 'Fenland-Heron-Tuesday-41'],
        /href="#currentPassword">Your current password is not correct/,
      ],
      [[officer.password, 'short'], /Password must be 12 characters or more/],
      [[officer.password, officer.email], /Password must not be your email address/],
      [[officer.password, 'qwertyuiop123'], /too easy to guess/],
      [[officer.password, 'Fenland-Heron-Tuesday-41', 'Fenland-Heron-Tuesday-42'], /Passwords must match/],
    ];
    for (const [args, message] of cases) {
      const response = await post(...args);
      assert.equal(response.statusCode, 400, String(message));
      assert.match(response.body, /<title>Error: Change your password/);
      assert.match(response.body, message);
      assert.ok(!/type="password"[^>]*value="[^"]/.test(response.body), 'passwords are not kept');
    }
    const before = b.cookie;
    const changed = await post(officer.password, 'Fenland-Heron-Tuesday-41');
    assert.equal(changed.statusCode, 303);
    assert.equal(changed.headers.location, '/staff/account?notice=password-changed');
    assert.notEqual(b.cookie, before, 'this browser carries on in a new session');
    assert.match((await b.get(String(changed.headers.location))).body, /signed out on every other device/);
    assert.equal((await other.get('/staff/account')).statusCode, 303, 'the other browser is signed out');
    const again = browser();
    assert.equal((await again.signIn(officer.email, 'Fenland-Heron-Tuesday-41')).statusCode, 303);
    await smtp.waitFor(
      (m) =>
        m.envelope.to.includes(officer.email) && /password has been changed/.test(m.parsed.subject ?? ''),
    );
  });
});
