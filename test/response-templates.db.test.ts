/**
 * Response templates: an admin writes them (unknown placeholders refused with a message that says which
 * ones exist), an officer starts a public update from one, filled in for the case and for them, edits
 * it and sends it. Only admins change templates.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TestBrowser } from './helpers/app.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newCase } from './helpers/factories.js';
import { newCouncil, signedIn } from './helpers/fixtures.js';

/** The text of the public-update box on a case page (HTML entities decoded). */
function publicUpdateText(html: string): string {
  const match = /<textarea[^>]*name="publicUpdate"[^>]*>([\s\S]*?)<\/textarea>/.exec(html);
  return (match?.[1] ?? '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

describeEachEngine('response templates', (getDatabase) => {
  let t: TestApp;
  let admin: TestBrowser;
  let officer: TestBrowser;
  let reference: string;

  before(async () => {
    t = await buildTestApp(getDatabase(), {
      env: { CIVICDESK_BASE_URL: 'https://report.ashdown.example', CIVICDESK_REFERENCE_PREFIX: 'ASH' },
    });
    const council = await newCouncil(t.app, {
      body: { name: 'Ashdown Borough Council' },
      staff: ['admin', 'officer'],
      staffNames: { officer: 'Olu Officer' },
    });
    // Two templates a council starts with, written as an admin writes them.
    const author = { id: council.staff.admin!.id, role: 'admin' };
    await t.app.responseTemplates.save(author, undefined, {
      name: 'Inspection booked',
      setsStatus: 'in_progress',
      body: 'Thank you for reporting this. One of our inspectors will look at it by {{due_date}} and decide what needs doing. We will update you here when they have.\n\n{{officer_name}}, {{council}}',
    });
    await t.app.responseTemplates.save(author, undefined, {
      name: 'Repair booked',
      setsStatus: 'action_scheduled',
      body: 'We have booked a repair at {{location}}.\n\n{{officer_name}}, {{council}}',
    });
    admin = await signedIn(t.app, council.staff.admin);
    officer = await signedIn(t.app, council.staff.officer);
    ({ reference } = await newCase(t.app, {
      service: council.service,
      description: 'Pothole outside the library',
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org' },
    }));
  });
  after(() => t.close());

  it('refuses a template with an unknown placeholder, naming the ones that exist, and keeps what was typed', async () => {
    await admin.get('/admin/response-templates/new');
    const page = await admin.post('/admin/response-templates/new', {
      name: 'Gully cleared',
      setsStatus: 'fixed',
      body: 'Dear {{resident}}, we cleared the gully.',
    });
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /<title>Error: /);
    assert.match(
      page.body,
      /Remove or correct \{\{resident\}\}: the placeholders you can use are \{\{reference\}\}/,
    );
    assert.match(page.body, /href="#body"/, 'the error summary links to the text box');
    assert.match(page.body, /Dear \{\{resident\}\}, we cleared the gully\./);

    const unnamed = await admin.post('/admin/response-templates/new', {
      name: ' ',
      setsStatus: '',
      body: 'x',
    });
    assert.equal(unnamed.statusCode, 400);
    assert.match(unnamed.body, /Enter a name for the template/);
    const duplicate = await admin.post('/admin/response-templates/new', {
      name: 'repair BOOKED',
      setsStatus: '',
      body: 'Booked.',
    });
    assert.equal(
      duplicate.statusCode,
      400,
      'names are unique whatever their case (there is a “Repair booked”)',
    );
    assert.match(duplicate.body, /There is already a template with this name/);
  });

  it('adds, changes and deletes a template, each audited', async () => {
    const { lastId } = await getDatabase()
      .db.selectFrom('audit_event')
      .select((eb) => eb.fn.coalesce(eb.fn.max('id'), eb.val(0)).as('lastId'))
      .executeTakeFirstOrThrow();
    const added = await admin.post('/admin/response-templates/new', {
      name: 'Gully cleared',
      setsStatus: 'fixed',
      body: 'We cleared the gully at {{location}} on {{today}}.\r\n\r\n{{officer_name}}',
    });
    assert.equal(added.statusCode, 303);
    const list = await admin.get('/admin/response-templates');
    assert.match(list.body, /Gully cleared/);
    const row = await getDatabase()
      .db.selectFrom('response_template')
      .selectAll()
      .where('name', '=', 'Gully cleared')
      .executeTakeFirstOrThrow();
    assert.equal(
      row.body,
      'We cleared the gully at {{location}} on {{today}}.\n\n{{officer_name}}',
      'CRLF stored as LF',
    );
    assert.equal(row.sets_status, 'fixed');

    const changed = await admin.post(`/admin/response-templates/${row.id}`, {
      name: 'Gully cleared',
      setsStatus: '',
      body: 'We cleared the gully.',
    });
    assert.equal(changed.statusCode, 303);
    const deleted = await admin.post(`/admin/response-templates/${row.id}/delete`, {});
    assert.equal(deleted.statusCode, 303);
    assert.equal((await admin.get(`/admin/response-templates/${row.id}`)).statusCode, 404);
    const actions = (
      await getDatabase()
        .db.selectFrom('audit_event')
        .select('action')
        .where('action', 'like', 'response_template.%')
        .where('id', '>', lastId)
        .orderBy('id')
        .execute()
    ).map((a) => a.action);
    assert.deepEqual(actions, [
      'response_template.added',
      'response_template.changed',
      'response_template.deleted',
    ]);
  });

  it('fills a template for the case and the officer, with its status chosen, for the officer to edit and send', async () => {
    const template = await getDatabase()
      .db.selectFrom('response_template')
      .selectAll()
      .where('name', '=', 'Inspection booked')
      .executeTakeFirstOrThrow();
    const page = await officer.get(`/staff/cases/${reference}?template=${template.id}`);
    assert.equal(page.statusCode, 200);
    const text = publicUpdateText(page.body);
    const due = await getDatabase()
      .db.selectFrom('cases')
      .select('due_at')
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    assert.ok(due.due_at);
    assert.match(text, /^Thank you for reporting this\. One of our inspectors will look at it by /);
    assert.match(text, /Olu Officer, Ashdown Borough Council/);
    assert.doesNotMatch(text, /\{\{/, 'every placeholder is filled');
    assert.match(page.body, /<option value="in_progress" selected>In progress<\/option>/);

    const sent = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'in_progress',
      publicUpdate: `${text}\n\nWe expect to be there on Tuesday.`,
    });
    assert.equal(sent.statusCode, 303);
    const tracking = await t.app.inject({ url: `/reports/${reference}` });
    assert.match(tracking.body, /One of our inspectors will look at it by/);
    assert.match(tracking.body, /We expect to be there on Tuesday\./);
  });

  it('ignores an unknown template and keeps officers and agents out of the template pages', async () => {
    const page = await officer.get(`/staff/cases/${reference}?template=00000000-0000-0000-0000-000000000000`);
    assert.equal(page.statusCode, 200);
    assert.equal(publicUpdateText(page.body), '');
    assert.equal((await officer.get('/admin/response-templates')).statusCode, 403);
    await officer.get('/staff/cases');
    assert.equal(
      (await officer.post('/admin/response-templates/new', { name: 'x', setsStatus: '', body: 'x' }))
        .statusCode,
      403,
    );
  });
});
