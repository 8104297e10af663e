/**
 * An email enqueued in a transaction reaches a real SMTP server through the worker, and an SMTP outage
 * delays it rather than losing it.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describeEachEngine } from '../../../test/helpers/database.js';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp.js';
import { Jobs } from '../jobs/jobs.js';
import { getJob } from '../jobs/outbox.repository.js';
import { enqueueEmail, registerEmailJobs } from './email.jobs.js';
import { SmtpMailer } from './mailer.js';

describeEachEngine('email.send job', (getDatabase) => {
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer();
  });
  after(() => smtp.close());

  it('sends through SMTP after the transaction commits, retrying through a temporary failure', async () => {
    const { db } = getDatabase();
    const mailer = new SmtpMailer(smtp.url, 'no-reply@ashdown.example');
    const jobs = new Jobs(db, {
      maxAttempts: 5,
      leaseSeconds: 30,
      concurrency: 2,
      pollMs: 20,
      backoff: { baseMs: 50, maxMs: 1000 },
    });
    registerEmailJobs(jobs, mailer);

    const id = await db.transaction().execute((trx) =>
      enqueueEmail(jobs, trx, {
        to: 'resident@example.org',
        subject: 'Update on your report',
        text: 'We have fixed it.',
      }),
    );
    smtp.failNext(1);
    const worker = jobs.createWorker(pino({ level: 'silent' }));
    await worker.start();
    jobs.wake();
    const received = await smtp.waitFor((m) => m.parsed.subject === 'Update on your report');
    await worker.stop();
    await mailer.close();

    assert.equal(received.parsed.text?.trim(), 'We have fixed it.');
    // The job's status is written just after the send returns; give it a moment.
    for (let i = 0; i < 50 && (await getJob(db, id!))?.status !== 'done'; i++) await sleep(20);
    const job = (await getJob(db, id!))!;
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 2, 'the first attempt met the 451 and was retried');
    assert.match(job.last_error ?? '', /451/);
  });
});
