/**
 * The case page's three structural actions through HTTP, on both engines: changing a case's service
 * (routed again, recorded, delivered to the new body), setting its priority, and marking it as a
 * duplicate of another case (closed, followers moved to the original once each, both timelines, one
 * email to the reporter over real SMTP). Refusals are tested with an agent, an officer of another team
 * and a clerk of another body.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import {
  actorOf,
  newArea,
  newBody,
  newRule,
  newService,
  newStaff,
  newTeam,
  rectangle,
  type TestStaff,
} from './helpers/factories.js';
import {
  caseEvents,
  newCouncil,
  POTHOLE_ANSWERS,
  POTHOLE_QUESTIONS,
  signedIn,
  useMailingApp,
  type TestCouncil,
} from './helpers/fixtures.js';
import { outboxSettled } from './helpers/waiting.js';

const PARISH_INBOX = 'cases@littlewickham-pc.example';
const BASE_URL = 'https://report.ashdown.example';
// Inside the parish (and the borough), on a Tuesday morning: in working hours.
const IN_PARISH = { lat: 53.412, lon: -2.371 };
const PARISH_RING = rectangle(-2.39, 53.4, -2.35, 53.42);
// In the borough, outside the parish.
const IN_BOROUGH = { lat: 53.45, lon: -2.38 };
const TUESDAY = new Date('2026-11-24T10:00:00Z');

describeEachEngine('case actions', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, {
    CIVICDESK_BASE_URL: BASE_URL,
    CIVICDESK_REFERENCE_PREFIX: 'ASH',
  });
  let council: TestCouncil;
  /** Staff of another body, who must not see or act on the borough's cases. */
  let parishClerk: TestStaff;
  /** An officer of the borough in another team than the cases' (highways). */
  let wasteOfficer: TestStaff;
  let officer: TestBrowser;
  const db = () => getDatabase().db;

  const pothole = (name: string, email: string, at = IN_PARISH) =>
    mailing().app.intake.submit({
      serviceCode: 'pothole',
      ...at,
      description: `Pothole reported by ${name}`,
      answers: POTHOLE_ANSWERS,
      reporter: { name, email },
      channel: 'web',
      at: TUESDAY,
    });
  const caseRow = (reference: string) =>
    db().selectFrom('cases').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
  const eventsOf = (caseId: string) => caseEvents(db(), caseId);
  const auditOf = (caseId: string, action: string) =>
    db()
      .selectFrom('audit_event')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('action', '=', action)
      .execute();
  const followersOf = (caseId: string) =>
    db()
      .selectFrom('case_follower')
      .innerJoin('contact', 'contact.id', 'case_follower.contact_id')
      .select(['contact.email', 'case_follower.updates_by_email'])
      .where('case_follower.case_id', '=', caseId)
      .orderBy('contact.email')
      .execute();

  before(async () => {
    const { app } = mailing();
    // A borough whose highways team handles potholes, a street-lighting team with its own inbox (told
    // of a case moved to it), and a waste team handling fly-tipping.
    council = await newCouncil(app, {
      team: { name: 'Highways' },
      service: { code: 'pothole', name: 'Pothole', questions: POTHOLE_QUESTIONS },
      staff: ['admin', 'officer', 'agent'],
    });
    const borough = council.body;
    const lighting = await newTeam(app, {
      body: borough,
      code: 'street-lighting',
      name: 'Street lighting',
      email: 'lighting@ashdown.example',
    });
    await newService(app, {
      body: borough,
      team: lighting,
      code: 'street-light',
      name: 'Street light not working',
      // Not the pothole's 5 working days, so a change of service moves the due date.
      timescale: { unit: 'working_days', amount: 10 },
    });
    const waste = await newTeam(app, { body: borough, name: 'Waste' });
    wasteOfficer = await newStaff(app, { role: 'officer', body: borough, team: waste });
    // A parish inside the borough, with a clerk's team; its clerk has no team.
    const parish = await newBody(app, {
      code: 'little-wickham',
      kind: 'parish',
      name: 'Little Wickham Parish Council',
    });
    const { code: parishArea } = await newArea(app, { body: parish, kind: 'parish', ring: PARISH_RING });
    const clerkTeam = await newTeam(app, { body: parish, code: 'clerk', name: 'Parish clerk' });
    parishClerk = await newStaff(app, { role: 'officer', body: parish });
    const flyTipping = await newService(app, {
      body: borough,
      team: waste,
      code: 'fly-tipping',
      name: 'Fly-tipping',
      offeredBy: [borough, parish],
    });
    // The parish takes fly-tipping in its own area, and receives its cases by email.
    await newRule(app, {
      service: flyTipping,
      body: parish,
      team: clerkTeam,
      position: 5,
      name: 'Fly-tipping in Little Wickham goes to the parish',
      conditions: { areaKind: 'parish', areaCode: parishArea },
    });
    const admin = await signedIn(app, council.staff.admin);
    await admin.get('/admin/delivery/new');
    const target = await admin.post('/admin/delivery/new', {
      bodyCode: parish.code,
      serviceCode: '',
      email: PARISH_INBOX,
      options: ['active'],
    });
    assert.equal(target.statusCode, 303, target.body);
    officer = await signedIn(app, council.staff.officer);
  });

  it('changes the service: routed again, due date from the new timescale, recorded, audited', async () => {
    const created = await pothole('Sam Street', 'sam@example.org', IN_BOROUGH);
    const reference = created.case.reference;
    const before = await caseRow(reference);
    await officer.get(`/staff/cases/${reference}`);
    await officer.post(`/staff/cases/${reference}/assign`, { assignee: 'me' });

    const same = await officer.post(`/staff/cases/${reference}/service`, { service: 'pothole' });
    assert.equal(same.statusCode, 400);
    assert.match(same.body, /There is a problem/);
    assert.match(same.body, /already filed under Pothole: choose another service/);
    assert.match(same.body, /href="#service"/);
    const none = await officer.post(`/staff/cases/${reference}/service`, { service: '' });
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /Choose a service/);
    const unknown = await officer.post(`/staff/cases/${reference}/service`, { service: 'no-such-service' });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body, /Choose a service from the list/);

    const changed = await officer.post(`/staff/cases/${reference}/service`, { service: 'street-light' });
    assert.equal(changed.statusCode, 303, changed.body);
    const after = await caseRow(reference);
    const lighting = await db()
      .selectFrom('team')
      .select('id')
      .where('code', '=', 'street-lighting')
      .executeTakeFirstOrThrow();
    assert.equal(after.team_id, lighting.id);
    assert.notEqual(after.service_id, before.service_id);
    assert.equal(after.body_id, before.body_id);
    assert.equal(
      after.assignee_staff_id,
      null,
      'the highways officer no longer holds a street-lighting case',
    );
    assert.notEqual(after.due_at?.getTime(), before.due_at?.getTime(), 'the new service’s timescale applies');
    assert.deepEqual((after.routing as { decidedBy: unknown }).decidedBy, { kind: 'default' });

    const events = await eventsOf(after.id);
    const changedEvent = events.find((e) => e.kind === 'service_changed')!;
    assert.match(
      changedEvent.body,
      /^Service changed from Pothole to Street light not working; sent to .+: Street lighting$/,
    );
    assert.equal(changedEvent.is_public, true);
    const routed = events.filter((e) => e.kind === 'routed').at(-1)!;
    assert.equal(routed.is_public, false, 'why it went there is for staff');
    assert.match(routed.body, /Routed again: from .+: Highways to .+: Street lighting/);
    assert.match(routed.body, /No rule matched: the service’s default/);
    assert.match(routed.body, /No longer assigned to /);
    const audit = await auditOf(after.id, 'case.service_changed');
    assert.equal(audit.length, 1);
    assert.equal((audit[0]!.detail as { from: string }).from, 'pothole');
    assert.equal((audit[0]!.detail as { to: string }).to, 'street-light');

    const notice = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Case ${reference} moved to you: Street light not working`,
    );
    assert.deepEqual(notice.envelope.to, ['lighting@ashdown.example']);
    assert.match(notice.parsed.text ?? '', new RegExp(`/staff/cases/${reference}`));

    const page = await officer.get(`/staff/cases/${reference}?saved=service`);
    assert.match(page.body, /Service changed and the case routed again/);
    assert.match(page.body, /Service changed from Pothole to Street light not working/);
    assert.doesNotMatch(page.body, /<option value="street-light"/, 'the current service is not offered');
    const publicPage = await mailing().app.inject({ method: 'GET', url: `/reports/${reference}` });
    assert.match(publicPage.body, /Service changed from Pothole to Street light not working/);
  });

  it('moves a case to another body’s delivery target, and tells the officer it has left their sight', async () => {
    const created = await pothole('Pat Parish', 'pat@example.org');
    const reference = created.case.reference;
    await officer.get(`/staff/cases/${reference}`);
    const moved = await officer.post(`/staff/cases/${reference}/service`, { service: 'fly-tipping' });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.match(moved.body, /Service changed/);
    assert.match(moved.body, /you can no longer see it/);
    assert.match(moved.body, /Parish clerk/);

    const row = await caseRow(reference);
    const parish = await db()
      .selectFrom('body')
      .select('id')
      .where('code', '=', 'little-wickham')
      .executeTakeFirstOrThrow();
    assert.equal(row.body_id, parish.id);
    const routed = (await eventsOf(row.id)).filter((e) => e.kind === 'routed').at(-1)!;
    assert.match(routed.body, /Rule “Fly-tipping in Little Wickham goes to the parish”/);
    assert.equal((await officer.get(`/staff/cases/${reference}`)).statusCode, 404);

    // The delivery module hears of the move (case.rerouted) and sends it to the parish's inbox.
    const sent = await mailing().smtp.waitFor(
      (m) => m.envelope.to.includes(PARISH_INBOX) && (m.parsed.subject ?? '').includes(reference),
    );
    assert.ok(sent);
    const delivery = await db()
      .selectFrom('case_delivery')
      .select(['method'])
      .where('case_id', '=', row.id)
      .execute();
    assert.equal(delivery.length, 1);
    assert.equal(delivery[0]!.method, 'email');

    const clerk = await signedIn(mailing().app, parishClerk);
    const clerkPage = await clerk.get(`/staff/cases/${reference}`);
    assert.equal(clerkPage.statusCode, 200);
    assert.match(clerkPage.body, /Service changed from Pothole to Fly-tipping/);
  });

  it('sets the priority: badge on the page, internal timeline event, audit; refuses nonsense', async () => {
    const created = await pothole('Uma Urgent', 'uma@example.org', IN_BOROUGH);
    const reference = created.case.reference;
    const page = await officer.get(`/staff/cases/${reference}`);
    assert.match(page.body, /class="moj-badge moj-badge--blue">Normal priority</);
    const bad = await officer.post(`/staff/cases/${reference}/priority`, { priority: 'whenever' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /href="#priority"/);
    assert.match(bad.body, /Choose a priority/);
    const same = await officer.post(`/staff/cases/${reference}/priority`, { priority: 'normal' });
    assert.equal(same.statusCode, 400);
    assert.match(same.body, /already normal/);

    const set = await officer.post(`/staff/cases/${reference}/priority`, { priority: 'urgent' });
    assert.equal(set.statusCode, 303);
    const row = await caseRow(reference);
    assert.equal(row.priority, 'urgent');
    const shown = await officer.get(`/staff/cases/${reference}`);
    assert.match(shown.body, /class="moj-badge moj-badge--red">Urgent</);
    const event = (await eventsOf(row.id)).find((e) => e.kind === 'priority_changed')!;
    assert.equal(event.body, 'Priority changed from Normal to Urgent');
    assert.equal(event.is_public, false);
    assert.equal((await auditOf(row.id, 'case.priority_set')).length, 1);

    // Same body, another team: the body's staff may act on its cases.
    const wendy = await signedIn(mailing().app, wasteOfficer);
    await wendy.get(`/staff/cases/${reference}`);
    assert.equal(
      (await wendy.post(`/staff/cases/${reference}/priority`, { priority: 'high' })).statusCode,
      303,
    );
    assert.equal((await caseRow(reference)).priority, 'high');
    // Another body: not found, and nothing changes.
    const clerk = await signedIn(mailing().app, parishClerk);
    assert.equal(
      (await clerk.post(`/staff/cases/${reference}/priority`, { priority: 'low' })).statusCode,
      404,
    );
    assert.equal(
      (await clerk.post(`/staff/cases/${reference}/service`, { service: 'fly-tipping' })).statusCode,
      404,
    );
    assert.equal((await caseRow(reference)).priority, 'high');
  });

  it('marks a duplicate: followers move once each, both timelines say so, the reporter is emailed once', async () => {
    const spot = { lat: 53.451, lon: -2.381 };
    const original = (await pothole('Olive Original', 'olive@example.org', spot)).case;
    const duplicate = (await pothole('Dan Duplicate', 'dan@example.org', spot)).case;
    const follow = (reference: string, email: string, wantsUpdates: boolean) =>
      mailing().app.domain.reports.follow(reference, { email, wantsUpdates }, mailing().app.jobs, BASE_URL);
    // Fay follows only the duplicate, asking for updates; Gus follows both, asking for updates only on
    // the duplicate; Olive (the original's reporter) follows the duplicate too.
    await follow(duplicate.reference, 'fay@example.org', true);
    await follow(original.reference, 'gus@example.org', false);
    await follow(duplicate.reference, 'gus@example.org', true);
    await follow(duplicate.reference, 'olive@example.org', true);
    await follow(duplicate.reference, 'hal@example.org', false);

    await officer.get(`/staff/cases/${duplicate.reference}`);
    const self = await officer.post(`/staff/cases/${duplicate.reference}/duplicate`, {
      original: duplicate.reference,
    });
    assert.equal(self.statusCode, 400);
    assert.match(self.body, /A case cannot be a duplicate of itself/);
    assert.match(self.body, /href="#original"/);
    const empty = await officer.post(`/staff/cases/${duplicate.reference}/duplicate`, { original: '' });
    assert.match(empty.body, /Enter the reference of the original case/);
    const unknown = await officer.post(`/staff/cases/${duplicate.reference}/duplicate`, {
      original: 'ASH-0000-0000',
    });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body, /There is no case ASH-0000-0000/);

    const agent = await signedIn(mailing().app, council.staff.agent);
    const agentPage = await agent.get(`/staff/cases/${duplicate.reference}`);
    assert.doesNotMatch(agentPage.body, /id="original"/, 'agents are not offered the form');
    const byAgent = await agent.post(`/staff/cases/${duplicate.reference}/duplicate`, {
      original: original.reference,
    });
    assert.equal(byAgent.statusCode, 403);
    const clerk = await signedIn(mailing().app, parishClerk);
    const byClerk = await clerk.post(`/staff/cases/${duplicate.reference}/duplicate`, {
      original: original.reference,
    });
    assert.equal(byClerk.statusCode, 404);
    assert.equal((await caseRow(duplicate.reference)).status, 'received', 'refusals change nothing');

    // The reference as typed by a person: lower case, spaces instead of hyphens.
    const typed = original.reference.toLowerCase().replace(/-/g, ' ');
    const marked = await officer.post(`/staff/cases/${duplicate.reference}/duplicate`, { original: typed });
    assert.equal(marked.statusCode, 303, marked.body);

    const dup = await caseRow(duplicate.reference);
    const orig = await caseRow(original.reference);
    assert.equal(dup.status, 'duplicate');
    assert.ok(dup.closed_at);
    assert.equal(dup.duplicate_of_case_id, orig.id);
    assert.equal(orig.closed_at, null);
    assert.deepEqual(await followersOf(orig.id), [
      { email: 'dan@example.org', updates_by_email: true },
      { email: 'fay@example.org', updates_by_email: true },
      { email: 'gus@example.org', updates_by_email: true },
      { email: 'hal@example.org', updates_by_email: false },
    ]);
    assert.deepEqual(await followersOf(dup.id), [], 'moved, not copied');

    const dupEvents = await eventsOf(dup.id);
    const note = dupEvents.find((e) => e.kind === 'marked_duplicate')!;
    assert.equal(note.is_public, true);
    assert.match(note.body, new RegExp(`same problem as report ${original.reference}`));
    const origEvent = (await eventsOf(orig.id)).find((e) => e.kind === 'duplicate_merged')!;
    assert.match(origEvent.body, new RegExp(`Report ${duplicate.reference} is the same problem`));
    assert.match(origEvent.body, /3 people now follow it here/);
    assert.equal((await auditOf(dup.id, 'case.marked_duplicate')).length, 1);
    assert.equal((await auditOf(orig.id, 'case.duplicate_merged')).length, 1);

    const dupPage = await officer.get(`/staff/cases/${duplicate.reference}`);
    assert.match(
      dupPage.body,
      new RegExp(`Duplicate of <a class="govuk-link" href="/staff/cases/${original.reference}">`),
    );
    const origPage = await officer.get(`/staff/cases/${original.reference}`);
    assert.match(origPage.body, new RegExp(`href="/staff/cases/${duplicate.reference}"`));
    const tracking = await mailing().app.inject({ method: 'GET', url: `/reports/${duplicate.reference}` });
    assert.match(tracking.body, new RegExp(`follow ${original.reference} for updates`));
    assert.match(
      tracking.body,
      new RegExp(
        `<a class="govuk-link" href="/reports/${original.reference}">See report ${original.reference}</a>`,
      ),
    );
    const originalPublic = await mailing().app.inject({
      method: 'GET',
      url: `/reports/${original.reference}`,
    });
    assert.match(originalPublic.body, new RegExp(`href="/reports/${duplicate.reference}"`));

    const subject = `Report ${duplicate.reference} was joined to report ${original.reference}`;
    const email = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === subject && m.envelope.to.includes('dan@example.org'),
    );
    assert.match(email.parsed.text ?? '', new RegExp(`${BASE_URL}/reports/${original.reference}`));
    for (const follower of ['fay@example.org', 'gus@example.org']) {
      await mailing().smtp.waitFor((m) => m.parsed.subject === subject && m.envelope.to.includes(follower));
    }
    // Whatever the merge queued has been sent: a second copy, had one been queued, would be here by now.
    await outboxSettled(db());
    const merged = mailing().smtp.received.filter((m) => m.parsed.subject === subject);
    assert.deepEqual(
      merged.map((m) => m.envelope.to.join()).sort(),
      ['dan@example.org', 'fay@example.org', 'gus@example.org'],
      'one email each: the reporter and the followers who asked for updates; not Hal, who did not ask, nor Olive, whose own report it is',
    );
    const closing = mailing().smtp.received.filter((m) =>
      (m.parsed.subject ?? '').startsWith(`Report ${duplicate.reference} is closed`),
    );
    assert.equal(closing.length, 0, 'no closing summary on top of the merge notice');

    // Once a duplicate, always pointing at the original: no second marking, no chains.
    const again = await officer.post(`/staff/cases/${duplicate.reference}/duplicate`, {
      original: original.reference,
    });
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /already marked as a duplicate/);
    const third = (await pothole('Tom Third', 'tom@example.org', spot)).case;
    await officer.get(`/staff/cases/${third.reference}`);
    const chain = await officer.post(`/staff/cases/${third.reference}/duplicate`, {
      original: duplicate.reference,
    });
    assert.equal(chain.statusCode, 400);
    assert.match(
      chain.body,
      new RegExp(
        `${duplicate.reference} is itself a duplicate of ${original.reference}: enter that reference`,
      ),
    );
  });

  it('refuses a closed original, saying so', async () => {
    const spot = { lat: 53.452, lon: -2.382 };
    const closed = (await pothole('Cleo Closed', 'cleo@example.org', spot)).case;
    const later = (await pothole('Lou Later', 'lou@example.org', spot)).case;
    await officer.get(`/staff/cases/${closed.reference}`);
    const fixed = await officer.post(`/staff/cases/${closed.reference}/update`, {
      status: 'fixed',
      publicUpdate: 'Filled.',
    });
    assert.equal(fixed.statusCode, 303);
    await officer.get(`/staff/cases/${later.reference}`);
    const refused = await officer.post(`/staff/cases/${later.reference}/duplicate`, {
      original: closed.reference,
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, new RegExp(`${closed.reference} is closed \\(Fixed\\): reopen it first`));
    assert.equal((await caseRow(later.reference)).status, 'received');
  });

  it('never makes a loop when two officers join two cases the other way round at once', async () => {
    const spot = { lat: 53.453, lon: -2.383 };
    const a = (await pothole('Ann A', 'ann@example.org', spot)).case.reference;
    const b = (await pothole('Ben B', 'ben@example.org', spot)).case.reference;
    const actor = actorOf(council.staff.officer!);
    const outcomes = await Promise.allSettled([
      mailing().app.cases.markDuplicate(actor, a, b),
      mailing().app.cases.markDuplicate(actor, b, a),
    ]);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'exactly one wins');
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    assert.equal((refused.reason as { code?: string }).code, 'validation_failed');
    const rows = await Promise.all([caseRow(a), caseRow(b)]);
    assert.equal(rows.filter((r) => r.status === 'duplicate').length, 1);
    assert.equal(rows.filter((r) => r.duplicate_of_case_id !== null).length, 1);
  });

  it('refuses the new forms without their CSRF token', async () => {
    const created = await pothole('Cy Csrf', 'cy@example.org', IN_BOROUGH);
    for (const action of ['service', 'priority', 'duplicate']) {
      const forged = await mailing().app.inject({
        method: 'POST',
        url: `/staff/cases/${created.case.reference}/${action}`,
        headers: { cookie: officer.cookie!, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'priority=urgent&service=street-light&original=ASH-0000-0000',
      });
      assert.equal(forged.statusCode, 403, action);
    }
    assert.equal((await caseRow(created.case.reference)).priority, 'normal');
  });
});
