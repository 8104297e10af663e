/**
 * The intake's one transaction: the case and its outbox jobs are committed together or not at all.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pino from 'pino';
import sharp from 'sharp';
import { AppError } from '../src/lib/errors.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import { AT } from './helpers/factories.js';
import { newCouncil, type TestCouncil } from './helpers/fixtures.js';

describeEachEngine('intake transaction', (getDatabase) => {
  let t: TestApp;
  let council: TestCouncil;
  before(async () => {
    t = await buildTestApp(getDatabase());
    council = await newCouncil(t.app);
  });
  after(() => t.close());

  const count = async (table: 'cases' | 'outbox_job' | 'contact', description?: string) => {
    let query = getDatabase()
      .db.selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'));
    if (description && table === 'cases')
      query = query.where('description', '=', description) as typeof query;
    return Number((await query.executeTakeFirstOrThrow()).n);
  };

  const submission = (description: string, photos?: { ids: string[]; ownerKey: string }) => ({
    serviceCode: council.service.code,
    ...AT,
    description,
    reporter: { name: 'Lee Light', email: `lee.${description.length}@example.org` },
    channel: 'web' as const,
    ...(photos ? { photos } : {}),
  });

  it('writes the case, its contact, its timeline and its case event in one commit; the emails follow from the event', async () => {
    const jobsBefore = await count('outbox_job');
    const result = await t.app.intake.submit(submission('Lamp out on the corner'));
    assert.equal(result.created, true);
    assert.equal(await count('cases', 'Lamp out on the corner'), 1);
    const jobsOf = () =>
      getDatabase()
        .db.selectFrom('outbox_job')
        .select(['kind', 'dedupe_key', 'payload', 'ordering_key'])
        .where('id', '>', 0)
        .execute();
    const jobs = await jobsOf();
    // case.created, once for each subscriber that wants it, each in that subscriber's order for this case.
    // No webhook endpoint wants anything here, so the webhooks subscriber declined it at publish time.
    const created = jobs.filter((j) => j.kind.startsWith('case-event:'));
    assert.deepEqual(created.map((j) => j.kind).sort(), ['case-event:delivery', 'case-event:notifications']);
    for (const job of created) {
      const payload = (typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload) as {
        type: string;
        caseId: string;
        trackingToken?: string;
      };
      assert.equal(payload.type, 'case.created');
      assert.equal(payload.caseId, result.case.id);
      assert.equal(job.ordering_key, `${job.kind.slice('case-event:'.length)}:${result.case.id}`);
      // The tracking key goes only to the subscriber that emails the receipt.
      assert.equal(
        payload.trackingToken,
        job.kind === 'case-event:notifications' ? result.trackingToken : undefined,
      );
    }
    assert.equal(jobs.length - jobsBefore, 2, 'one job per subscriber, nothing else');

    // The notifications subscriber queues the receipt and the team's notice, and notes the receipt.
    const worker = t.app.jobs.createWorker(pino({ level: 'silent' }));
    for (let i = 0; i < 5 && (await worker.runOnce()) > 0; i++);
    const emailKeys = (await jobsOf())
      .map((j) => j.dedupe_key)
      .filter((k) => k === `receipt:${result.case.id}` || k === `team-notice:${result.case.id}`)
      .sort();
    assert.deepEqual(emailKeys, [`receipt:${result.case.id}`, `team-notice:${result.case.id}`]);
    const events = await getDatabase()
      .db.selectFrom('case_event')
      .select('kind')
      .where('case_id', '=', result.case.id)
      .execute();
    assert.deepEqual(
      events.map((e) => e.kind),
      ['created', 'routed', 'email_queued'],
      'the receipt is on the timeline',
    );
  });

  it('rolls back the case and its jobs together when anything in the transaction fails', async () => {
    // Someone else's photo: attaching it fails inside the transaction, after the case and jobs are written.
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer();
    const theirs = await t.app.photos.upload(jpeg, 'web:someone-else');
    const [casesBefore, jobsBefore, contactsBefore] = await Promise.all([
      count('cases'),
      count('outbox_job'),
      count('contact'),
    ]);
    await assert.rejects(
      t.app.intake.submit(submission('This must not be saved', { ids: [theirs.id], ownerKey: 'web:me' })),
      (error: unknown) =>
        error instanceof AppError &&
        /photos is no longer available/.test(error.fieldErrors[0]?.message ?? ''),
    );
    assert.equal(await count('cases'), casesBefore, 'no case');
    assert.equal(await count('outbox_job'), jobsBefore, 'no email jobs');
    assert.equal(await count('contact'), contactsBefore, 'no contact');
  });
});
