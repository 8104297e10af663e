/**
 * Queue bulk actions on both engines: one status change with one public update applied to every selected
 * case (each with its own timeline event, audit record and resident email over real SMTP), bulk assignment,
 * and the refusals (nothing selected, agents changing status, another body's cases).
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { StaffRole } from '../src/db/database.js';
import { applyBulkAction } from '../src/modules/casework/casework.bulk.js';
import type { Actor } from '../src/modules/cases/index.js';
import type { TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newCase } from './helpers/factories.js';
import { newCouncil, signedIn, useMailingApp, type TestCouncil } from './helpers/fixtures.js';
import type { TestSmtpServer } from './helpers/smtp.js';

describeEachEngine('queue bulk actions', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, {
    CIVICDESK_BASE_URL: 'https://report.ashdown.example',
    CIVICDESK_REFERENCE_PREFIX: 'ASH',
  });
  let t: TestApp;
  let smtp: TestSmtpServer;
  let council: TestCouncil;
  const references: string[] = [];

  async function actorFor(role: StaffRole): Promise<Actor> {
    const s = council.staff[role]!;
    return { id: s.id, name: s.name, role: s.role, bodyId: s.body.id, teamId: s.team?.id ?? null };
  }

  before(async () => {
    ({ t, smtp } = mailing());
    council = await newCouncil(t.app, { staff: ['officer', 'agent', 'team_lead'] });
    for (const [i, name] of ['Ann', 'Bob', 'Cat'].entries()) {
      const result = await newCase(t.app, {
        service: council.service,
        lat: 53.45 + i / 1000,
        lon: -2.38,
        description: `Pothole number ${i + 1}`,
        reporter: { name, email: `${name.toLowerCase()}@example.org` },
        at: new Date('2026-11-24T10:00:00Z'),
      });
      references.push(result.reference);
    }
  });

  it('refuses an empty selection, an agent changing status and another body’s case, changing nothing', async () => {
    const officer = await actorFor('officer');
    await assert.rejects(
      applyBulkAction(t.app.cases, officer, [], {
        kind: 'status',
        status: 'in_progress',
        publicUpdate: 'x',
      }),
      (e: { code?: string; message: string }) =>
        e.code === 'validation_failed' && /Select at least one/.test(e.message),
    );
    const agent = await actorFor('agent');
    await assert.rejects(
      applyBulkAction(t.app.cases, agent, references, {
        kind: 'status',
        status: 'in_progress',
        publicUpdate: 'We are on it',
      }),
      (e: { code?: string }) => e.code === 'forbidden',
    );
    const stranger: Actor = { ...officer, bodyId: '00000000-0000-4000-8000-000000000000' };
    await assert.rejects(
      applyBulkAction(t.app.cases, stranger, references, { kind: 'assign', staffId: null }),
      (e: { code?: string }) => e.code === 'not_found',
    );
    const { db } = getDatabase();
    const events = await db
      .selectFrom('case_event')
      .innerJoin('cases', 'cases.id', 'case_event.case_id')
      .select('case_event.kind')
      .where('cases.reference', 'in', references)
      .where('case_event.kind', 'in', ['assigned', 'status_changed'])
      .execute();
    assert.equal(events.length, 0);
  });

  it('sends one public update to every selected case: a timeline event, an audit record and an email each', async () => {
    const officer = await actorFor('officer');
    const chosen = references.slice(0, 2);
    const result = await applyBulkAction(t.app.cases, officer, chosen, {
      kind: 'status',
      status: 'in_progress',
      publicUpdate: 'A crew is booked for Thursday',
    });
    assert.equal(result.changed, 2);
    const { db } = getDatabase();
    const rows = await db
      .selectFrom('cases')
      .select(['reference', 'status'])
      .where('reference', 'in', references)
      .execute();
    for (const r of rows) assert.equal(r.status, r.reference === references[2] ? 'received' : 'in_progress');
    for (const reference of chosen) {
      const audits = await db
        .selectFrom('audit_event')
        .innerJoin('cases', 'cases.id', 'audit_event.case_id')
        .select('audit_event.action')
        .where('cases.reference', '=', reference)
        .where('audit_event.staff_user_id', '=', officer.id)
        .execute();
      assert.ok(audits.length >= 1, `audit for ${reference}`);
      const publicEvents = await db
        .selectFrom('case_event')
        .innerJoin('cases', 'cases.id', 'case_event.case_id')
        .select('case_event.body')
        .where('cases.reference', '=', reference)
        .where('case_event.is_public', '=', true)
        .where('case_event.body', 'like', '%crew is booked%')
        .execute();
      assert.equal(publicEvents.length, 1);
    }
    for (const name of ['ann', 'bob']) {
      const mail = await smtp.waitFor(
        (m) => m.envelope.to.includes(`${name}@example.org`) && /crew is booked/.test(m.parsed.text ?? ''),
      );
      assert.ok(mail);
    }
  });

  it('assigns every selected case with its own timeline event', async () => {
    const lead = await actorFor('team_lead');
    const officer = await actorFor('officer');
    const result = await applyBulkAction(t.app.cases, lead, references, {
      kind: 'assign',
      staffId: officer.id,
    });
    assert.equal(result.changed, 3);
    const { db } = getDatabase();
    const assigned = await db
      .selectFrom('cases')
      .select('assignee_staff_id')
      .where('reference', 'in', references)
      .execute();
    assert.ok(assigned.every((r) => r.assignee_staff_id === officer.id));
    const events = await db
      .selectFrom('case_event')
      .innerJoin('cases', 'cases.id', 'case_event.case_id')
      .select('case_event.case_id')
      .where('cases.reference', 'in', references)
      .where('case_event.kind', '=', 'assigned')
      .execute();
    assert.equal(events.length, 3);
  });

  it('works from the queue page without JavaScript: ticked cases, an error summary, a success banner', async () => {
    const officer = await signedIn(t.app, council.staff.officer);
    const queue = await officer.get('/staff/cases?view=all');
    assert.equal(queue.statusCode, 200);
    assert.match(queue.body, new RegExp(`name="cases" type="checkbox" value="${references[0]}"`));
    const nothing = await officer.post('/staff/cases/bulk', {
      view: 'all',
      bulkAction: 'assign',
      assignTo: 'me',
    });
    assert.equal(nothing.statusCode, 400);
    assert.match(nothing.body, /There is a problem/);
    assert.match(nothing.body, /href="#cases">Select at least one case/);
    const done = await officer.post('/staff/cases/bulk', {
      view: 'all',
      bulkAction: 'assign',
      assignTo: 'nobody',
      cases: [references[0]!, references[1]!],
    });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/staff/cases?view=all&changed=2');
    const after = await officer.get(String(done.headers.location));
    assert.match(after.body, /2 cases were changed/);
  });

  it('shows an agent no status change and refuses one posted anyway, with an error summary', async () => {
    const agent = await signedIn(t.app, council.staff.agent);
    const queue = await agent.get('/staff/cases?view=all');
    assert.equal(queue.statusCode, 200);
    assert.doesNotMatch(queue.body, /Change status of selected cases/);
    const refused = await agent.post('/staff/cases/bulk', {
      view: 'all',
      bulkAction: 'status',
      newStatus: 'fixed',
      publicUpdate: 'Done',
      cases: [references[2]!],
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /cannot change the status/);
  });
});
