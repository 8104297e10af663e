/**
 * The officer's queue filters and sorting on both engines, through the page: priority, channel, ward,
 * reported-date range (with errors for dates that are not days), sorting with aria-sort; and cross-body
 * access, which admins configure on a body's page: a parish clerk sees the borough's cases only once
 * granted, and not after it is taken away; and who may give a case to someone else (team leads, for
 * their own team's cases), tried by an officer and by a team lead of another team.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { buildTestApp, type TestApp, type TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newBody, newCase, newStaff, newTeam, type TestStaff } from './helpers/factories.js';
import { newCouncil, signedIn, type TestCouncil } from './helpers/fixtures.js';

describeEachEngine('queue filters, sorting and cross-body access', (getDatabase) => {
  let t: TestApp;
  let council: TestCouncil;
  let parishClerk: TestStaff; // another body's staff
  let lightingLead: TestStaff; // the lead of another team in the same body
  let officer: TestBrowser;
  const refs: Record<string, string> = {};
  const login = (role: 'admin' | 'officer' | 'team_lead') => council.staff[role]!;

  /** The references on a queue page, in the order shown. */
  const referencesOn = (html: string) => [...new Set(html.match(/ASH-[0-9A-Z]{4}-[0-9A-Z]{4}/g) ?? [])];

  before(async () => {
    const { db } = getDatabase();
    t = await buildTestApp(getDatabase(), { env: { CIVICDESK_REFERENCE_PREFIX: 'ASH' } });
    council = await newCouncil(t.app, {
      body: { code: 'ashdown' },
      staff: ['admin', 'officer', 'team_lead'],
    });
    const parish = await newBody(t.app, { code: 'little-wickham', kind: 'parish' });
    parishClerk = await newStaff(t.app, { role: 'officer', body: parish });
    const lighting = await newTeam(t.app, { body: council.body, code: 'street-lighting' });
    lightingLead = await newStaff(t.app, { role: 'team_lead', body: council.body, team: lighting });
    const cases = [
      { name: 'early', channel: 'web' as const, at: '2026-11-02T10:00:00Z', priority: 'low' as const },
      { name: 'middle', channel: 'phone' as const, at: '2026-11-10T10:00:00Z', priority: 'urgent' as const },
      { name: 'late', channel: 'web' as const, at: '2026-11-20T10:00:00Z', priority: 'high' as const },
    ];
    for (const [i, c] of cases.entries()) {
      const result = await newCase(t.app, {
        service: council.service,
        lat: 53.45 + i / 1000,
        lon: -2.38,
        description: `The ${c.name} pothole`,
        reporter: { name: 'Resident', email: `resident${i}@example.org` },
        channel: c.channel,
        at: new Date(c.at),
      });
      refs[c.name] = result.reference;
      await db
        .updateTable('cases')
        .set({ priority: c.priority, created_at: new Date(c.at) })
        .where('reference', '=', result.reference)
        .execute();
    }
    officer = await signedIn(t.app, login('officer'));
  });
  after(() => t.close());

  it('filters by priority, channel and reported dates, keeping the filters in the links', async () => {
    const urgent = await officer.get('/staff/cases?view=all&priority=urgent');
    assert.deepEqual(referencesOn(urgent.body), [refs.middle]);
    const byPhone = await officer.get('/staff/cases?view=all&channel=phone');
    assert.deepEqual(referencesOn(byPhone.body), [refs.middle]);
    const november = await officer.get('/staff/cases?view=all&from=2026-11-05&to=2026-11-20&sort=oldest');
    assert.deepEqual(referencesOn(november.body), [refs.middle, refs.late], 'the “to” day is included');
    const untilThe19th = await officer.get('/staff/cases?view=all&to=2026-11-19&sort=oldest');
    assert.deepEqual(referencesOn(untilThe19th.body), [refs.early, refs.middle], 'and the day after is not');
    assert.match(
      november.body,
      /href="\/staff\/cases\?view=mine&amp;from=2026-11-05&amp;to=2026-11-20&amp;sort=oldest"/,
    );
  });

  it('says which dates are wrong, and shows the queue without them', async () => {
    const notADay = await officer.get('/staff/cases?view=all&from=2026-02-30');
    assert.equal(notADay.statusCode, 200);
    assert.match(notADay.body, /govuk-error-summary/);
    assert.match(notADay.body, /Reported from must be a real date/);
    assert.equal(referencesOn(notADay.body).length, 3);
    const backwards = await officer.get('/staff/cases?view=all&from=2026-11-20&to=2026-11-01');
    assert.match(backwards.body, /Reported to must be the same as or after reported from/);
  });

  it('sorts by priority, date and reference, saying how in aria-sort', async () => {
    const byPriority = await officer.get('/staff/cases?view=all&sort=priority');
    assert.deepEqual(referencesOn(byPriority.body), [refs.middle, refs.late, refs.early]);
    assert.match(
      byPriority.body,
      /aria-sort="descending"><a class="govuk-link app-sort-link" href="[^"]*sort=priority">Priority/,
    );
    const newest = await officer.get('/staff/cases?view=all&sort=newest');
    assert.deepEqual(referencesOn(newest.body), [refs.late, refs.middle, refs.early]);
    assert.match(
      newest.body,
      /aria-sort="descending"><a[^>]*sort=oldest">Reported/,
      'the header offers the other way',
    );
    const byReference = await officer.get('/staff/cases?view=all&sort=reference');
    const shown = referencesOn(byReference.body);
    assert.deepEqual(shown, [...shown].sort());
  });

  it('lets a body’s staff work another body’s cases only while an admin grants it', async () => {
    const clerk = await signedIn(t.app, parishClerk);
    assert.equal((await clerk.get(`/staff/cases/${refs.middle}`)).statusCode, 404);
    assert.deepEqual(referencesOn((await clerk.get('/staff/cases?view=all')).body), []);

    const admin = await signedIn(t.app, login('admin'));
    const page = await admin.get('/admin/organisations/little-wickham');
    assert.match(page.body, /Access to other bodies’ cases/);
    const wrong = await admin.post('/admin/organisations/little-wickham/case-access', {
      caseAccess: 'nowhere',
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Choose from the other bodies listed/);
    const granted = await admin.post('/admin/organisations/little-wickham/case-access', {
      caseAccess: 'ashdown',
    });
    assert.equal(granted.statusCode, 303);
    assert.match((await admin.get('/admin/organisations/little-wickham')).body, /value="ashdown" checked/);

    assert.equal((await clerk.get(`/staff/cases/${refs.middle}`)).statusCode, 200);
    assert.equal(referencesOn((await clerk.get('/staff/cases?view=all')).body).length, 3);
    const note = await clerk.post(`/staff/cases/${refs.middle}/note`, {
      note: 'Parish warden has looked at it',
    });
    assert.equal(note.statusCode, 303, 'granted staff can work the case');
    // The grant is one way: the borough's officer still sees only the borough's cases.
    assert.equal(referencesOn((await officer.get('/staff/cases?view=all')).body).length, 3);

    await admin.get('/admin/organisations/little-wickham');
    await admin.post('/admin/organisations/little-wickham/case-access', {});
    assert.equal((await clerk.get(`/staff/cases/${refs.middle}`)).statusCode, 404, 'taken away again');
  });

  it('lets team leads give their own team’s cases to someone else, and nobody else but admins', async () => {
    const { db } = getDatabase();
    const idOf = async (email: string) =>
      (await db.selectFrom('staff_user').select('id').where('email', '=', email).executeTakeFirstOrThrow())
        .id;
    const leadId = await idOf(login('team_lead').email);
    const officerId = await idOf(login('officer').email);
    const assignee = async () =>
      (
        await db
          .selectFrom('cases')
          .select('assignee_staff_id')
          .where('reference', '=', refs.early!)
          .executeTakeFirstOrThrow()
      ).assignee_staff_id;

    // An officer may take the case, but not hand it to a colleague.
    await officer.get(`/staff/cases/${refs.early}`);
    const handOver = await officer.post(`/staff/cases/${refs.early}/assign`, { assignee: leadId });
    assert.equal(handOver.statusCode, 403);
    assert.match(handOver.body, /Only a team lead can give their team’s cases to someone else/);
    assert.match(handOver.body, /govuk-error-summary/);
    assert.equal(await assignee(), null);
    assert.equal(
      (await officer.post(`/staff/cases/${refs.early}/assign`, { assignee: 'me' })).statusCode,
      303,
    );
    assert.equal(await assignee(), officerId);

    // The lead of another team (street lighting) may not move a highways case between people...
    const otherLead = await signedIn(t.app, lightingLead);
    await otherLead.get(`/staff/cases/${refs.early}`);
    const notTheirs = await otherLead.post(`/staff/cases/${refs.early}/assign`, { assignee: '' });
    assert.equal(notTheirs.statusCode, 403);
    assert.equal(await assignee(), officerId);

    // ...but the highways team lead may.
    const lead = await signedIn(t.app, login('team_lead'));
    await lead.get(`/staff/cases/${refs.early}`);
    assert.equal(
      (await lead.post(`/staff/cases/${refs.early}/assign`, { assignee: leadId })).statusCode,
      303,
    );
    assert.equal(await assignee(), leadId);
  });
});
