import assert from 'node:assert/strict';
import { beforeEach, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describeEachEngine } from '../../../test/helpers/database.js';
import { Jobs } from './jobs.js';
import { claimJobs, getJob, retryDeadJob } from './outbox.repository.js';

const silent = pino({ level: 'silent' });
const settings = {
  maxAttempts: 4,
  leaseSeconds: 30,
  concurrency: 4,
  pollMs: 20,
  backoff: { baseMs: 200, maxMs: 60_000 },
};

describeEachEngine('outbox', (getDatabase) => {
  beforeEach(async () => {
    // Each test starts with an empty queue: a worker claims any due job, whoever enqueued it.
    await getDatabase().db.deleteFrom('outbox_job').execute();
  });

  it('commits a job with the transaction that caused it, and not when it rolls back', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, settings);
    jobs.register('test.rollback', async () => {});

    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await jobs.enqueue(trx, 'test.rollback', { n: 1 });
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    const afterRollback = await db
      .selectFrom('outbox_job')
      .select('id')
      .where('kind', '=', 'test.rollback')
      .execute();
    assert.equal(afterRollback.length, 0);

    const id = await db.transaction().execute((trx) => jobs.enqueue(trx, 'test.rollback', { n: 2 }));
    const job = await getJob(db, id!);
    assert.equal(job?.status, 'pending');
    assert.deepEqual(job?.payload, { n: 2 });
  });

  it('runs jobs with the same ordering key one at a time, in order, and a dead one no longer holds the next', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, { ...settings, maxAttempts: 1 });
    const ran: string[] = [];
    jobs.register('test.ordered', async (payload) => {
      ran.push(String(payload.n));
      if (payload.fail) throw new Error('this one fails');
    });
    await jobs.enqueue(db, 'test.ordered', { n: 'a1', fail: true }, { orderingKey: 'case-a' });
    await jobs.enqueue(db, 'test.ordered', { n: 'a2' }, { orderingKey: 'case-a' });
    await jobs.enqueue(db, 'test.ordered', { n: 'b1' }, { orderingKey: 'case-b' });
    await jobs.enqueue(db, 'test.ordered', { n: 'free' });
    // One claim of four: a2 waits behind a1; the others do not wait for anything.
    const first = await claimJobs(db, 'w1', 10, 30);
    assert.deepEqual(first.map((j) => (j.payload as { n: string }).n).sort(), ['a1', 'b1', 'free']);
    assert.equal((await claimJobs(db, 'w2', 10, 30)).length, 0, 'a2 waits while a1 is running');
    await db
      .updateTable('outbox_job')
      .set({ status: 'dead' })
      .where('id', '=', first.find((j) => (j.payload as { n: string }).n === 'a1')!.id)
      .execute();
    const next = await claimJobs(db, 'w2', 10, 30);
    assert.deepEqual(
      next.map((j) => (j.payload as { n: string }).n),
      ['a2'],
      'a dead a1 releases a2',
    );
    // Through the worker, with retries: a failing first job keeps the second behind it until it is dead.
    await db.deleteFrom('outbox_job').execute();
    ran.length = 0;
    await jobs.enqueue(db, 'test.ordered', { n: 'c1', fail: true }, { orderingKey: 'case-c' });
    await jobs.enqueue(db, 'test.ordered', { n: 'c2' }, { orderingKey: 'case-c' });
    const worker = jobs.createWorker(silent);
    while ((await worker.runOnce()) > 0);
    assert.deepEqual(ran, ['c1', 'c2']);
  });

  it('runs a job once, hands the handler its payload, and marks it done', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, settings);
    const seen: unknown[] = [];
    jobs.register('test.ok', async (payload) => {
      seen.push(payload);
    });
    const id = await jobs.enqueue(db, 'test.ok', { hello: 'world' });
    const worker = jobs.createWorker(silent);
    assert.equal(await worker.runOnce(), 1);
    assert.equal(await worker.runOnce(), 0);
    assert.deepEqual(seen, [{ hello: 'world' }]);
    const job = await getJob(db, id!);
    assert.equal(job?.status, 'done');
    assert.equal(job?.attempts, 1);
    assert.ok(job?.finished_at instanceof Date);
  });

  it('retries a failing job with growing delays, then dead-letters it keeping the last error', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, settings);
    let calls = 0;
    jobs.register('test.fails', async () => {
      calls += 1;
      throw new Error(`smtp said no (call ${calls})`);
    });
    const id = (await jobs.enqueue(db, 'test.fails', {}))!;
    const worker = jobs.createWorker(silent);

    const delays: number[] = [];
    for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
      // Wait until the job is due again, then run it.
      for (;;) {
        if ((await worker.runOnce()) === 1) break;
        await sleep(25);
      }
      const job = (await getJob(db, id))!;
      assert.equal(job.attempts, attempt);
      if (attempt < settings.maxAttempts) {
        assert.equal(job.status, 'pending');
        delays.push(job.run_at.getTime() - job.updated_at.getTime());
      }
    }

    const dead = (await getJob(db, id))!;
    assert.equal(dead.status, 'dead');
    assert.equal(calls, settings.maxAttempts);
    assert.equal(dead.last_error, `Error: smtp said no (call ${settings.maxAttempts})`);
    // Full jitter on the top half: retry n waits between base·2^(n-1)/2 and base·2^(n-1).
    delays.forEach((delay, i) => {
      const step = settings.backoff.baseMs * 2 ** i;
      assert.ok(
        delay >= step / 2 - 5 && delay <= step + 5,
        `retry ${i + 1} waited ${delay} ms, expected ${step / 2}–${step}`,
      );
    });
    assert.ok(delays[2]! > delays[0]!, `delays should grow: ${delays.join(', ')}`);
    assert.equal(await worker.runOnce(), 0, 'a dead job is not claimed again');

    assert.equal(await retryDeadJob(db, id), true);
    const revived = (await getJob(db, id))!;
    assert.equal(revived.status, 'pending');
    assert.equal(revived.attempts, 0);
  });

  it('enqueues a job with a dedupe key only once', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, settings);
    jobs.register('test.dedupe', async () => {});
    const first = await jobs.enqueue(db, 'test.dedupe', {}, { dedupeKey: 'overdue-notice:case-1' });
    const second = await jobs.enqueue(db, 'test.dedupe', {}, { dedupeKey: 'overdue-notice:case-1' });
    assert.ok(first);
    assert.equal(second, undefined);
  });

  it('refuses to enqueue a kind nothing can run', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, settings);
    await assert.rejects(
      jobs.enqueue(db, 'test.nobody', {}),
      /No handler is registered for job kind "test.nobody"/,
    );
  });

  it('gives a job whose worker died to another worker once its lease has run out', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, { ...settings, leaseSeconds: 1 });
    const ranBy: string[] = [];
    jobs.register('test.lease', async () => {
      ranBy.push('survivor');
    });
    const id = (await jobs.enqueue(db, 'test.lease', {}))!;
    // A worker claims the job and then dies: it never reports back.
    const [claimed] = await claimJobs(db, 'crashed-worker', 1, 1);
    assert.equal(claimed?.id, id);

    const survivor = jobs.createWorker(silent, 'survivor');
    assert.equal(await survivor.runOnce(), 0, 'the lease protects the job while it is held');
    let ran = 0;
    for (let i = 0; i < 60 && ran === 0; i++) {
      await sleep(50);
      ran = await survivor.runOnce();
    }
    assert.deepEqual(ranBy, ['survivor']);
    const job = (await getJob(db, id))!;
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 2, 'the crashed attempt still counts');
  });

  it('records a handler that outruns its lease as a failed attempt', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, { ...settings, leaseSeconds: 1 });
    jobs.register('test.too-slow', async (_payload, { signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    const id = (await jobs.enqueue(db, 'test.too-slow', {}))!;
    await jobs.createWorker(silent).runOnce();
    const job = (await getJob(db, id))!;
    assert.equal(job.status, 'pending');
    assert.match(job.last_error ?? '', /longer than its lease/);
  });

  it('on shutdown, hands unfinished jobs back to the queue without counting the attempt', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, settings);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    jobs.register('test.slow', async (_payload, { signal }) => {
      started();
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    const id = (await jobs.enqueue(db, 'test.slow', {}))!;
    const worker = jobs.createWorker(silent);
    await worker.start();
    jobs.wake();
    await running;
    assert.equal((await getJob(db, id))?.status, 'running');
    await worker.stop(50);
    const job = (await getJob(db, id))!;
    assert.equal(job.status, 'pending');
    assert.equal(job.attempts, 0);
    assert.equal(job.locked_by, null);
  });

  it('finishes jobs already running when shutdown allows enough time', async () => {
    const { db } = getDatabase();
    const jobs = new Jobs(db, settings);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    jobs.register('test.finishes', async () => {
      started();
      await sleep(150);
    });
    const id = (await jobs.enqueue(db, 'test.finishes', {}))!;
    const worker = jobs.createWorker(silent);
    await worker.start();
    jobs.wake();
    await running;
    await worker.stop(5_000);
    assert.equal((await getJob(db, id))?.status, 'done');
  });
});
