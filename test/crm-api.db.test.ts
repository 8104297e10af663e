/**
 * The CRM API over HTTP: a CRM's key, tied to the borough, lists and reads the borough's cases, changes a
 * status (the resident is emailed through a real SMTP server, as for an officer), posts a public update
 * and records its own reference. Scopes, another body's key, idempotent retries and reused keys, and the
 * OpenAPI document and its readable page are checked too.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { describeEachEngine } from './helpers/database.js';
import { AT, newBody } from './helpers/factories.js';
import { newCouncil, POTHOLE_ANSWERS, POTHOLE_QUESTIONS, useMailingApp } from './helpers/fixtures.js';
import { outboxSettled } from './helpers/waiting.js';

describeEachEngine('CRM API', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, {
    CIVICDESK_BASE_URL: 'https://report.ashdown.example',
    CIVICDESK_REFERENCE_PREFIX: 'ASH',
  });
  const keys: Record<'crm' | 'readOnly' | 'otherBody' | 'noBody' | 'reports', string> = {
    crm: '',
    readOnly: '',
    otherBody: '',
    noBody: '',
    reports: '',
  };
  const references: string[] = [];

  const report = async (description: string, email: string) =>
    (
      await mailing().app.intake.submit({
        serviceCode: 'pothole',
        ...AT,
        description,
        answers: POTHOLE_ANSWERS,
        reporter: { name: 'Rosa Resident', email },
        channel: 'web',
      })
    ).case.reference;

  before(async () => {
    const { app } = mailing();
    const borough = await newCouncil(app, {
      service: { code: 'pothole', name: 'Pothole', questions: POTHOLE_QUESTIONS },
    });
    const parish = await newBody(app, { kind: 'parish' });
    references.push(await report('Deep pothole by the zebra crossing', 'rosa@example.org'));
    const make = async (
      name: string,
      scopes: ('cases:read' | 'cases:write' | 'reports:write')[],
      bodyId: string | null,
    ) => (await app.apiClients.create({ name, scopes, bodyId })).key;
    keys.crm = await make('Ashdown Dynamics', ['cases:read', 'cases:write'], borough.body.id);
    keys.readOnly = await make('Ashdown reporting', ['cases:read'], borough.body.id);
    keys.otherBody = await make('Parish CRM', ['cases:read', 'cases:write'], parish.id);
    keys.noBody = await make('Old app', ['cases:read'], null);
    keys.reports = await make('Reporting app', ['reports:write'], null);
  });

  const call = (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    key: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    mailing().app.inject({
      method,
      url,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });

  const problem = (
    response: { statusCode: number; headers: Record<string, unknown>; body: string },
    status: number,
  ) => {
    assert.equal(response.statusCode, status, response.body);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    const json = JSON.parse(response.body) as {
      status: number;
      code: string;
      detail: string;
      errors?: unknown[];
    };
    assert.equal(json.status, status);
    return json;
  };

  it('refuses requests without a key, or without the scope, or with a key not tied to a body', async () => {
    problem(await call('GET', '/api/v1/cases', undefined), 401);
    assert.match(problem(await call('GET', '/api/v1/cases', keys.reports), 403).detail, /cases:read scope/);
    assert.match(problem(await call('GET', '/api/v1/cases', keys.noBody), 403).detail, /not tied to a body/);
    const write = await call('POST', `/api/v1/cases/${references[0]}/updates`, keys.readOnly, {
      text: 'Hello',
    });
    assert.match(problem(write, 403).detail, /cases:write scope/);
  });

  it('reads a case of the key’s body, and hides another body’s case', async () => {
    const response = await call('GET', `/api/v1/cases/${references[0]}`, keys.crm);
    assert.equal(response.statusCode, 200, response.body);
    const kase = response.json();
    assert.equal(kase.reference, references[0]);
    assert.equal(kase.status, 'received');
    assert.equal(kase.service.code, 'pothole');
    assert.equal(kase.description, 'Deep pothole by the zebra crossing');
    assert.ok(kase.due_at);
    assert.equal(kase.external_reference, null);
    assert.equal(kase.staff_url, `https://report.ashdown.example/staff/cases/${references[0]}`);
    assert.ok(kase.timeline.some((e: { kind: string }) => e.kind === 'created'));
    assert.doesNotMatch(response.body, /rosa@example\.org/, 'no resident contact details');

    const other = problem(await call('GET', `/api/v1/cases/${references[0]}`, keys.otherBody), 404);
    assert.equal(other.detail, 'There is no case with that reference');
    problem(await call('GET', '/api/v1/cases/ASH-NO-SUCH', keys.crm), 404);
    const write = await call('PUT', `/api/v1/cases/${references[0]}/external-reference`, keys.otherBody, {
      external_reference: 'PARISH-1',
    });
    problem(write, 404);
    const list = await call('GET', '/api/v1/cases', keys.otherBody);
    assert.deepEqual(list.json().cases, []);
  });

  it('lists cases with filters and pages through them with a cursor', async () => {
    references.push(await report('Second hole', 'sam@example.org'));
    references.push(await report('Third hole', 'kim@example.org'));
    const all = await call('GET', '/api/v1/cases', keys.crm);
    assert.equal(all.statusCode, 200, all.body);
    assert.deepEqual(
      all.json().cases.map((c: { reference: string }) => c.reference),
      references,
      'oldest change first',
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/cases?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await call('GET', url, keys.crm)).json() as {
        cases: { reference: string }[];
        next_cursor: string | null;
      };
      seen.push(...page.cases.map((c) => c.reference));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.deepEqual(seen, references, 'every case once across the pages');

    const fixed = await call('GET', '/api/v1/cases?status=fixed', keys.crm);
    assert.deepEqual(fixed.json().cases, []);
    const potholes = await call('GET', '/api/v1/cases?service=pothole&status=received', keys.crm);
    assert.equal(potholes.json().cases.length, 3);
    const future = await call('GET', '/api/v1/cases?updated_since=2099-01-01T00:00:00Z', keys.crm);
    assert.deepEqual(future.json().cases, []);
    problem(await call('GET', '/api/v1/cases?status=lost', keys.crm), 400);
    problem(await call('GET', '/api/v1/cases?cursor=not-a-cursor', keys.crm), 400);
  });

  it('changes a status as an officer would: the resident is emailed, once, however often the CRM retries', async () => {
    const reference = references[0]!;
    const body = { status: 'action_scheduled', public_update: 'A crew is booked for Thursday.' };
    const headers = { 'idempotency-key': 'crm-update-0001' };
    const first = await call('POST', `/api/v1/cases/${reference}/status`, keys.crm, body, headers);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().status, 'action_scheduled');
    const email = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Update on report ${reference}: Pothole`,
    );
    assert.deepEqual(email.envelope.to, ['rosa@example.org']);
    assert.match(email.parsed.text ?? '', /A crew is booked for Thursday\./);

    const retry = await call('POST', `/api/v1/cases/${reference}/status`, keys.crm, body, headers);
    assert.equal(retry.statusCode, 200);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.deepEqual(retry.json(), first.json(), 'the stored answer');
    const reused = await call(
      'POST',
      `/api/v1/cases/${reference}/status`,
      keys.crm,
      { status: 'fixed', public_update: 'Done' },
      headers,
    );
    assert.equal(problem(reused, 422).code, 'idempotency_key_reused');

    await outboxSettled(getDatabase().db);
    const updates = mailing().smtp.received.filter(
      (m) => m.parsed.subject === `Update on report ${reference}: Pothole`,
    );
    assert.equal(updates.length, 1, 'one email despite the retry');
    const { db } = getDatabase();
    const events = await db
      .selectFrom('case_event')
      .innerJoin('cases', 'cases.id', 'case_event.case_id')
      .select(['case_event.kind', 'case_event.actor', 'case_event.actor_staff_id'])
      .where('cases.reference', '=', reference)
      .where('case_event.kind', 'in', ['status_changed', 'public_update'])
      .execute();
    assert.deepEqual(
      events.map((e) => [e.kind, e.actor, e.actor_staff_id]),
      [
        ['status_changed', 'integration', null],
        ['public_update', 'integration', null],
      ],
    );
    const audit = await db
      .selectFrom('audit_event')
      .select(['staff_user_id', 'detail'])
      .where('action', '=', 'case.updated')
      .execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.staff_user_id, null);
    assert.equal((audit[0]!.detail as { apiClient: string }).apiClient, 'Ashdown Dynamics');

    const closing = problem(
      await call('POST', `/api/v1/cases/${reference}/status`, keys.crm, { status: 'fixed' }),
      400,
    );
    assert.deepEqual(closing.errors, [
      { field: '/public_update', message: 'Tell the resident what was done before closing the case' },
    ]);
  });

  it('posts a public update, which the resident is emailed', async () => {
    const reference = references[1]!;
    const response = await call('POST', `/api/v1/cases/${reference}/updates`, keys.crm, {
      text: 'We have inspected it and will repair it within five days.',
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.ok(
      response.json().timeline.some((e: { text: string }) => e.text.startsWith('We have inspected it')),
    );
    const email = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Update on report ${reference}: Pothole`,
    );
    assert.deepEqual(email.envelope.to, ['sam@example.org']);
    problem(await call('POST', `/api/v1/cases/${reference}/updates`, keys.crm, { text: '' }), 400);
  });

  it('records the CRM’s reference for a case', async () => {
    const reference = references[2]!;
    const put = await call(
      'PUT',
      `/api/v1/cases/${reference}/external-reference`,
      keys.crm,
      { external_reference: 'CAS-004417' },
      { 'idempotency-key': 'set-ref-1' },
    );
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().external_reference, 'CAS-004417');
    const read = await call('GET', `/api/v1/cases/${reference}`, keys.crm);
    assert.equal(read.json().external_reference, 'CAS-004417');
    const changed = await call('PUT', `/api/v1/cases/${reference}/external-reference`, keys.crm, {
      external_reference: 'CAS-004418',
    });
    assert.equal(changed.json().external_reference, 'CAS-004418');
  });

  it('documents the operations in the OpenAPI document and on a readable page', async () => {
    const document = (await mailing().app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    assert.ok(document.paths['/api/v1/cases']?.get);
    assert.ok(document.paths['/api/v1/cases/{reference}']?.get);
    assert.ok(document.paths['/api/v1/cases/{reference}/status']?.post);
    assert.ok(document.paths['/api/v1/cases/{reference}/updates']?.post);
    assert.ok(document.paths['/api/v1/cases/{reference}/external-reference']?.put);
    assert.ok(document.paths['/api/v1/reports']?.post, 'the reports API is still there');

    const page = await mailing().app.inject({ method: 'GET', url: '/api/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /POST \/api\/v1\/cases\/\{reference\}\/status/);
    assert.match(page.body, /PUT \/api\/v1\/cases\/\{reference\}\/external-reference/);
    assert.match(page.body, /Idempotency-Key/);
    assert.doesNotMatch(page.body, /<script[^>]*src="(?!\/static\/)/, 'no script from another site');
  });
});
