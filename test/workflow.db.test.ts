/**
 * The case workflow on both engines: an admin chooses the statuses in use and where each may go (with
 * errors for a workflow that would strand cases); officers are then offered and allowed only those
 * moves, on the case page and in bulk; another system's status still comes through.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TestBrowser } from './helpers/app.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newCase } from './helpers/factories.js';
import { newCouncil, signedIn, type TestCouncil } from './helpers/fixtures.js';

describeEachEngine('case workflow', (getDatabase) => {
  let t: TestApp;
  let council: TestCouncil;
  let admin: TestBrowser;
  let officer: TestBrowser;
  let reference: string;

  /** Every status in use, each able to go to the ones listed (others none). */
  function form(next: Record<string, string[]>, enabled: string[] = Object.keys(next)) {
    const fields: Record<string, string | string[]> = {};
    for (const status of enabled) fields[`enabled-${status}`] = 'yes';
    for (const [status, to] of Object.entries(next)) fields[`next-${status}`] = to;
    return fields;
  }

  before(async () => {
    t = await buildTestApp(getDatabase(), { env: { CIVICDESK_REFERENCE_PREFIX: 'ASH' } });
    council = await newCouncil(t.app, { staff: ['admin', 'officer'] });
    ({ reference } = await newCase(t.app, { service: council.service }));
    admin = await signedIn(t.app, council.staff.admin);
    officer = await signedIn(t.app, council.staff.officer);
  });
  after(() => t.close());

  it('offers every move by default', async () => {
    const page = await officer.get(`/staff/cases/${reference}`);
    for (const status of ['in_progress', 'action_scheduled', 'fixed', 'cancelled'])
      assert.match(page.body, new RegExp(`<option value="${status}"`));
  });

  it('refuses a workflow that would strand cases, saying where', async () => {
    await admin.get('/admin/workflow');
    const stuck = await admin.post(
      '/admin/workflow',
      form({ received: ['in_progress'], in_progress: [], fixed: ['in_progress'] }),
    );
    assert.equal(stuck.statusCode, 400);
    assert.match(stuck.body, /govuk-error-summary/);
    assert.match(stuck.body, /Choose at least one status a case can move to from “In progress”/);
    const noClosing = await admin.post(
      '/admin/workflow',
      form({ received: ['in_progress'], in_progress: ['received'] }),
    );
    assert.equal(noClosing.statusCode, 400);
    assert.match(noClosing.body, /Keep at least one status that closes a case in use/);
  });

  it('lets officers move cases only along the saved workflow', async () => {
    await admin.get('/admin/workflow');
    const saved = await admin.post(
      '/admin/workflow',
      form({
        received: ['in_progress'],
        in_progress: ['fixed', 'closed_not_fixed'],
        fixed: ['in_progress'],
        closed_not_fixed: ['in_progress'],
      }),
    );
    assert.equal(saved.statusCode, 303, saved.body);
    const page = await admin.get(String(saved.headers.location));
    assert.match(page.body, /Workflow saved/);
    assert.doesNotMatch(
      page.body,
      /id="enabled-action_scheduled"[^>]*checked/,
      'the page shows what was saved',
    );

    const casePage = await officer.get(`/staff/cases/${reference}`);
    assert.match(casePage.body, /<option value="in_progress"/);
    assert.doesNotMatch(casePage.body, /<option value="fixed"/, 'not straight from received');
    assert.doesNotMatch(casePage.body, /<option value="action_scheduled"/, 'not in use');

    const skipped = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'fixed',
      publicUpdate: 'Fixed',
    });
    assert.equal(skipped.statusCode, 400);
    assert.match(skipped.body, /A case that is “Received” cannot be moved to “Fixed”: choose “In progress”/);
    const moved = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'in_progress',
      publicUpdate: 'We are looking at it',
    });
    assert.equal(moved.statusCode, 303);
    assert.match((await officer.get(`/staff/cases/${reference}`)).body, /<option value="fixed"/);

    // Another system's status is its own to report: it is not held to the council's workflow.
    const crm = {
      id: 'crm',
      name: 'CRM',
      role: 'officer' as const,
      bodyId: '',
      teamId: null,
      integration: true as const,
    };
    await t.app.cases.update({ ...crm, bodyId: council.body.id }, reference, {
      status: 'action_scheduled',
      publicUpdate: 'Booked by the contractor',
    });
    const row = await getDatabase()
      .db.selectFrom('cases')
      .select('status')
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'action_scheduled');
  });

  it('is for admins only', async () => {
    assert.equal((await officer.get('/admin/workflow')).statusCode, 403);
    assert.equal((await officer.post('/admin/workflow', form({ received: ['fixed'] }))).statusCode, 403);
  });
});
