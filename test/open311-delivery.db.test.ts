/**
 * Delivery to a body's own system over Open311, against a GeoReport v2 back office on 127.0.0.1
 * (test/helpers/open311-backoffice.ts): an admin sets up the target; a resident's case is POSTed there
 * (form-encoded, service code mapped, 6-decimal coordinates, answers as attributes, CRLF), retried when
 * the system is down, and its id kept; the system's updates come back onto the case's timeline, once
 * each however often the window is fetched, and the resident is emailed; an officer's public update is
 * POSTed back to the system, and the system's own updates are not echoed to it.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import type { TestStaff } from './helpers/factories.js';
import {
  newCouncil,
  POTHOLE_ANSWERS,
  POTHOLE_QUESTIONS,
  signedIn,
  useMailingApp,
} from './helpers/fixtures.js';
import { startOpen311BackOffice, type Open311BackOffice } from './helpers/open311-backoffice.js';
import { outboxSettled, until as eventually } from './helpers/waiting.js';

const API_KEY = 'highways-key-7Gx2';

/** Polls until `check` gives a value (10 s at the most). */
const until = <T>(what: string, check: () => Promise<T | undefined>) =>
  eventually(what, check, (value) => value !== undefined, { everyMs: 25 });

describeEachEngine('delivery over Open311', (getDatabase) => {
  let backOffice: Open311BackOffice;
  before(async () => {
    backOffice = await startOpen311BackOffice(API_KEY);
  });
  after(async () => {
    await backOffice.close();
  });
  const mailing = useMailingApp(
    getDatabase,
    { CIVICDESK_BASE_URL: 'https://report.ashdown.example', CIVICDESK_REFERENCE_PREFIX: 'ASH' },
    { jobSettings: { backoff: { baseMs: 50, maxMs: 200 } } },
  );
  let admin: TestBrowser;
  let officer: TestStaff;
  let bodyCode: string;
  let reference: string;
  const db = () => getDatabase().db;

  before(async () => {
    const council = await newCouncil(mailing().app, {
      service: { code: 'pothole', questions: POTHOLE_QUESTIONS },
      staff: ['admin', 'officer'],
    });
    bodyCode = council.body.code;
    officer = council.staff.officer!;
    admin = await signedIn(mailing().app, council.staff.admin);
  });

  it('lets an admin add an Open311 target, refusing a bad address and keeping the key sealed', async () => {
    await admin.get('/admin/delivery/open311/new');
    const form = {
      bodyCode,
      serviceCode: 'pothole',
      endpoint: 'ftp://highways.example/open311',
      jurisdictionId: '',
      apiKey: API_KEY,
      format: 'xml',
      serviceCodes: 'pothole=HWY_POT',
      options: ['pollUpdates', 'extendedStatuses', 'active'],
    };
    const bad = await admin.post('/admin/delivery/open311/new', form);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /<title>Error: /);
    assert.match(bad.body, /The endpoint’s address must start https:\/\//);
    const badCodes = await admin.post('/admin/delivery/open311/new', {
      ...form,
      endpoint: backOffice.endpoint,
      serviceCodes: 'pothole HWY_POT',
    });
    assert.equal(badCodes.statusCode, 400);
    assert.match(badCodes.body, /Line 1 must be like pothole=HWY_POT/);

    const added = await admin.post('/admin/delivery/open311/new', { ...form, endpoint: backOffice.endpoint });
    assert.equal(added.statusCode, 303);
    const target = await db()
      .selectFrom('delivery_target')
      .selectAll()
      .where('method', '=', 'open311')
      .executeTakeFirstOrThrow();
    assert.equal(target.settings.endpoint, backOffice.endpoint);
    assert.doesNotMatch(
      JSON.stringify(target.settings),
      new RegExp(API_KEY),
      'the key is not stored readable',
    );
    const list = await admin.get('/admin/delivery');
    assert.match(list.body, new RegExp(`href="/admin/delivery/open311/${target.id}"`));
    assert.match(list.body, new RegExp(backOffice.endpoint.replace(/[.]/g, '\\.')));
    const page = await admin.get(`/admin/delivery/open311/${target.id}`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, new RegExp(API_KEY), 'nor shown again');
    assert.equal(
      (await new TestBrowser(mailing().app).get(`/admin/delivery/open311/${target.id}`)).statusCode,
      303,
    );
  });

  it('POSTs a new case to the system, again after it was down, and keeps the id it gives', async () => {
    backOffice.failNext(2);
    const result = await mailing().app.intake.submit({
      serviceCode: 'pothole',
      lat: 53.4501234567,
      lon: -2.3812345678,
      description: 'Deep pothole by the bus stop.\nCars swerve round it.',
      answers: POTHOLE_ANSWERS,
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org' },
      channel: 'web',
    });
    reference = result.case.reference;
    const delivery = await until('the delivery to be sent', async () => {
      const row = await db()
        .selectFrom('case_delivery')
        .innerJoin('cases', 'cases.id', 'case_delivery.case_id')
        .select(['case_delivery.state', 'case_delivery.external_id', 'case_delivery.attempts'])
        .where('cases.reference', '=', reference)
        .executeTakeFirst();
      return row?.state === 'sent' ? row : undefined;
    });
    assert.equal(backOffice.requests.length, 1, 'posted once, after two failures');
    assert.equal(delivery.external_id, '1000');
    const post = backOffice.requests[0]!;
    assert.match(post.contentType, /^application\/x-www-form-urlencoded; charset=utf-8/);
    assert.equal(backOffice.field(post, 'service_code'), 'HWY_POT', 'our code mapped to theirs');
    assert.equal(backOffice.field(post, 'lat'), '53.450123');
    assert.equal(backOffice.field(post, 'long'), '-2.381235');
    assert.equal(backOffice.field(post, 'attribute[size]'), 'large');
    assert.equal(backOffice.field(post, 'attribute[civicdesk_reference]'), reference);
    assert.equal(backOffice.field(post, 'email'), undefined, 'no contact details unless allowed');
    const description = backOffice.field(post, 'description')!;
    assert.match(description, /Deep pothole by the bus stop\.\r\nCars swerve round it\./, 'CRLF line breaks');
    assert.match(description, new RegExp(`https://report\\.ashdown\\.example/reports/${reference}`));

    const passed = await mailing().smtp.waitFor(
      (m) => m.envelope.to.includes('rosa@example.org') && /has been passed to/.test(m.parsed.subject ?? ''),
    );
    assert.match(passed.parsed.text ?? '', /through its own case system/);
  });

  it('applies the system’s updates once each, however often the window is fetched, and tells the resident', async () => {
    const now = Date.now();
    backOffice.addUpdate({
      updateId: 'bo-upd-1',
      serviceRequestId: '1000',
      status: 'IN_PROGRESS',
      description: 'Inspector visited; repair ordered.',
      updatedAt: new Date(now - 60_000),
    });
    backOffice.addUpdate({
      updateId: 'bo-upd-2',
      serviceRequestId: '99999',
      status: 'FIXED',
      description: 'A case that is not ours',
      updatedAt: new Date(now - 30_000),
    });
    const first = await mailing().app.delivery.open311.pollAll(new Date(now));
    assert.deepEqual(first, { targets: 1, applied: 1, skipped: 1, failed: 0 });
    const query = backOffice.updateQueries.at(-1)!;
    assert.equal(query.get('api_key'), API_KEY);
    assert.match(query.get('start_date') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'W3C, no fractions');

    const again = await mailing().app.delivery.open311.pollAll(new Date(now + 1000));
    assert.equal(again.applied, 0, 'the overlapping window applies nothing twice');

    const row = await db()
      .selectFrom('cases')
      .select(['id', 'status'])
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'in_progress');
    const events = await db()
      .selectFrom('case_event')
      .select(['kind', 'body', 'actor', 'is_public'])
      .where('case_id', '=', row.id)
      .where('kind', '=', 'public_update')
      .execute();
    assert.deepEqual(events, [
      {
        kind: 'public_update',
        body: 'Inspector visited; repair ordered.',
        actor: 'integration',
        is_public: true,
      },
    ]);
    const email = await mailing().smtp.waitFor(
      (m) =>
        m.envelope.to.includes('rosa@example.org') &&
        m.parsed.subject === `Update on report ${reference}: Pothole`,
    );
    assert.match(email.parsed.text ?? '', /Inspector visited; repair ordered\./);
    await outboxSettled(db()); // anything the update was to send out has been sent by now
    assert.equal(backOffice.postedUpdates.length, 0, 'the system’s own update is not sent back to it');
  });

  it('POSTs an officer’s public update back to the system with an extended status', async () => {
    const browser = await signedIn(mailing().app, officer);
    await browser.get(`/staff/cases/${reference}`);
    const sent = await browser.post(`/staff/cases/${reference}/update`, {
      status: 'fixed',
      publicUpdate: 'Repaired this morning.\nThank you for reporting it.',
    });
    assert.equal(sent.statusCode, 303);
    const posted = await until('the update to reach the system', async () => backOffice.postedUpdates[0]);
    assert.equal(backOffice.field(posted, 'service_request_id'), '1000');
    assert.equal(backOffice.field(posted, 'status'), 'FIXED');
    assert.equal(backOffice.field(posted, 'api_key'), API_KEY);
    assert.equal(
      backOffice.field(posted, 'description'),
      'Repaired this morning.\r\nThank you for reporting it.',
    );
    assert.match(backOffice.field(posted, 'update_id') ?? '', /^[0-9a-f-]{36}$/);
    assert.match(backOffice.field(posted, 'updated_datetime') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('records a failing poll for the admin and carries on', async () => {
    backOffice.failNext(1);
    const result = await mailing().app.delivery.open311.pollAll();
    assert.equal(result.failed, 1);
    const target = await db()
      .selectFrom('delivery_target')
      .select('id')
      .where('method', '=', 'open311')
      .executeTakeFirstOrThrow();
    const page = await admin.get(`/admin/delivery/open311/${target.id}`);
    assert.match(
      page.body,
      /Failed: GET \/open311\/v2\/servicerequestupdates\.xml answered 500: 500 The back office is down/,
    );
  });
});
