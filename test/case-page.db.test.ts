/**
 * The case page on both engines: the photos sent with a report (private ones too, for staff of the
 * case's body only), the time left before the due date, and each email on the timeline with what
 * became of it (sent, or not sent with the mail server's error).
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import sharp from 'sharp';
import type { Body } from '../src/modules/organisations/organisations.service.js';
import { emailDeliveryState, timeLeft } from '../src/modules/casework/casework.service.js';
import type { TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { AT, newBody, newStaff, newTeam, type TestStaff } from './helpers/factories.js';
import {
  newCouncil,
  POTHOLE_ANSWERS,
  POTHOLE_QUESTIONS,
  signedIn,
  useMailingApp,
} from './helpers/fixtures.js';
import { until } from './helpers/waiting.js';

it('says how long is left before a case is due, or how long it is overdue', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  assert.equal(timeLeft(new Date('2026-12-03T13:00:00Z'), now), '2 days 3 hours left');
  assert.equal(timeLeft(new Date('2026-12-02T10:00:00Z'), now), '1 day left');
  assert.equal(timeLeft(new Date('2026-12-01T14:30:00Z'), now), '4 hours left');
  assert.equal(timeLeft(new Date('2026-12-01T10:20:00Z'), now), '20 minutes left');
  assert.equal(timeLeft(new Date('2026-11-30T09:00:00Z'), now), '1 day 1 hour overdue');
  assert.equal(timeLeft(null, now), 'no due date');
});

it('says what became of an email from its outbox job', () => {
  const job = (status: string, attempts: number, last_error: string | null = null) => ({
    status,
    attempts,
    last_error,
  });
  assert.equal(emailDeliveryState(job('pending', 0)).text, 'Waiting to send');
  assert.equal(emailDeliveryState(job('running', 1)).text, 'Sending', 'a claimed job is not a failure');
  assert.equal(
    emailDeliveryState(job('pending', 2, '421 try later')).text,
    'Retrying after 2 failed attempts: 421 try later',
  );
  assert.equal(emailDeliveryState(job('done', 1)).text, 'Sent');
  assert.equal(emailDeliveryState(job('dead', 8, '550 no such user')).text, 'Not sent: 550 no such user');
  assert.equal(emailDeliveryState(undefined).text, 'Sent (no longer tracked)');
});

describeEachEngine('the case page', (getDatabase) => {
  const mailing = useMailingApp(getDatabase, { CIVICDESK_REFERENCE_PREFIX: 'ASH' });
  let serviceCode: string;
  let reference: string;
  let photoId: string;
  let officer: TestBrowser;
  let parish: Body;
  /** Staff of another body, who must not see or act on the council's cases. */
  let parishClerk: TestStaff;

  before(async () => {
    const { app } = mailing();
    const { db } = getDatabase();
    const council = await newCouncil(app, {
      service: { questions: POTHOLE_QUESTIONS },
      staff: ['officer'],
      staffNames: { officer: 'Olu Officer (demo)' },
    });
    parish = await newBody(app, { kind: 'parish' });
    parishClerk = await newStaff(app, {
      role: 'officer',
      body: parish,
      team: await newTeam(app, { body: parish }),
    });
    const image = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#884422' } })
      .jpeg()
      .toBuffer();
    const uploaded = await app.photos.upload(image, 'web:case-page-test');
    photoId = uploaded.id;
    const result = await app.intake.submit({
      serviceCode: council.service.code,
      ...AT,
      description: 'Pothole with a photo',
      answers: POTHOLE_ANSWERS,
      reporter: { name: 'Pat', email: 'pat@example.org' },
      channel: 'web',
      photos: { ids: [photoId], ownerKey: 'web:case-page-test' },
    });
    reference = result.case.reference;
    // The photo shows something private (a house number, a face): staff hid it from the public.
    await db.updateTable('photo').set({ is_public: false }).where('id', '=', photoId).execute();
    officer = await signedIn(app, council.staff.officer);
    serviceCode = council.service.code;
  });

  it('shows the photos to staff of the case’s body, and to nobody else', async () => {
    const page = await officer.get(`/staff/cases/${reference}`);
    assert.match(page.body, new RegExp(`src="/staff/cases/${reference}/photos/${photoId}/thumbnail"`));
    assert.match(
      page.body,
      /class="app-staff-bar__who">Olu Officer \(demo\) \(Officer\)</,
      'who is signed in',
    );
    assert.match(page.body, /data-module="app-case-map"[^>]*>|data-lat="53.45"/);
    assert.match(page.body, /left\)|overdue\)/, 'the due date says how long is left');
    const full = await officer.get(`/staff/cases/${reference}/photos/${photoId}/full`);
    assert.equal(full.statusCode, 200);
    assert.equal(full.headers['content-type'], 'image/jpeg');
    assert.match(String(full.headers['cache-control']), /private/);

    const publicRoute = await mailing().app.inject({ method: 'GET', url: `/photos/${photoId}/full` });
    assert.equal(publicRoute.statusCode, 404, 'the hidden photo is not public');
    const clerk = await signedIn(mailing().app, parishClerk);
    assert.equal((await clerk.get(`/staff/cases/${reference}/photos/${photoId}/full`)).statusCode, 404);
    const stranger = '00000000-0000-4000-8000-000000000000';
    assert.equal((await officer.get(`/staff/cases/${reference}/photos/${stranger}/full`)).statusCode, 404);
  });

  it('shows each email on the timeline with whether it was sent', async () => {
    await officer.get(`/staff/cases/${reference}`);
    const sent = await officer.post(`/staff/cases/${reference}/update`, {
      status: 'in_progress',
      publicUpdate: 'An inspector will visit this week.',
    });
    assert.equal(sent.statusCode, 303);
    await mailing().smtp.waitFor((m) => m.parsed.subject === `Update on report ${reference}: Pothole`);
    let page = await until(
      'the page to say the email was sent',
      async () => (await officer.get(`/staff/cases/${reference}`)).body,
      (body) => /pat@example.org: <strong class="govuk-tag govuk-tag--green">\s*Sent/.test(body),
      { everyMs: 50 },
    );
    assert.match(page, /pat@example.org: <strong class="govuk-tag govuk-tag--green">\s*Sent/);

    // A message the mail server gave up on says so, with its error.
    const { db } = getDatabase();
    const event = await db
      .selectFrom('case_event')
      .innerJoin('cases', 'cases.id', 'case_event.case_id')
      .select('case_event.data')
      .where('cases.reference', '=', reference)
      .where('case_event.kind', '=', 'email_queued')
      .executeTakeFirstOrThrow();
    const jobId = (event.data as { emails: { jobId: number }[] }).emails[0]!.jobId;
    await db
      .updateTable('outbox_job')
      .set({ status: 'dead', last_error: '550 mailbox unavailable' })
      .where('id', '=', jobId)
      .execute();
    page = (await officer.get(`/staff/cases/${reference}`)).body;
    assert.match(page, /Not sent: 550 mailbox unavailable/);
  });

  it('lists the reporter’s other cases that the viewer may open, and not another body’s', async () => {
    const { db } = getDatabase();
    const pat = await db
      .selectFrom('cases')
      .select('reporter_contact_id')
      .where('reference', '=', reference)
      .executeTakeFirstOrThrow();
    const another = async (description: string) =>
      (
        await mailing().app.intake.submit({
          serviceCode,
          ...AT,
          description,
          answers: { danger: 'no', size: 'small' },
          reporter: { name: 'Pat', email: 'pat@example.org' },
          channel: 'web',
        })
      ).case.reference;
    const ours = await another('A second pothole, the borough’s');
    const theirs = await another('A third, which the parish now has');
    await db
      .updateTable('cases')
      .set({ reporter_contact_id: pat.reporter_contact_id })
      .where('reference', 'in', [ours, theirs])
      .execute();
    await db.updateTable('cases').set({ body_id: parish.id }).where('reference', '=', theirs).execute();

    const page = (await officer.get(`/staff/cases/${reference}`)).body;
    assert.match(page, /Their other cases/);
    assert.match(page, new RegExp(`href="/staff/cases/${ours}"`));
    assert.doesNotMatch(page, new RegExp(theirs), 'the parish’s case is not the borough’s to see');
    const clerk = await signedIn(mailing().app, parishClerk);
    const clerkPage = (await clerk.get(`/staff/cases/${theirs}`)).body;
    assert.doesNotMatch(clerkPage, new RegExp(ours), 'nor the borough’s the parish’s');
    assert.doesNotMatch(clerkPage, new RegExp(reference));
  });
});
