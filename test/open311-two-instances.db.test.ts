/**
 * Two Civicdesk installations talking Open311 over real HTTP on 127.0.0.1, on both engines: the one the
 * resident reports to (A) delivers the case to the other (B, standing for a council's own back office),
 * through B's Open311 server and B's intake. B's officer updates it; A's poller brings the update back
 * onto A's timeline and A emails the resident. A's officer closes it; the update is POSTed to B; and
 * when A polls again, its own update is not brought back as if B had said it (no echo, no second email).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import type { Worker } from '../src/infra/jobs/jobs.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/database.js';
import { actorOf, AT, type TestStaff } from './helpers/factories.js';
import { newCouncil, POTHOLE_ANSWERS, POTHOLE_QUESTIONS, signedIn } from './helpers/fixtures.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp.js';
import { outboxSettled, until as eventually } from './helpers/waiting.js';

/** Polls until `check` gives a value (15 s at the most). */
const until = <T>(what: string, check: () => Promise<T | undefined>) =>
  eventually(what, check, (value) => value !== undefined, { timeoutMs: 15_000, everyMs: 25 });

/** Each installation's own council, with a Pothole service under the code both sides map. */
const council = (t: TestApp) =>
  newCouncil(t.app, {
    service: { code: 'pothole', questions: POTHOLE_QUESTIONS },
    staff: ['admin', 'officer'],
  });

describeEachEngine('two Civicdesk installations over Open311', (getDatabase, engine) => {
  let smtp: TestSmtpServer;
  let a: TestApp;
  let b: TestApp;
  let bDatabase: TestDatabase;
  let workers: Worker[] = [];
  let aStaff: Partial<Record<'admin' | 'officer', TestStaff>>;
  let bStaff: Partial<Record<'admin' | 'officer', TestStaff>>;
  let aReference: string;
  let bReference: string;

  const publicUpdatesOn = async (t: TestApp, reference: string) =>
    (
      await t.app.db
        .selectFrom('case_event')
        .innerJoin('cases', 'cases.id', 'case_event.case_id')
        .select(['case_event.body', 'case_event.actor'])
        .where('cases.reference', '=', reference)
        .where('case_event.kind', '=', 'public_update')
        .orderBy('case_event.id')
        .execute()
    ).map((e) => [e.body, e.actor]);

  before(async () => {
    smtp = await startSmtpServer();
    bDatabase = await createTestDatabase(engine);
    const settings = { jobSettings: { pollMs: 20, backoff: { baseMs: 50, maxMs: 200 } } };
    b = await buildTestApp(bDatabase, {
      env: {
        SMTP_URL: smtp.url,
        CIVICDESK_REFERENCE_PREFIX: 'HWY',
        CIVICDESK_COUNCIL_NAME: 'Highways back office',
      },
      parts: settings,
    });
    a = await buildTestApp(getDatabase(), {
      env: { SMTP_URL: smtp.url, CIVICDESK_REFERENCE_PREFIX: 'ASH' },
      parts: settings,
    });
    aStaff = (await council(a)).staff;
    bStaff = (await council(b)).staff;
    for (const t of [a, b]) {
      const worker = t.app.jobs.createWorker(pino({ level: 'silent' }));
      await worker.start();
      workers.push(worker);
    }
    const address = await b.app.listen({ port: 0, host: '127.0.0.1' });
    const { key } = await b.app.apiClients.create({
      name: 'Ashdown reporting site',
      scopes: ['open311:write'],
    });

    // A's admin points A's potholes at B's Open311 server.
    const admin = await signedIn(a.app, aStaff.admin);
    await admin.get('/admin/delivery/open311/new');
    const added = await admin.post('/admin/delivery/open311/new', {
      bodyCode: aStaff.admin!.body.code,
      serviceCode: 'pothole',
      endpoint: `${address}/open311/v2`,
      jurisdictionId: '',
      apiKey: key,
      format: 'xml',
      serviceCodes: 'pothole=pothole',
      // B takes reports from named people only, like most councils' systems: A sends the reporter.
      options: ['pollUpdates', 'extendedStatuses', 'includeReporterContact', 'active'],
    });
    assert.equal(added.statusCode, 303, added.body);
  });
  after(async () => {
    for (const worker of workers) await worker.stop();
    workers = [];
    await a?.close();
    await b?.close();
    await bDatabase?.close();
    await smtp?.close();
  });

  it('delivers a resident’s case from A into B’s intake and keeps B’s reference', async () => {
    const result = await a.app.intake.submit({
      serviceCode: 'pothole',
      ...AT,
      description: 'Deep pothole by the bus stop.\nCars swerve round it.',
      answers: POTHOLE_ANSWERS,
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org' },
      channel: 'web',
    });
    aReference = result.case.reference;
    bReference = await until('A to deliver the case to B', async () => {
      const row = await a.app.db
        .selectFrom('case_delivery')
        .innerJoin('cases', 'cases.id', 'case_delivery.case_id')
        .select(['case_delivery.state', 'case_delivery.external_id'])
        .where('cases.reference', '=', aReference)
        .executeTakeFirst();
      return row?.state === 'sent' && row.external_id ? row.external_id : undefined;
    }).catch(async (error: Error) => {
      const rows = await a.app.db.selectFrom('case_delivery').selectAll().execute();
      const jobs = await a.app.db
        .selectFrom('outbox_job')
        .select(['kind', 'status', 'attempts', 'last_error'])
        .execute();
      throw new Error(`${error.message}: ${JSON.stringify(rows)} ${JSON.stringify(jobs)}`);
    });
    assert.match(bReference, /^HWY-[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'B’s own reference');
    const inB = await b.app.db
      .selectFrom('cases')
      .innerJoin('service', 'service.id', 'cases.service_id')
      .select(['cases.channel', 'cases.description', 'service.code', 'cases.lat', 'cases.lon'])
      .where('cases.reference', '=', bReference)
      .executeTakeFirstOrThrow();
    assert.equal(inB.channel, 'open311');
    assert.equal(inB.code, 'pothole');
    assert.ok(
      inB.description.startsWith('Deep pothole by the bus stop.\nCars swerve round it.'),
      inB.description,
    );
    assert.match(inB.description, new RegExp(`as ${aReference}: `), 'with A’s reference, to find it again');
    assert.ok(Math.abs(inB.lat - AT.lat) < 1e-6 && Math.abs(inB.lon - AT.lon) < 1e-6);
  });

  it('brings B’s officer’s update back onto A’s timeline and emails the resident from A', async () => {
    await b.app.cases.update(actorOf(bStaff.officer!), bReference, {
      status: 'action_scheduled',
      publicUpdate: 'A repair crew is booked for Tuesday.',
    });
    const polled = await a.app.delivery.open311.pollAll(new Date(Date.now() + 1000));
    assert.equal(polled.failed, 0);
    assert.equal(polled.applied, 1);
    assert.deepEqual(await publicUpdatesOn(a, aReference), [
      ['A repair crew is booked for Tuesday.', 'integration'],
    ]);
    const status = await a.app.db
      .selectFrom('cases')
      .select('status')
      .where('reference', '=', aReference)
      .executeTakeFirstOrThrow();
    assert.equal(status.status, 'action_scheduled');
    const email = await smtp.waitFor(
      (m) =>
        m.envelope.to.includes('rosa@example.org') &&
        m.parsed.subject === `Update on report ${aReference}: Pothole`,
    );
    assert.match(email.parsed.text ?? '', /A repair crew is booked for Tuesday/);
  });

  it('posts A’s officer’s closing update to B, and does not bring it back to A as B’s', async () => {
    await a.app.cases.update(actorOf(aStaff.officer!), aReference, {
      status: 'fixed',
      publicUpdate: 'Filled and sealed this morning.',
    });
    const inB = await until('the update to reach B', async () => {
      const updates = await publicUpdatesOn(b, bReference);
      return updates.some(([body]) => body === 'Filled and sealed this morning.') ? updates : undefined;
    });
    assert.deepEqual(inB.at(-1), ['Filled and sealed this morning.', 'integration']);
    const bCase = await b.app.db
      .selectFrom('cases')
      .select('status')
      .where('reference', '=', bReference)
      .executeTakeFirstOrThrow();
    assert.equal(bCase.status, 'fixed');

    // Wait until A has recorded B's id for its update, then poll: nothing comes back.
    await until('A to finish posting', async () => {
      const job = await a.app.db
        .selectFrom('outbox_job')
        .select('status')
        .where('kind', '=', 'open311.post_update')
        .where('status', '=', 'done')
        .executeTakeFirst();
      return job;
    });
    const polled = await a.app.delivery.open311.pollAll(new Date(Date.now() + 2000));
    assert.equal(polled.applied, 0, 'A’s own update is not applied again');
    assert.deepEqual(await publicUpdatesOn(a, aReference), [
      ['A repair crew is booked for Tuesday.', 'integration'],
      ['Filled and sealed this morning.', 'staff'],
    ]);
    // Whatever A was to send has been sent: a second email would be in by now.
    await outboxSettled(a.app.db);
    const summaries = smtp.received.filter(
      (m) =>
        m.envelope.to.includes('rosa@example.org') &&
        (m.parsed.subject ?? '').includes(aReference) &&
        /Update on report|is closed/.test(m.parsed.subject ?? ''),
    );
    assert.deepEqual(
      summaries.map((m) => m.parsed.subject),
      [`Update on report ${aReference}: Pothole`, `Report ${aReference} is closed: Fixed`],
      'one email for B’s update and one closing summary: nothing twice',
    );
  });
});
