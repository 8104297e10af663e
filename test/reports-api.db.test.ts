/**
 * The JSON intake end to end: an API client reports a pothole, the case is routed and committed with
 * its receipt job, the worker sends the receipt to a real SMTP server, and its link opens the tracking
 * page. Retries with the same Idempotency-Key return the same case; bad input gets problem details.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { TestBrowser, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { newService } from './helpers/factories.js';
import { newCouncil, POTHOLE_QUESTIONS, useMailingApp, type TestCouncil } from './helpers/fixtures.js';
import type { TestSmtpServer } from './helpers/smtp.js';

const pothole = {
  service_code: 'pothole',
  lat: 53.45,
  lon: -2.38,
  description: 'Deep hole by the bus stop, cars swerving round it',
  location_detail: 'outside number 12',
  answers: { danger: 'no', size: 'large' },
  reporter: { name: 'Rita Resident', email: 'Rita.Resident@example.org', phone: '0161 496 0000' },
};

describeEachEngine('reports API', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, {
    CIVICDESK_REFERENCE_PREFIX: 'ASH',
    CIVICDESK_BASE_URL: 'https://report.ashdown.example',
  });
  let t: TestApp;
  let smtp: TestSmtpServer;
  let council: TestCouncil;
  let key: string;

  before(async () => {
    ({ t, smtp } = mailing());
    council = await newCouncil(t.app, {
      body: { name: 'Ashdown Borough Council' },
      team: { name: 'Highways', email: 'highways@ashdown.example' },
      service: { code: 'pothole', questions: POTHOLE_QUESTIONS },
    });
    await newService(t.app, { body: council.body, code: 'missed-bin' });
    await t.app.domain.routing.setOutsideAreaContact({
      message: 'This place is outside Ashdown. Report it to the council for that area.',
      url: 'https://www.gov.uk/find-local-council',
    });
    ({ key } = await t.app.apiClients.create({ name: 'Test app', scopes: ['reports:write'] }));
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(body),
    });

  it('refuses requests without a valid key', async () => {
    const none = await t.app.inject({ method: 'POST', url: '/api/v1/reports', payload: pothole });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'unauthorized');
    const wrong = await post(pothole, { authorization: `Bearer ${key.slice(0, -2)}xx` });
    assert.equal(wrong.statusCode, 401);
    const { key: readOnly } = await t.app.apiClients.create({ name: 'Reader', scopes: ['reports:read'] });
    const noScope = await post(pothole, { authorization: `Bearer ${readOnly}` });
    assert.equal(noScope.statusCode, 403);
    const { key: binsOnly } = await t.app.apiClients.create({
      name: 'Bins app',
      scopes: ['reports:write'],
      serviceCodes: ['missed-bin'],
    });
    const otherService = await post(pothole, { authorization: `Bearer ${binsOnly}` });
    assert.equal(otherService.statusCode, 403);
    assert.match(otherService.json().detail, /may not report to the service "pothole"/);
  });

  it('creates a routed case, emails a receipt whose link opens the tracking page', async () => {
    const response = await post(pothole, { 'idempotency-key': 'req-1' });
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    assert.match(body.reference, /^ASH-[23456789A-HJKMNP-TV-Z]{4}-[23456789A-HJKMNP-TV-Z]{4}$/);
    assert.equal(response.headers.location, `/api/v1/reports/${body.reference}`);
    assert.deepEqual(body.handled_by, { body: 'Ashdown Borough Council', team: 'Highways' });
    assert.ok(body.due_at && new Date(body.due_at) > new Date());

    const receipt = await smtp.waitFor((m) => m.parsed.subject === `Your report ${body.reference}: Pothole`);
    assert.deepEqual(receipt.envelope.to, ['Rita.Resident@example.org']);
    const text = receipt.parsed.text ?? '';
    assert.match(text, /Dear Rita Resident/);
    assert.match(text, /outside number 12/);
    assert.match(text, new RegExp(`Your reference is ${body.reference}`));
    assert.ok(receipt.parsed.html && /<html lang="en">/.test(receipt.parsed.html));
    const link = /(https:\/\/report\.ashdown\.example\/track\/\S+)/.exec(text)?.[1];
    assert.ok(link, text);

    const team = await smtp.waitFor(
      (m) => m.parsed.subject?.startsWith(`New report ${body.reference}`) ?? false,
    );
    assert.equal(team.envelope.to[0], 'highways@ashdown.example');
    assert.doesNotMatch(
      team.parsed.text ?? '',
      /Rita|0161 496 0000|example\.org/,
      'no personal details in the team notice',
    );

    const browser = new TestBrowser(t.app);
    const opened = await browser.get(link.replace('https://report.ashdown.example', ''));
    assert.equal(opened.statusCode, 303, 'the token is taken out of the address');
    assert.equal(opened.headers.location, `/track/${body.reference}`);
    const page = await browser.get(opened.headers.location as string);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`<h1 class="govuk-heading-l">${body.reference}</h1>`));
    assert.match(page.body, /Received/);
    assert.match(page.body, /Reported through an app/);
    assert.match(page.body, /Deep hole by the bus stop/);

    const stranger = await t.app.inject({
      method: 'GET',
      url: `/track/${body.reference}?token=not-the-token`,
    });
    assert.equal(stranger.statusCode, 404);
    assert.doesNotMatch(stranger.body, /Deep hole/);
    const publicPage = await t.app.inject({ method: 'GET', url: `/reports/${body.reference}` });
    assert.equal(publicPage.statusCode, 200);
    assert.doesNotMatch(
      publicPage.body,
      /Rita|0161 496 0000|example\.org/,
      'the public page has no personal details',
    );
  });

  it('emails a new tracking link to the reporter who lost theirs, and only to them', async () => {
    const created = await post({ ...pothole, lat: 53.4505 });
    const reference = created.json().reference as string;
    const receipt = await smtp.waitFor((m) => m.parsed.subject === `Your report ${reference}: Pothole`);
    const oldLink = /https:\/\/report\.ashdown\.example(\/track\/\S+)/.exec(receipt.parsed.text ?? '')![1]!;

    const browser = new TestBrowser(t.app);
    const locked = await browser.get(`/track/${reference}`);
    assert.match(locked.body, /Lost the email\?/);
    const stranger = await browser.post(`/track/${reference}/new-link`, {
      email: 'someone.else@example.org',
    });
    assert.match(stranger.body, /Check your email/);
    const mailsBefore = smtp.received.length;
    const owner = await browser.post(`/track/${reference}/new-link`, { email: 'RITA.resident@example.org' });
    assert.match(owner.body, /Check your email/, 'the same answer either way');
    const fresh = await smtp.waitFor((m) => m.parsed.subject === `Your link to report ${reference}`);
    assert.ok(smtp.received.length > mailsBefore);
    assert.equal(
      smtp.received.filter((m) => m.parsed.subject === `Your link to report ${reference}`).length,
      1,
    );
    const newLink = /https:\/\/report\.ashdown\.example(\/track\/\S+)/.exec(fresh.parsed.text ?? '')![1]!;
    assert.equal(
      (await t.app.inject({ method: 'GET', url: oldLink })).statusCode,
      404,
      'the old link stops working',
    );
    assert.equal((await t.app.inject({ method: 'GET', url: newLink })).statusCode, 303, 'the new one works');
  });

  it('returns the same case for a retried request with the same Idempotency-Key', async () => {
    const first = await post({ ...pothole, lat: 53.451 }, { 'idempotency-key': 'retry-me' });
    const [second, third] = await Promise.all([
      post({ ...pothole, lat: 53.451 }, { 'idempotency-key': 'retry-me' }),
      post({ ...pothole, lat: 53.451 }, { 'idempotency-key': 'retry-me' }),
    ]);
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 200);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.json().reference, first.json().reference);
    assert.equal(third.json().reference, first.json().reference);
    const count = await getDatabase()
      .db.selectFrom('cases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('idempotency_key', 'like', '%retry-me')
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
  });

  it('joins a resident’s reports by email only once they have proved the address', async () => {
    const email = 'Vera.Verified@example.org';
    const contactsWith = async () =>
      getDatabase()
        .db.selectFrom('contact')
        .select(['id', 'email_verified_at'])
        .where('email_normalised', '=', email.toLowerCase())
        .execute();
    // Two reports with an address nobody has proved: two separate contacts (anyone can type any email).
    const first = await post({ ...pothole, lat: 53.452, reporter: { name: 'Vera', email } });
    await post({ ...pothole, lat: 53.4521, reporter: { name: 'Vera', email: email.toUpperCase() } });
    assert.equal((await contactsWith()).length, 2);

    // Vera opens the link in her receipt: the address is proved, and her next report joins her record.
    const receipt = await smtp.waitFor(
      (m) => m.parsed.subject === `Your report ${first.json().reference}: Pothole`,
    );
    const link = /https:\/\/report\.ashdown\.example(\/track\/\S+)/.exec(receipt.parsed.text ?? '')![1]!;
    assert.equal((await t.app.inject({ method: 'GET', url: link })).statusCode, 303);
    const verified = (await contactsWith()).filter((c) => c.email_verified_at !== null);
    assert.equal(verified.length, 1);
    await post({ ...pothole, lat: 53.4522, reporter: { name: 'Vera', email } });
    assert.equal((await contactsWith()).length, 2, 'the third report joined the proved contact');
    const third = await getDatabase()
      .db.selectFrom('cases')
      .select('reporter_contact_id')
      .where('lat', '=', 53.4522)
      .executeTakeFirstOrThrow();
    assert.equal(third.reporter_contact_id, verified[0]!.id);
  });

  it('also takes reports from this site’s own pages with the visitor’s session and its CSRF token', async () => {
    const browser = new TestBrowser(t.app);
    await browser.get('/report/where'); // a page with a form: a session and its token
    const withoutToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { cookie: browser.cookie!, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...pothole, lat: 53.4507 }),
    });
    assert.equal(
      withoutToken.statusCode,
      401,
      'a cookie alone is not enough: that is what CSRF would ride on',
    );
    const withToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { cookie: browser.cookie!, 'content-type': 'application/json', 'x-csrf-token': browser.csrf! },
      payload: JSON.stringify({ ...pothole, lat: 53.4507 }),
    });
    assert.equal(withToken.statusCode, 201, withToken.body);
    const row = await getDatabase()
      .db.selectFrom('cases')
      .select('channel')
      .where('reference', '=', withToken.json().reference)
      .executeTakeFirstOrThrow();
    assert.equal(row.channel, 'web');
  });

  it('answers bad input with problem details naming each field', async () => {
    const bad = await post({
      ...pothole,
      answers: { danger: 'maybe' },
      reporter: { name: '', email: 'not-an-email' },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.headers['content-type'] as string, /application\/problem\+json/);
    const fields = bad.json().errors.map((e: { field: string }) => e.field);
    assert.deepEqual(fields.sort(), ['answers.danger', 'answers.size', 'email', 'name']);

    const outside = await post({ ...pothole, lat: 51.5, lon: -0.12 });
    assert.equal(outside.statusCode, 400);
    assert.match(outside.json().detail, /outside Ashdown/);

    const stop = await post({ ...pothole, answers: { danger: 'yes' } });
    assert.equal(stop.statusCode, 400);
    assert.match(stop.json().detail, /Call 0100 000 0000 now/);

    const schema = await post({ ...pothole, lat: 'north' });
    assert.equal(schema.statusCode, 400);
    assert.equal(schema.json().code, 'validation_failed');
  });

  it('lists open public reports nearby, nearest first, without personal details', async () => {
    const nearby = await t.app.inject({
      method: 'GET',
      url: '/api/v1/reports/nearby?lat=53.45&lon=-2.38&service=pothole',
    });
    assert.equal(nearby.statusCode, 200);
    const reports = nearby.json().reports;
    assert.ok(reports.length >= 1);
    assert.ok(reports.every((r: { distance_metres: number }) => r.distance_metres <= 50));
    assert.doesNotMatch(nearby.body, /Rita|example\.org/);
  });

  it('publishes an OpenAPI document built from the route schemas', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(doc.statusCode, 200);
    const spec = doc.json();
    assert.equal(spec.openapi.startsWith('3.'), true);
    assert.ok(spec.paths['/api/v1/reports'].post.requestBody);
  });
});
