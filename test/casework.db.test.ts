/**
 * The back office through HTTP: an officer finds a resident's report in the queues, works it, sends a
 * public update and closes it; the resident is emailed each time (real SMTP) and sees it on the tracking
 * page. Access rules are tested with staff of another body and with a contact-centre agent.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { StaffRole } from '../src/db/database.js';
import { TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { AT, newBody, newService, newStaff, newTeam, type TestStaff } from './helpers/factories.js';
import { newCouncil, POTHOLE_ANSWERS, POTHOLE_QUESTIONS, useMailingApp } from './helpers/fixtures.js';

describeEachEngine('case work', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, {
    CIVICDESK_BASE_URL: 'https://report.ashdown.example',
    CIVICDESK_REFERENCE_PREFIX: 'ASH',
  });
  let reference: string;
  let missedBin: string;
  const staff: Partial<Record<StaffRole | 'clerk', TestStaff>> = {};
  const login = (role: StaffRole | 'clerk') => staff[role]!;

  before(async () => {
    const { app } = mailing();
    const council = await newCouncil(app, {
      service: { questions: POTHOLE_QUESTIONS },
      staff: ['officer', 'agent'],
    });
    Object.assign(staff, council.staff);
    staff.team_lead = await newStaff(app, {
      role: 'team_lead',
      body: council.body,
      team: council.team,
      email: 'lead@ashdown.example',
    });
    // Another body's staff, and bin collections for a team with no lead of its own (yet).
    const parish = await newBody(app, { kind: 'parish' });
    staff.clerk = await newStaff(app, {
      role: 'officer',
      body: parish,
      team: await newTeam(app, { body: parish }),
    });
    missedBin = (
      await newService(app, {
        body: council.body,
        team: await newTeam(app, { body: council.body, code: 'waste' }),
        name: 'Missed bin collection',
        isPublic: false,
        timescale: { unit: 'working_days', amount: 2 },
      })
    ).code;
    const result = await app.intake.submit({
      serviceCode: council.service.code,
      ...AT,
      description: 'Deep pothole by the zebra crossing',
      answers: POTHOLE_ANSWERS,
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org', phone: '0161 496 0001' },
      channel: 'web',
      at: new Date('2026-11-24T10:00:00Z'),
    });
    reference = result.case.reference;
    await mailing().smtp.waitFor((m) => m.parsed.subject === `Your report ${reference}: Pothole`);
  });

  it('shows an officer the new case in their team’s queue, unassigned, with the resident and why it came', async () => {
    const officer = new TestBrowser(mailing().app);
    await officer.signIn(login('officer').email, login('officer').password);
    const queue = await officer.get('/staff/cases?view=team');
    assert.equal(queue.statusCode, 200);
    assert.match(queue.body, new RegExp(`href="/staff/cases/${reference}"`));
    assert.match(queue.body, /Unassigned \(1\)/);
    const search = await officer.get(`/staff/cases?view=all&q=zebra`);
    assert.match(search.body, new RegExp(reference));
    const none = await officer.get(`/staff/cases?view=all&q=no-such-words`);
    assert.doesNotMatch(none.body, new RegExp(reference));

    const page = await officer.get(`/staff/cases/${reference}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Rosa Resident/);
    assert.match(page.body, /rosa@example.org/);
    assert.match(page.body, /Larger than a dinner plate/);
    assert.match(page.body, /Why it came here/);
    const audit = await getDatabase()
      .db.selectFrom('audit_event')
      .select(['action'])
      .where('action', '=', 'case.viewed')
      .execute();
    assert.ok(audit.length >= 1, 'viewing a case with personal data is audited');
  });

  it('lets the officer take the case, send a public update and close it; the resident hears each time', async () => {
    const officer = new TestBrowser(mailing().app);
    await officer.signIn(login('officer').email, login('officer').password);
    await officer.get(`/staff/cases/${reference}`);
    const taken = await officer.post(`/staff/cases/${reference}/assign`, { assignee: 'me' });
    assert.equal(taken.statusCode, 303);
    assert.match((await officer.get('/staff/cases?view=mine')).body, new RegExp(reference));

    const empty = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'received',
      publicUpdate: '',
    });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Choose a new status or write an update/);

    const scheduled = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'action_scheduled',
      publicUpdate: 'An inspector has visited. A repair crew is booked for Thursday.',
    });
    assert.equal(scheduled.statusCode, 303, scheduled.body);
    const update = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Update on report ${reference}: Pothole`,
    );
    assert.deepEqual(update.envelope.to, ['rosa@example.org']);
    assert.match(update.parsed.text ?? '', /A repair crew is booked for Thursday/);

    const publicPage = await mailing().app.inject({ method: 'GET', url: `/reports/${reference}` });
    assert.match(publicPage.body, /A repair crew is booked for Thursday/);
    assert.match(publicPage.body, /Action scheduled/);

    const note = await officer.post(`/staff/cases/${reference}/note`, { note: 'Crew from Highways depot' });
    assert.equal(note.statusCode, 303);
    const afterNote = await mailing().app.inject({ method: 'GET', url: `/reports/${reference}` });
    assert.doesNotMatch(afterNote.body, /Crew from Highways depot/, 'internal notes stay internal');

    const withoutWords = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'fixed',
      publicUpdate: '',
    });
    assert.equal(withoutWords.statusCode, 400);
    assert.match(withoutWords.body, /Tell the resident what was done before closing the case/);
    const fixed = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'fixed',
      publicUpdate: 'The pothole was filled and the surface resealed.',
    });
    assert.equal(fixed.statusCode, 303);
    const summary = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Report ${reference} is closed: Fixed`,
    );
    const text = summary.parsed.text ?? '';
    assert.match(text, /The pothole was filled/);
    assert.match(text, /What we did:/);
    assert.match(text, /A repair crew is booked for Thursday/);
    assert.match(text, /we will reopen it/);
    const row = await getDatabase()
      .db.selectFrom('cases')
      .select(['status', 'closed_at', 'outcome'])
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'fixed');
    assert.ok(row.closed_at);
  });

  it('does not show another body’s staff the case, nor let an agent change its status', async () => {
    const clerk = new TestBrowser(mailing().app);
    await clerk.signIn(login('clerk').email, login('clerk').password);
    assert.equal((await clerk.get(`/staff/cases/${reference}`)).statusCode, 404);
    assert.doesNotMatch((await clerk.get('/staff/cases?view=all')).body, new RegExp(reference));
    const blind = await clerk.post(`/staff/cases/${reference}/note`, { note: 'sneaky' });
    assert.equal(blind.statusCode, 404);

    const agent = new TestBrowser(mailing().app);
    await agent.signIn(login('agent').email, login('agent').password);
    const page = await agent.get(`/staff/cases/${reference}`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /id="status"/, 'agents are not offered the status');
    const attempt = await agent.post(`/staff/cases/${reference}/update`, {
      status: 'cancelled',
      publicUpdate: 'Cancelled',
    });
    assert.equal(attempt.statusCode, 403);
    const note = await agent.post(`/staff/cases/${reference}/note`, {
      note: 'Caller rang to ask for progress',
    });
    assert.equal(note.statusCode, 303, 'agents can record notes');
  });

  it('tells the resident and the team lead once, with a new date, when a case passes its due date', async () => {
    const late = await mailing().app.intake.submit({
      serviceCode: missedBin,
      lat: 53.451,
      lon: -2.381,
      reporter: { name: 'Owen Overdue', email: 'owen@example.org' },
      channel: 'web',
      at: new Date('2026-11-02T10:00:00Z'), // due two working days later, long past
    });
    await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Your report ${late.case.reference}: Missed bin collection`,
    );
    // Move the team lead to the waste team, so there is a lead to tell.
    const { db } = getDatabase();
    const waste = await db
      .selectFrom('team')
      .select('id')
      .where('code', '=', 'waste')
      .executeTakeFirstOrThrow();
    await db.updateTable('staff_user').set({ team_id: waste.id }).where('role', '=', 'team_lead').execute();

    const now = new Date('2026-11-25T09:00:00Z'); // a Wednesday
    const first = await mailing().app.cases.sendOverdueNotices(now);
    assert.ok(first >= 1);
    const again = await Promise.all([
      mailing().app.cases.sendOverdueNotices(now),
      mailing().app.cases.sendOverdueNotices(now),
    ]);
    assert.deepEqual(again, [0, 0], 'never twice, even when two workers check at once');

    const notice = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Report ${late.case.reference}: a new date`,
    );
    assert.deepEqual(notice.envelope.to, ['owen@example.org']);
    // Two working days from Wednesday 25 November: Friday 27 November, 5pm.
    assert.match(
      notice.parsed.text ?? '',
      /we are sorry\. We now expect to respond by 5pm on Friday 27 November 2026\./,
    );
    const lead = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Overdue: ${late.case.reference} (Missed bin collection)`,
    );
    assert.deepEqual(lead.envelope.to, ['lead@ashdown.example']);
    const notices = mailing().smtp.received.filter(
      (m) => m.parsed.subject === `Report ${late.case.reference}: a new date`,
    );
    assert.equal(notices.length, 1);
    // Missed bins are not public reports: the notice is on the case's timeline, for the tracking page.
    const events = await getDatabase()
      .db.selectFrom('case_event')
      .select(['kind', 'is_public', 'body'])
      .where('case_id', '=', late.case.id)
      .where('kind', '=', 'overdue')
      .execute();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.is_public, true);
  });

  it('refuses case actions without the form’s CSRF token, and sends signed-out visitors to sign in', async () => {
    const officer = new TestBrowser(mailing().app);
    await officer.signIn(login('officer').email, login('officer').password);
    const forged = await mailing().app.inject({
      method: 'POST',
      url: `/staff/cases/${reference}/note`,
      headers: { cookie: officer.cookie!, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'note=forged',
    });
    assert.equal(forged.statusCode, 403);
    const anonymous = await mailing().app.inject({ method: 'GET', url: '/staff/cases' });
    assert.equal(anonymous.statusCode, 303);
  });
});
