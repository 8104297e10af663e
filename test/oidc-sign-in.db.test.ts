/**
 * Staff sign-in through the council's identity provider (OpenID Connect), end to end over real HTTP:
 * a real OpenID provider (oidc-provider) and Civicdesk both listen on 127.0.0.1, and a browser-like
 * client follows every redirect, signing in and consenting at the provider. Covered: the role claim
 * mapped and written to the account at every sign-in (the provider is the source of truth), no TOTP asked
 * of a provider sign-in, a claim that maps to no role, an unverified email address, a tampered or replayed
 * state, a cancelled sign-in, a provider that is down, a disabled account, no account, and accounts made
 * at first sign-in.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SESSION_COOKIE } from '../src/infra/session.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import type { Body } from '../src/modules/organisations/organisations.service.js';
import { newBody, newStaff, newTeam } from './helpers/factories.js';
import { freePort } from './helpers/browser.js';
import {
  HttpBrowser,
  signInAtProvider,
  startIdentityProvider,
  type HttpResponse,
  type TestIdentityProvider,
} from './helpers/oidc-provider.js';

const csrfFrom = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

const ROLE_MAP =
  'civicdesk-admins=admin,civicdesk-leads=team_lead,civicdesk-officers=officer,contact-centre=agent';
const BUTTON = 'Sign in with Ashdown Council account';

interface RunningApp {
  t: TestApp;
  origin: string;
}

describeEachEngine('staff sign-in with OpenID Connect', (getDatabase) => {
  let idp: TestIdentityProvider;
  /** A second provider, stopped in the middle of a sign-in. */
  let flakyIdp: TestIdentityProvider;
  let flaky: RunningApp;
  let main: RunningApp;
  let creating: RunningApp;
  let down: RunningApp;
  let addresses = 0;
  /** The council staff are made in. */
  let council: Body;

  /** Each browser has its own client address (X-Forwarded-For), so the per-address rate limits count it alone. */
  const browser = () => new HttpBrowser({ forwardedFor: `198.51.100.${++addresses}` });

  async function listen(port: number, env: Record<string, string>): Promise<RunningApp> {
    const origin = `http://127.0.0.1:${port}`;
    const t = await buildTestApp(getDatabase(), {
      env: { CIVICDESK_BASE_URL: origin, CIVICDESK_TRUST_PROXY: 'true', ...env },
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    return { t, origin };
  }

  const oidcEnv = (issuer: string, clientId: string) => ({
    CIVICDESK_OIDC_ISSUER: issuer,
    CIVICDESK_OIDC_CLIENT_ID: clientId,
    CIVICDESK_OIDC_CLIENT_SECRET: `${clientId}-secret-known-only-to-the-test`,
    CIVICDESK_OIDC_SCOPES: 'openid email profile roles',
    CIVICDESK_OIDC_BUTTON_TEXT: BUTTON,
    CIVICDESK_OIDC_ROLE_MAP: ROLE_MAP,
  });

  before(async () => {
    // The council new accounts are made in (by its code and its team's), and staff with a password whose
    // addresses the provider's accounts give.
    const { db } = getDatabase();
    const body = (council = await newBody(db, { code: 'ashdown' }));
    const team = await newTeam(db, { body, code: 'highways' });
    for (const [role, email] of [
      ['admin', 'admin@ashdown.example'],
      ['team_lead', 'lead@ashdown.example'],
      ['officer', 'officer@ashdown.example'],
      ['agent', 'agent@ashdown.example'],
    ] as const) {
      await newStaff(db, { role, body, email, ...(role === 'admin' ? {} : { team }) });
    }
    const [mainPort, creatingPort, downPort, nobodyPort, flakyPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const client = (id: string, port: number) => ({
      client_id: id,
      client_secret: `${id}-secret-known-only-to-the-test`,
      redirect_uris: [`http://127.0.0.1:${port}/staff/sign-in/oidc/callback`],
    });
    idp = await startIdentityProvider({
      clients: [client('civicdesk', mainPort), client('civicdesk-creating', creatingPort)],
    });
    main = await listen(mainPort, oidcEnv(idp.issuer, 'civicdesk'));
    creating = await listen(creatingPort, {
      ...oidcEnv(idp.issuer, 'civicdesk-creating'),
      CIVICDESK_OIDC_CREATE_ACCOUNTS: 'true',
      CIVICDESK_OIDC_NEW_ACCOUNT_BODY: 'ashdown',
      CIVICDESK_OIDC_NEW_ACCOUNT_TEAM: 'highways',
    });
    flakyIdp = await startIdentityProvider({ clients: [client('civicdesk', flakyPort)] });
    flaky = await listen(flakyPort, oidcEnv(flakyIdp.issuer, 'civicdesk'));
    // A provider that is down: nothing listens on its port.
    down = await listen(downPort, oidcEnv(`http://127.0.0.1:${nobodyPort}`, 'civicdesk'));
  });

  after(async () => {
    for (const running of [main, creating, down, flaky]) await running?.t.close();
    await idp?.close();
    await flakyIdp?.close();
  });

  async function staffRow(email: string) {
    return getDatabase()
      .db.selectFrom('staff_user')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
  }

  /** Starts at the app's button, signs in at the provider as `login`, and follows the callback. */
  async function signIn(
    b: HttpBrowser,
    app: RunningApp,
    login: string,
    { next }: { next?: string } = {},
  ): Promise<{ callbackUrl: string; landed: HttpResponse }> {
    const start = await b.get(
      `${app.origin}/staff/sign-in/oidc${next ? `?next=${encodeURIComponent(next)}` : ''}`,
    );
    assert.equal(start.status, 303, start.body);
    assert.ok(start.location?.startsWith(`${idp.issuer}/auth?`), start.location);
    const callbackUrl = await signInAtProvider(b, start, app.origin, { login });
    return { callbackUrl, landed: await b.get(callbackUrl) };
  }

  async function assertSignedOut(b: HttpBrowser, app: RunningApp) {
    const cases = await b.get(`${app.origin}/staff/cases`);
    assert.equal(cases.status, 303);
    assert.match(cases.location ?? '', /\/staff\/sign-in\?next=/);
  }

  function assertProblemPage(page: HttpResponse, status: number, heading: RegExp) {
    assert.equal(page.status, status, page.body.slice(0, 300));
    assert.match(page.body, /<h1 class="govuk-heading-l">/);
    assert.match(/<h1 class="govuk-heading-l">([^<]+)<\/h1>/.exec(page.body)?.[1] ?? '', heading);
    assert.match(page.body, /href="\/staff\/sign-in">Go to the sign-in page<\/a>/);
    assert.doesNotMatch(page.body, /\bat [\w.<>]+ \(|Error:|stack/i, 'no stack trace');
  }

  it('shows the button on the sign-in page, and sends the browser to the provider with PKCE, state and nonce', async () => {
    const b = browser();
    const page = await b.get(`${main.origin}/staff/sign-in?next=%2Fstaff%2Faccount`);
    assert.equal(page.status, 200);
    assert.match(
      page.body,
      new RegExp(`href="/staff/sign-in/oidc\\?next=%2Fstaff%2Faccount"[^>]*>\\s*${BUTTON}`),
    );
    const start = await b.get(`${main.origin}/staff/sign-in/oidc`);
    assert.equal(start.status, 303);
    const url = new URL(start.location!);
    assert.equal(url.origin, idp.issuer);
    assert.equal(url.searchParams.get('client_id'), 'civicdesk');
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('redirect_uri'), `${main.origin}/staff/sign-in/oidc/callback`);
    assert.equal(url.searchParams.get('scope'), 'openid email profile roles');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(url.searchParams.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(url.searchParams.get('nonce') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(url.searchParams.get('client_secret'), null, 'the secret never goes through the browser');

    const without = await browser().get(`${down.origin}/staff/sign-in`);
    assert.match(without.body, new RegExp(BUTTON), 'the button is shown whenever OIDC is configured');
  });

  it('signs in with the role the claim maps to, writes it to the account at every sign-in, and asks no TOTP', async () => {
    idp.accounts.set('olu', {
      email: 'Officer@Ashdown.example',
      email_verified: true,
      name: 'Olu Officer',
      roles: ['civicdesk-officers', 'civicdesk-admins', 'unrelated-group'],
    });
    assert.equal((await staffRow('officer@ashdown.example'))!.role, 'officer');
    // Someone has been guessing the password and locked the account: that lock is the password's, so
    // the provider sign-in goes ahead and leaves it (and the failure count) in place.
    const lockedUntil = new Date(Date.now() + 10 * 60_000);
    await getDatabase()
      .db.updateTable('staff_user')
      .set({ failed_attempts: 2, failed_since: new Date(), locked_until: lockedUntil })
      .where('email', '=', 'officer@ashdown.example')
      .execute();

    const b = browser();
    await b.get(`${main.origin}/staff/sign-in`);
    const before = b.cookie(main.origin, SESSION_COOKIE);
    const { callbackUrl, landed } = await signIn(b, main, 'olu');
    assert.equal(landed.status, 303, landed.body.slice(0, 500));
    assert.equal(landed.location, `${main.origin}/admin`, 'the most privileged mapped role wins');
    const after = b.cookie(main.origin, SESSION_COOKIE);
    assert.ok(after && after !== before, 'a brand-new session after signing in');

    const row = await staffRow('officer@ashdown.example');
    assert.equal(row!.role, 'admin');
    assert.equal(row!.oidc_issuer, idp.issuer, 'the provider account is linked at the first sign-in');
    assert.equal(row!.oidc_subject, 'olu');
    assert.equal(row!.totp_secret, null);
    assert.ok(row!.last_sign_in_at);
    assert.equal(row!.failed_attempts, 2);
    assert.equal(row!.locked_until?.getTime(), lockedUntil.getTime());
    // An admin without an authenticator app, yet not sent to set one up: the provider did the second factor.
    const admin = await b.get(`${main.origin}/admin`);
    assert.equal(admin.status, 200, admin.location);
    const account = await b.get(`${main.origin}/staff/account`);
    assert.equal(account.status, 200);

    const audit = await getDatabase()
      .db.selectFrom('audit_event')
      .selectAll()
      .where('staff_user_id', '=', row!.id)
      .where('action', '=', 'staff.signed_in')
      .execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.detail.method, 'oidc');
    assert.equal(audit[0]!.detail.issuer, idp.issuer);
    assert.equal(audit[0]!.detail.subject, 'olu');
    assert.equal(audit[0]!.detail.role, 'admin');
    assert.equal(audit[0]!.detail.previousRole, 'officer');
    assert.equal(audit[0]!.detail.linked, true);
    assert.equal(audit[0]!.ip, b.forwardedFor);

    // The same callback again (a replay, or the back button) finds no sign-in to finish.
    const replay = await b.get(callbackUrl);
    assertProblemPage(replay, 400, /could not be finished/);

    // Taken out of the admins' group at the provider: an officer again from the next sign-in, and the
    // old session, which reads the account each time, loses the admin pages at once.
    idp.accounts.set('olu', { ...idp.accounts.get('olu'), roles: ['civicdesk-officers'] });
    const b2 = browser();
    const second = await signIn(b2, main, 'olu', { next: '/staff/account' });
    assert.equal(second.landed.status, 303);
    assert.equal(second.landed.location, `${main.origin}/staff/account`, 'back to where they were going');
    assert.equal((await staffRow('officer@ashdown.example'))!.role, 'officer');
    assert.equal((await b2.get(`${main.origin}/admin`)).status, 403);
    assert.equal((await b.get(`${main.origin}/admin`)).status, 403);
    assert.equal((await b.get(`${main.origin}/staff/cases`)).status, 200);
  });

  it('matches the provider’s id for the person once linked, not an address the provider gives someone else', async () => {
    await getDatabase()
      .db.insertInto('staff_user')
      .values({ email: 'mo@ashdown.example', name: 'Mo Moved', role: 'officer', body_id: council.id })
      .execute();
    idp.accounts.set('mo-1', {
      email: 'mo@ashdown.example',
      email_verified: true,
      roles: ['civicdesk-officers'],
    });
    const first = await signIn(browser(), main, 'mo-1');
    assert.equal(first.landed.status, 303, first.landed.body.slice(0, 300));
    const id = (await staffRow('mo@ashdown.example'))!.id;
    assert.equal((await staffRow('mo@ashdown.example'))!.oidc_subject, 'mo-1');

    // Mo's address changes at the provider: the link still finds Mo's account.
    idp.accounts.set('mo-1', { ...idp.accounts.get('mo-1'), email: 'mo.moved@ashdown.example' });
    const b = browser();
    const moved = await signIn(b, main, 'mo-1');
    assert.equal(moved.landed.status, 303);
    assert.equal((await b.get(`${main.origin}/staff/account`)).body.includes('mo@ashdown.example'), true);

    // The old address given to a newcomer, verified: it does not open Mo's account.
    idp.accounts.set('mo-2', {
      email: 'mo@ashdown.example',
      email_verified: true,
      roles: ['civicdesk-admins'],
    });
    const c = browser();
    const taken = await signIn(c, main, 'mo-2');
    assertProblemPage(taken.landed, 403, /^Your council account does not match your Civicdesk account$/);
    assert.match(taken.landed.body, /ask your administrator to unlink the old one/);
    await assertSignedOut(c, main);
    const row = await staffRow('mo@ashdown.example');
    assert.equal(row!.role, 'officer', 'nor changes its role');
    assert.equal(row!.oidc_subject, 'mo-1');

    // Once an admin unlinks it (Mo's council account was replaced), the next verified sign-in links.
    await getDatabase()
      .db.updateTable('staff_user')
      .set({ oidc_issuer: null, oidc_subject: null })
      .where('id', '=', id)
      .execute();
    const relinked = await signIn(browser(), main, 'mo-2');
    assert.equal(relinked.landed.status, 303);
    assert.equal((await staffRow('mo@ashdown.example'))!.oidc_subject, 'mo-2');
    assertProblemPage(
      (await signIn(browser(), main, 'mo-1')).landed,
      403,
      /You do not have a Civicdesk account/,
    );
  });

  it('refuses someone whose claims map to no role, and leaves their account as it was', async () => {
    idp.accounts.set('aggie', { email: 'agent@ashdown.example', email_verified: true, roles: ['marketing'] });
    const b = browser();
    const { landed } = await signIn(b, main, 'aggie');
    assertProblemPage(landed, 403, /^Your account is not allowed to use Civicdesk$/);
    assert.match(landed.body, /Ask your administrator/);
    assert.doesNotMatch(landed.body, /href="\/staff\/sign-in\/oidc/, 'trying again would not help');
    await assertSignedOut(b, main);
    assert.equal((await staffRow('agent@ashdown.example'))!.role, 'agent');

    // No roles claim at all is the same.
    idp.accounts.set('aggie', { email: 'agent@ashdown.example', email_verified: true });
    const again = await signIn(browser(), main, 'aggie');
    assertProblemPage(again.landed, 403, /not allowed to use Civicdesk/);
  });

  it('refuses an email address the provider has not verified', async () => {
    idp.accounts.set('lee', {
      email: 'lead@ashdown.example',
      email_verified: false,
      roles: ['civicdesk-leads'],
    });
    const b = browser();
    const { landed } = await signIn(b, main, 'lee');
    assertProblemPage(landed, 403, /email address has not been verified/);
    await assertSignedOut(b, main);

    idp.accounts.set('lee', { email: 'lead@ashdown.example', roles: ['civicdesk-leads'] });
    const missing = await signIn(browser(), main, 'lee');
    assertProblemPage(missing.landed, 403, /email address has not been verified/);
  });

  it('refuses a callback whose state was tampered with, and the sign-in it interrupted cannot be finished either', async () => {
    idp.accounts.set('ada', {
      email: 'admin@ashdown.example',
      email_verified: true,
      roles: ['civicdesk-admins'],
    });
    const b = browser();
    const start = await b.get(`${main.origin}/staff/sign-in/oidc`);
    const callbackUrl = await signInAtProvider(b, start, main.origin, { login: 'ada' });
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('state', 'x'.repeat(43));
    const refused = await b.get(tampered.href);
    assertProblemPage(refused, 400, /could not be finished/);
    assert.match(refused.body, /did not match the sign-in started in this browser/);
    assert.match(refused.body, /href="\/staff\/sign-in\/oidc"/, 'a way to start again');
    await assertSignedOut(b, main);
    assertProblemPage(await b.get(callbackUrl), 400, /could not be finished/);
    await assertSignedOut(b, main);

    // A callback in a browser that never started a sign-in (someone else's code, planted).
    const start2 = await b.get(`${main.origin}/staff/sign-in/oidc`);
    const planted = await signInAtProvider(b, start2, main.origin, { login: 'ada' });
    const victim = browser();
    assertProblemPage(await victim.get(planted), 400, /could not be finished/);
    await assertSignedOut(victim, main);
  });

  it('says so when the person cancels at the provider (error=access_denied)', async () => {
    idp.accounts.set('ada', {
      email: 'admin@ashdown.example',
      email_verified: true,
      roles: ['civicdesk-admins'],
    });
    const b = browser();
    const start = await b.get(`${main.origin}/staff/sign-in/oidc`);
    const callbackUrl = await signInAtProvider(b, start, main.origin, { login: 'ada', abort: true });
    assert.equal(new URL(callbackUrl).searchParams.get('error'), 'access_denied');
    const page = await b.get(callbackUrl);
    assertProblemPage(page, 403, /You have not been signed in/);
    assert.match(page.body, new RegExp(`href="/staff/sign-in/oidc"[^>]*>\\s*${BUTTON}`));
    await assertSignedOut(b, main);
  });

  it('shows an error page with a way back when the provider cannot be reached', async () => {
    const b = browser();
    const page = await b.get(`${down.origin}/staff/sign-in/oidc?next=%2Fstaff%2Fcases`);
    assertProblemPage(page, 502, /sign-in service is not available/);
    assert.match(page.body, /sign in with your email address and password instead/);
    assert.match(page.body, /href="\/staff\/sign-in\/oidc\?next=%2Fstaff%2Fcases"/);
    assert.match(page.body, /<title>[^<]*sign-in service is not available/);
    await assertSignedOut(b, down);
    // Password sign-in is unaffected.
    assert.equal((await b.get(`${down.origin}/staff/sign-in`)).status, 200);

    // A provider that goes down between the sign-in and the callback (the code cannot be exchanged).
    flakyIdp.accounts.set('ada', {
      email: 'admin@ashdown.example',
      email_verified: true,
      roles: ['civicdesk-admins'],
    });
    const f = browser();
    const start = await f.get(`${flaky.origin}/staff/sign-in/oidc`);
    const callbackUrl = await signInAtProvider(f, start, flaky.origin, { login: 'ada' });
    await flakyIdp.close();
    const page2 = await f.get(callbackUrl);
    assertProblemPage(page2, 502, /sign-in service is not available/);
    await assertSignedOut(f, flaky);
  });

  it('refuses a disabled account, whatever the provider says', async () => {
    await getDatabase()
      .db.insertInto('staff_user')
      .values({
        email: 'left@ashdown.example',
        name: 'Has Left',
        role: 'officer',
        body_id: council.id,
        disabled_at: new Date(),
      })
      .execute();
    idp.accounts.set('left', {
      email: 'left@ashdown.example',
      email_verified: true,
      roles: ['civicdesk-admins'],
    });
    const b = browser();
    const { landed } = await signIn(b, main, 'left');
    assertProblemPage(landed, 403, /account has been disabled/);
    await assertSignedOut(b, main);
    assert.equal((await staffRow('left@ashdown.example'))!.role, 'officer', 'the role is not changed either');
    // Not with account creation on, either.
    assertProblemPage((await signIn(browser(), creating, 'left')).landed, 403, /account has been disabled/);
  });

  it('refuses someone with no account, unless accounts are made at first sign-in', async () => {
    idp.accounts.set('nia', {
      email: 'nia.newcomer@ashdown.example',
      email_verified: true,
      name: 'Nia Newcomer',
      roles: ['civicdesk-officers'],
    });
    const b = browser();
    const refused = await signIn(b, main, 'nia');
    assertProblemPage(refused.landed, 403, /You do not have a Civicdesk account/);
    await assertSignedOut(b, main);
    assert.equal(await staffRow('nia.newcomer@ashdown.example'), undefined);

    const c = browser();
    const made = await signIn(c, creating, 'nia');
    assert.equal(made.landed.status, 303, made.landed.body.slice(0, 500));
    assert.equal(made.landed.location, `${creating.origin}/staff/cases`);
    const row = await staffRow('nia.newcomer@ashdown.example');
    assert.ok(row);
    assert.equal(row.name, 'Nia Newcomer');
    assert.equal(row.role, 'officer');
    assert.equal(row.password_hash, null, 'no password: they sign in through the provider');
    const placed = await getDatabase()
      .db.selectFrom('body')
      .innerJoin('team', 'team.body_id', 'body.id')
      .select(['body.id as bodyId', 'team.id as teamId'])
      .where('body.code', '=', 'ashdown')
      .where('team.code', '=', 'highways')
      .executeTakeFirstOrThrow();
    assert.equal(row.body_id, placed.bodyId);
    assert.equal(row.team_id, placed.teamId);
    assert.equal((await c.get(`${creating.origin}/staff/cases`)).status, 200);
    const account = await c.get(`${creating.origin}/staff/account`);
    assert.equal(account.status, 200);
    assert.match(account.body, /None: you sign in with your council account/);
    assert.match(account.body, /id="signed-in-through-provider"/);
    assert.doesNotMatch(account.body, /Two-step verification|href="\/staff\/account\/password"/);

    // Such an account cannot get a password by a reset link: the provider stays its only way in.
    const resetsOf = async (email: string) => {
      const form = await c.get(`${creating.origin}/staff/forgotten-password`);
      const asked = await c.request(`${creating.origin}/staff/forgotten-password`, {
        method: 'POST',
        form: { _csrf: csrfFrom(form.body), email },
      });
      assert.equal(asked.status, 303, asked.body.slice(0, 300));
      const rows = await getDatabase()
        .db.selectFrom('staff_password_reset')
        .innerJoin('staff_user', 'staff_user.id', 'staff_password_reset.staff_user_id')
        .select('token_hash')
        .where('staff_user.email', '=', email)
        .execute();
      return rows.length;
    };
    assert.equal(await resetsOf(row.email), 0);
    assert.equal(await resetsOf('lead@ashdown.example'), 1, 'an account with a password still gets a link');
    const audit = await getDatabase()
      .db.selectFrom('audit_event')
      .select('detail')
      .where('staff_user_id', '=', row.id)
      .executeTakeFirstOrThrow();
    assert.equal(audit.detail.accountCreated, true);

    // The next sign-in finds the account made the first time, with the role the claim now gives.
    idp.accounts.set('nia', { ...idp.accounts.get('nia'), roles: ['contact-centre'] });
    const again = await signIn(browser(), creating, 'nia');
    assert.equal(again.landed.status, 303);
    const rows = await getDatabase()
      .db.selectFrom('staff_user')
      .select('role')
      .where('email', '=', 'nia.newcomer@ashdown.example')
      .execute();
    assert.deepEqual(rows, [{ role: 'agent' }]);

    // Made accounts still need a mapped role and a verified address.
    idp.accounts.set('ned', { email: 'ned@ashdown.example', email_verified: true, roles: ['visitors'] });
    assertProblemPage((await signIn(browser(), creating, 'ned')).landed, 403, /not allowed to use Civicdesk/);
    idp.accounts.set('ned', {
      email: 'ned@ashdown.example',
      email_verified: false,
      roles: ['civicdesk-officers'],
    });
    assertProblemPage((await signIn(browser(), creating, 'ned')).landed, 403, /not been verified/);
    assert.equal(await staffRow('ned@ashdown.example'), undefined);
  });
});
