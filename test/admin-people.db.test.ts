/**
 * Staff accounts managed by an administrator, through HTTP as a browser would use the pages: adding a
 * person emails an invitation (to a real SMTP server, sent by the worker from the outbox) whose link sets
 * their password once; duplicates are refused; disabling ends sessions and stops sign-in; unlocking
 * after a lockout; resetting two-step verification sends them back to set it up; nobody but an admin
 * reaches any of it; and every action is in the audit trail, whose filters work.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { StaffRole } from '../src/db/database.js';
import { toLocal } from '../src/lib/working-time.js';
import { TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newBody, newCase, newTeam } from './helpers/factories.js';
import { newCouncil, useMailingApp, type TestCouncil } from './helpers/fixtures.js';
import type { TestSmtpServer } from './helpers/smtp.js';

const BASE_URL = 'https://report.ashdown.example';
const NEW_PASSWORD = 'Marsh-Kestrel-Lantern-27';

describeEachEngine('admin: people and the audit trail', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, { CIVICDESK_BASE_URL: BASE_URL });
  let t: TestApp;
  let smtp: TestSmtpServer;
  let council: TestCouncil;
  const login = (role: StaffRole) => council.staff[role]!;
  let addresses = 0;
  const browser = () => new TestBrowser(t.app, { remoteAddress: `198.51.100.${++addresses}` });
  let admin: TestBrowser;

  before(async () => {
    ({ t, smtp } = mailing());
    council = await newCouncil(t.app, {
      body: { code: 'ashdown' },
      team: { code: 'highways' },
      staff: ['admin', 'team_lead', 'officer', 'agent'],
      staffNames: { admin: 'Ada Admin', team_lead: 'Lee Lead', officer: 'Olu Officer', agent: 'Aggie Agent' },
    });
    await newTeam(t.app, { body: council.body, code: 'street-lighting', name: 'Street lighting' });
    await newTeam(t.app, { body: council.body, code: 'waste', name: 'Waste and recycling' });
    await newBody(t.app, { code: 'little-wickham', name: 'Little Wickham Parish Council', kind: 'parish' });
    admin = browser();
    await admin.signIn(login('admin').email, login('admin').password);
  });

  /** The link in the newest email to `address` whose subject matches, as a path on this site. */
  async function linkFor(address: string, subject: RegExp, after: number): Promise<string> {
    const email = await smtp.waitFor(
      (m) =>
        m.envelope.to.includes(address) &&
        subject.test(m.parsed.subject ?? '') &&
        smtp.received.indexOf(m) >= after,
    );
    const link = /https:\/\/report\.ashdown\.example(\/staff\/reset-password\?token=[\w-]{43})/.exec(
      email.parsed.text ?? '',
    );
    assert.ok(link, 'the email has the link');
    return link[1]!;
  }

  async function staffId(email: string): Promise<string> {
    const row = await getDatabase()
      .db.selectFrom('staff_user')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Chooses a password from an emailed link, in a browser of its own. */
  async function choosePassword(link: string, password: string) {
    const b = browser();
    assert.equal((await b.get(link)).statusCode, 303);
    const form = await b.get('/staff/reset-password');
    assert.equal(form.statusCode, 200);
    return {
      b,
      form,
      done: await b.post('/staff/reset-password', { newPassword: password, confirmPassword: password }),
    };
  }

  it('adds a person: the invitation arrives, its link sets a password once, and they can sign in', async () => {
    const list = await admin.get('/admin/people');
    assert.equal(list.statusCode, 200);
    assert.match(
      list.body,
      /<a class="moj-sub-navigation__link" aria-current="page" href="\/admin\/people">People/,
    );
    assert.match(list.body, /Olu Officer/);
    assert.match(list.body, /moj-badge--green[^>]*>\s*Active/);

    const form = await admin.get('/admin/people/new');
    assert.equal(form.statusCode, 200);
    const blank = await admin.post('/admin/people/new', {
      name: '',
      email: '',
      role: '',
      bodyCode: '',
      teamCode: '',
    });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /<title>Error: Add a person/);
    for (const [field, message] of [
      ['name', 'Enter their full name'],
      ['email', 'Enter their email address'],
      ['role', 'Choose their role'],
      ['bodyCode', 'Choose the body they work for'],
    ]) {
      assert.match(blank.body, new RegExp(`href="#${field}">${message}`));
    }

    const wrongTeam = await admin.post('/admin/people/new', {
      name: 'Nia Newcomer',
      email: 'nia@ashdown.example',
      role: 'officer',
      bodyCode: 'little-wickham',
      teamCode: 'highways',
    });
    assert.equal(wrongTeam.statusCode, 400);
    assert.match(wrongTeam.body, /href="#teamCode">Choose a team of Little Wickham/);
    assert.match(wrongTeam.body, /value="Nia Newcomer"/, 'what was typed is kept');

    const mark = smtp.received.length;
    const added = await admin.post('/admin/people/new', {
      name: 'Nia Newcomer',
      email: 'Nia@Ashdown.example',
      role: 'officer',
      bodyCode: 'ashdown',
      teamCode: 'waste',
    });
    assert.equal(added.statusCode, 303);
    const page = await admin.get(String(added.headers.location));
    assert.match(page.body, /Person added/);
    assert.match(page.body, /moj-badge--blue[^>]*>\s*Invited/);
    assert.match(page.body, /Waste and recycling/);

    // No usable password until the invitation is used.
    const early = await browser().post('/staff/sign-in', { email: 'nia@ashdown.example', password: '' });
    assert.notEqual(early.statusCode, 303);

    const link = await linkFor('nia@ashdown.example', /Civicdesk account/, mark);
    const invitation = smtp.received.find((m) => m.envelope.to.includes('nia@ashdown.example'))!;
    assert.match(invitation.parsed.text ?? '', /Ada Admin has made you a Civicdesk account/);
    const { form: choose, done } = await choosePassword(link, NEW_PASSWORD);
    assert.match(choose.body, /<h1 class="govuk-heading-l">Choose your password<\/h1>/);
    assert.equal(done.statusCode, 303);

    // The link worked once.
    const again = browser();
    assert.equal((await again.get(link)).statusCode, 410);

    const nia = browser();
    const signIn = await nia.signIn('nia@ashdown.example', NEW_PASSWORD);
    assert.equal(signIn.statusCode, 303);
    assert.equal((await nia.get('/staff/cases')).statusCode, 200);
    const listed = await admin.get('/admin/people');
    assert.match(listed.body, /Nia Newcomer/);
  });

  it('refuses a duplicate email address, whatever its case', async () => {
    await admin.get('/admin/people/new');
    const duplicate = await admin.post('/admin/people/new', {
      name: 'Another Officer',
      email: ` ${login('officer').email.toUpperCase()} `,
      role: 'officer',
      bodyCode: 'ashdown',
      teamCode: '',
    });
    assert.equal(duplicate.statusCode, 400);
    assert.match(duplicate.body, /href="#email">There is already a member of staff with this email address/);
    const rows = await getDatabase()
      .db.selectFrom('staff_user')
      .select('id')
      .where('email', '=', login('officer').email)
      .execute();
    assert.equal(rows.length, 1);
  });

  it('edits a person, and an admin cannot demote or disable themselves', async () => {
    const officerId = await staffId(login('officer').email);
    await admin.get(`/admin/people/${officerId}/edit`);
    const changed = await admin.post(`/admin/people/${officerId}/edit`, {
      name: 'Olu Officer',
      role: 'team_lead',
      bodyCode: 'ashdown',
      teamCode: 'street-lighting',
    });
    assert.equal(changed.statusCode, 303);
    const page = await admin.get(String(changed.headers.location));
    assert.match(page.body, /Changes saved/);
    assert.match(page.body, /Team lead/);
    assert.match(page.body, /Street lighting/);
    // And back, so later tests have their officer.
    await admin.post(`/admin/people/${officerId}/edit`, {
      name: 'Olu Officer',
      role: 'officer',
      bodyCode: 'ashdown',
      teamCode: 'highways',
    });

    const adminId = await staffId(login('admin').email);
    const own = await admin.get(`/admin/people/${adminId}`);
    assert.match(own.body, /You cannot disable your own account/);
    assert.doesNotMatch(own.body, /href="[^"]+\/disable"/);
    await admin.get(`/admin/people/${adminId}/edit`);
    const demote = await admin.post(`/admin/people/${adminId}/edit`, {
      name: 'Ada Admin',
      role: 'officer',
      bodyCode: 'ashdown',
      teamCode: '',
    });
    assert.equal(demote.statusCode, 400);
    assert.match(demote.body, /href="#role">You cannot change your own role/);
    await admin.get(`/admin/people/${adminId}`);
    const disableSelf = await admin.post(`/admin/people/${adminId}/disable`, {});
    assert.equal(disableSelf.statusCode, 409);
    assert.match(disableSelf.body, /You cannot disable your own account/);
    const row = await getDatabase()
      .db.selectFrom('staff_user')
      .select(['role', 'disabled_at'])
      .where('id', '=', adminId)
      .executeTakeFirstOrThrow();
    assert.equal(row.role, 'admin');
    assert.equal(row.disabled_at, null);
  });

  it('disables an account: its session ends and it cannot sign in; re-enabling lets it in again', async () => {
    const agent = login('agent');
    const agentId = await staffId(agent.email);
    const session = browser();
    await session.signIn(agent.email, agent.password);
    assert.equal((await session.get('/staff/cases')).statusCode, 200);

    const confirm = await admin.get(`/admin/people/${agentId}/disable`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Disable Aggie Agent’s account\?/);
    const disabled = await admin.post(`/admin/people/${agentId}/disable`, {});
    assert.equal(disabled.statusCode, 303);
    const page = await admin.get(String(disabled.headers.location));
    assert.match(page.body, /Account disabled/);
    assert.match(page.body, /moj-badge--red[^>]*>\s*Disabled/);

    const after = await session.get('/staff/cases');
    assert.equal(after.statusCode, 303);
    assert.match(String(after.headers.location), /^\/staff\/sign-in/);
    const sessions = await getDatabase()
      .db.selectFrom('session')
      .select('id_hash')
      .where('staff_user_id', '=', agentId)
      .execute();
    assert.equal(sessions.length, 0, 'no session rows are left');
    const refused = await browser().post('/staff/sign-in', { email: agent.email, password: agent.password });
    assert.notEqual(refused.statusCode, 303, 'the right password does not sign a disabled account in');

    await admin.get(`/admin/people/${agentId}`);
    const enabled = await admin.post(`/admin/people/${agentId}/enable`, {});
    assert.equal(enabled.statusCode, 303);
    const back = browser();
    assert.equal((await back.signIn(agent.email, agent.password)).statusCode, 303);
  });

  it('unlocks an account locked by failed sign-ins', async () => {
    const lead = login('team_lead');
    const leadId = await staffId(lead.email);
    const guesser = browser();
    await guesser.get('/staff/sign-in');
    for (let i = 0; i < 5; i++)
      await guesser.post('/staff/sign-in', { email: lead.email, password: `wrong-${i}` });
    const locked = await browser().post('/staff/sign-in', { email: lead.email, password: lead.password });
    assert.notEqual(locked.statusCode, 303, 'locked, even with the right password');

    const page = await admin.get(`/admin/people/${leadId}`);
    assert.match(page.body, /moj-badge--orange[^>]*>\s*Locked/);
    const list = await admin.get('/admin/people?role=team_lead');
    assert.match(list.body, /Lee Lead/);
    assert.match(list.body, /Locked/);
    const unlocked = await admin.post(`/admin/people/${leadId}/unlock`, {});
    assert.equal(unlocked.statusCode, 303);
    assert.match((await admin.get(String(unlocked.headers.location))).body, /Account unlocked/);
    const row = await getDatabase()
      .db.selectFrom('staff_user')
      .select(['failed_attempts', 'locked_until'])
      .where('id', '=', leadId)
      .executeTakeFirstOrThrow();
    assert.equal(row.failed_attempts, 0);
    assert.equal(row.locked_until, null);
    assert.equal((await browser().signIn(lead.email, lead.password)).statusCode, 303);
  });

  it('resets two-step verification: their session ends and they set up an app again at sign-in', async () => {
    await admin.get('/admin/people/new');
    const mark = smtp.received.length;
    const added = await admin.post('/admin/people/new', {
      name: 'Sam Second',
      email: 'sam@ashdown.example',
      role: 'admin',
      bodyCode: 'ashdown',
      teamCode: '',
    });
    assert.equal(added.statusCode, 303);
    const samId = String(added.headers.location).split('/')[3]!.split('?')[0]!;
    await choosePassword(await linkFor('sam@ashdown.example', /Civicdesk account/, mark), NEW_PASSWORD);
    const sam = browser();
    await sam.signIn('sam@ashdown.example', NEW_PASSWORD); // sets up the app admins must use
    assert.equal((await sam.get('/admin')).statusCode, 200);
    const page = await admin.get(`/admin/people/${samId}`);
    assert.match(page.body, /On \(authenticator app\)/);

    const confirm = await admin.get(`/admin/people/${samId}/reset-two-factor`);
    assert.match(confirm.body, /Reset two-step verification for Sam Second\?/);
    const mark2 = smtp.received.length;
    const reset = await admin.post(`/admin/people/${samId}/reset-two-factor`, {});
    assert.equal(reset.statusCode, 303);
    await smtp.waitFor(
      (m) =>
        m.envelope.to.includes('sam@ashdown.example') &&
        /Two-step verification was reset/.test(m.parsed.subject ?? '') &&
        smtp.received.indexOf(m) >= mark2,
    );
    assert.equal((await sam.get('/admin')).statusCode, 303, 'their session ended');
    const codes = await getDatabase()
      .db.selectFrom('staff_recovery_code')
      .select('code_hash')
      .where('staff_user_id', '=', samId)
      .execute();
    assert.equal(codes.length, 0, 'the recovery codes are gone');

    const again = browser();
    await again.get('/staff/sign-in');
    const password = await again.post('/staff/sign-in', {
      email: 'sam@ashdown.example',
      password: NEW_PASSWORD,
    });
    assert.equal(password.statusCode, 303);
    assert.match(
      String(password.headers.location),
      /^\/staff\/two-factor\/setup/,
      'asked to set up an app again',
    );
  });

  it('unlinks the council account someone signs in with, once confirmed, and audits the old link', async () => {
    const agentId = await staffId(login('agent').email);
    const accountOf = () =>
      getDatabase()
        .db.selectFrom('staff_user')
        .select(['oidc_issuer', 'oidc_subject'])
        .where('id', '=', agentId)
        .executeTakeFirstOrThrow();
    assert.doesNotMatch((await admin.get(`/admin/people/${agentId}`)).body, /Unlink council account/);
    // As a first sign-in through the council's identity provider leaves it.
    await getDatabase()
      .db.updateTable('staff_user')
      .set({ oidc_issuer: 'https://login.ashdown.example', oidc_subject: 'a1b2c3' })
      .where('id', '=', agentId)
      .execute();
    const page = await admin.get(`/admin/people/${agentId}`);
    assert.match(page.body, /Council sign-in/);
    assert.match(page.body, /Linked to a1b2c3 at https:\/\/login.ashdown.example/);
    const confirm = await admin.get(`/admin/people/${agentId}/unlink-council-account`);
    assert.match(confirm.body, /Unlink Aggie Agent’s council account\?/);
    assert.deepEqual(await accountOf(), {
      oidc_issuer: 'https://login.ashdown.example',
      oidc_subject: 'a1b2c3',
    });

    const unlinked = await admin.post(`/admin/people/${agentId}/unlink-council-account`, {});
    assert.equal(unlinked.statusCode, 303);
    assert.match((await admin.get(String(unlinked.headers.location))).body, /Council account unlinked/);
    assert.deepEqual(await accountOf(), { oidc_issuer: null, oidc_subject: null });
    const audit = await getDatabase()
      .db.selectFrom('audit_event')
      .select('detail')
      .where('action', '=', 'staff.council_account_unlinked')
      .executeTakeFirstOrThrow();
    assert.deepEqual(audit.detail.unlinked, { issuer: 'https://login.ashdown.example', subject: 'a1b2c3' });

    const again = await admin.post(`/admin/people/${agentId}/unlink-council-account`, {});
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /No council account is linked to this account/);
  });

  it('sends a password reset email from the person page', async () => {
    const officer = login('officer');
    const officerId = await staffId(officer.email);
    await admin.get(`/admin/people/${officerId}`);
    const mark = smtp.received.length;
    const sent = await admin.post(`/admin/people/${officerId}/send-password-link`, {});
    assert.equal(sent.statusCode, 303);
    assert.match((await admin.get(String(sent.headers.location))).body, /Password reset email sent/);
    const link = await linkFor(officer.email, /Reset your/, mark);
    const { done } = await choosePassword(link, 'Quarry-Walnut-Beacon-63');
    assert.equal(done.statusCode, 303);
    officer.password = 'Quarry-Walnut-Beacon-63';
  });

  it('lets no officer, team lead or agent reach any people or audit page', async () => {
    const someone = await staffId(login('agent').email);
    const pages = [
      '/admin/people',
      '/admin/people/new',
      `/admin/people/${someone}`,
      `/admin/people/${someone}/edit`,
      `/admin/people/${someone}/disable`,
      `/admin/people/${someone}/reset-two-factor`,
      `/admin/people/${someone}/unlink-council-account`,
      '/admin/audit',
      '/admin/audit?action=staff.added',
    ];
    const posts = [
      '/admin/people/new',
      `/admin/people/${someone}/edit`,
      `/admin/people/${someone}/disable`,
      `/admin/people/${someone}/enable`,
      `/admin/people/${someone}/unlock`,
      `/admin/people/${someone}/reset-two-factor`,
      `/admin/people/${someone}/unlink-council-account`,
      `/admin/people/${someone}/send-password-link`,
    ];
    for (const role of ['officer', 'team_lead', 'agent'] as const) {
      const b = browser();
      const who = login(role);
      assert.equal((await b.signIn(who.email, who.password)).statusCode, 303, `${role} signs in`);
      for (const path of pages) {
        const response = await b.get(path);
        assert.ok([403, 404].includes(response.statusCode), `${role} GET ${path}: ${response.statusCode}`);
      }
      for (const path of posts) {
        await b.get('/staff/account'); // a fresh CSRF token, so only the role decides
        const response = await b.post(path, {
          name: 'X',
          email: 'x@ashdown.example',
          role: 'admin',
          bodyCode: 'ashdown',
        });
        assert.ok([403, 404].includes(response.statusCode), `${role} POST ${path}: ${response.statusCode}`);
      }
    }
    const agentRow = await getDatabase()
      .db.selectFrom('staff_user')
      .select(['disabled_at'])
      .where('id', '=', someone)
      .executeTakeFirstOrThrow();
    assert.equal(agentRow.disabled_at, null, 'nothing they posted took effect');
    assert.equal(
      (
        await getDatabase()
          .db.selectFrom('staff_user')
          .select('id')
          .where('email', '=', 'x@ashdown.example')
          .execute()
      ).length,
      0,
    );
  });

  it('records every action in the audit trail, newest first, with working filters', async () => {
    const all = await admin.get('/admin/audit');
    assert.equal(all.statusCode, 200);
    assert.match(
      all.body,
      /<a class="moj-sub-navigation__link" aria-current="page" href="\/admin\/audit">Audit trail/,
    );
    for (const action of [
      'staff.added',
      'staff.changed',
      'staff.disabled',
      'staff.enabled',
      'staff.unlocked',
      'staff.two_factor_reset',
      'staff.password_link_sent',
    ]) {
      assert.match(all.body, new RegExp(`<code>${action.replace('.', '\\.')}</code>`), action);
    }
    // Newest first: the last action of the tests above comes before the first.
    assert.ok(all.body.indexOf('staff.password_link_sent</code>') < all.body.indexOf('staff.added</code>'));
    assert.match(all.body, /Ada Admin/);
    assert.match(all.body, /<td class="govuk-table__cell">(127\.0\.0\.1|198\.51\.100\.\d+)<\/td>/);

    const added = await admin.get('/admin/audit?action=staff.added');
    assert.match(added.body, /Events 1 to 2 of 2/);
    assert.doesNotMatch(added.body, /<code>staff\.disabled<\/code>/);
    assert.match(added.body, /Nia Newcomer/);
    assert.match(added.body, /Sam Second/);

    const agentId = await staffId(login('agent').email);
    const aboutAgent = await admin.get(`/admin/audit?person=${agentId}`);
    assert.match(aboutAgent.body, /<code>staff\.disabled<\/code>/);
    assert.match(aboutAgent.body, /<code>staff\.enabled<\/code>/);
    assert.doesNotMatch(aboutAgent.body, /<code>staff\.unlocked<\/code>/);

    const today = toLocal(new Date(), 'Europe/London').date;
    const inRange = await admin.get(`/admin/audit?action=staff.unlocked&from=${today}&to=${today}`);
    assert.match(inRange.body, /Events 1 to 1 of 1/);
    const before = await admin.get(`/admin/audit?action=staff.unlocked&to=2020-01-01`);
    assert.match(before.body, /No events match/);
    const badDate = await admin.get('/admin/audit?from=5%20December');
    assert.equal(badDate.statusCode, 400);
    assert.match(badDate.body, /href="#from">Enter the from date/);

    const reversed = await admin.get('/admin/audit?from=2026-12-05&to=2026-12-01');
    assert.equal(reversed.statusCode, 400);
    assert.match(reversed.body, /href="#to">The to date must be the same as or after the from date/);

    const disabled = await getDatabase()
      .db.selectFrom('audit_event')
      .select(['ip', 'staff_user_id', 'detail'])
      .where('action', '=', 'staff.disabled')
      .executeTakeFirstOrThrow();
    assert.equal(disabled.ip, admin.remoteAddress, 'from where');
    assert.equal(disabled.staff_user_id, await staffId(login('admin').email), 'who');
    const detail = (typeof disabled.detail === 'string' ? JSON.parse(disabled.detail) : disabled.detail) as {
      targetStaffId: string;
    };
    assert.equal(detail.targetStaffId, agentId, 'to whom');

    const noCase = await admin.get('/admin/audit?reference=ASH-0000-0000');
    assert.match(noCase.body, /No events match/);
  });

  it('shows views of a case with its link, found by the case reference in any form', async () => {
    const reported = await newCase(t.app, {
      service: council.service,
      description: 'Deep pothole by the zebra crossing',
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org' },
    });
    const officer = browser();
    await officer.signIn(login('officer').email, login('officer').password);
    assert.equal((await officer.get(`/staff/cases/${reported.reference}`)).statusCode, 200);

    const typed = reported.reference.toLowerCase().replace(/-/g, ' ');
    const found = await admin.get(`/admin/audit?reference=${encodeURIComponent(typed)}`);
    assert.match(found.body, /<code>case\.viewed<\/code>/);
    assert.match(found.body, new RegExp(`<a class="govuk-link" href="/staff/cases/${reported.reference}">`));
    assert.match(found.body, /Olu Officer/);
    assert.doesNotMatch(found.body, /<code>staff\./, 'only the case’s events');
  });

  it('pages the audit trail 50 at a time', async () => {
    const adminId = await staffId(login('admin').email);
    await getDatabase()
      .db.insertInto('audit_event')
      .values(
        Array.from({ length: 60 }, (_, i) => ({
          staff_user_id: adminId,
          action: 'test.bulk',
          case_id: null,
          detail: JSON.stringify({ n: i }),
          ip: '127.0.0.1',
        })),
      )
      .execute();
    const first = await admin.get('/admin/audit?action=test.bulk');
    assert.match(first.body, /Events 1 to 50 of 60/);
    assert.equal((first.body.match(/<code>test\.bulk<\/code>/g) ?? []).length, 50);
    assert.match(first.body, /n: 59</);
    assert.match(first.body, /href="\/admin\/audit\?action=test\.bulk&amp;page=2"/);
    const second = await admin.get('/admin/audit?action=test.bulk&page=2');
    assert.match(second.body, /Events 51 to 60 of 60/);
    assert.match(second.body, /n: 0</);
  });
});
