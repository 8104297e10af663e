/**
 * Two workers, each with its own connection pool as two processes would have, drain one PostgreSQL
 * queue. Every job must run exactly once: SKIP LOCKED and the lease keep them from sharing a job.
 * (PostgreSQL only: PGlite is one process by design, so it cannot have two workers.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { openDatabase, type DatabaseHandle } from '../../db/connect.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/database.js';
import { Jobs } from './jobs.js';

const JOB_COUNT = 400;

describe(
  'two workers on PostgreSQL',
  { skip: !ENGINES.includes('postgres') && 'PostgreSQL not selected' },
  () => {
    let database: TestDatabase;
    let secondPool: DatabaseHandle;

    before(async () => {
      database = await createTestDatabase('postgres');
      secondPool = await openDatabase({ engine: 'postgres', url: database.url!, poolSize: 4 });
    });
    after(async () => {
      await secondPool.close();
      await database.close();
    });

    it('never runs a job twice, nor the same job in both workers at once', async () => {
      const settings = { maxAttempts: 3, leaseSeconds: 30, concurrency: 4, pollMs: 10 };
      const runs = new Map<number, number>();
      const runningNow = new Set<number>();
      const ranIn = { a: 0, b: 0 };
      let overlaps = 0;

      const handlerFor = (name: 'a' | 'b') => async (payload: Record<string, unknown>) => {
        const n = payload.n as number;
        if (runningNow.has(n)) overlaps += 1;
        runningNow.add(n);
        runs.set(n, (runs.get(n) ?? 0) + 1);
        ranIn[name] += 1;
        await sleep(Math.random() * 4);
        runningNow.delete(n);
      };
      const jobsA = new Jobs(database.db, settings);
      const jobsB = new Jobs(secondPool.db, settings);
      jobsA.register('test.count', handlerFor('a'));
      jobsB.register('test.count', handlerFor('b'));

      await database.db
        .insertInto('outbox_job')
        .values(
          Array.from({ length: JOB_COUNT }, (_, n) => ({
            kind: 'test.count',
            payload: JSON.stringify({ n }),
            max_attempts: 3,
          })),
        )
        .execute();

      const silent = pino({ level: 'silent' });
      const workerA = jobsA.createWorker(silent, 'worker-a');
      const workerB = jobsB.createWorker(silent, 'worker-b');
      await Promise.all([workerA.start(), workerB.start()]);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const left = await database.db
          .selectFrom('outbox_job')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '!=', 'done')
          .executeTakeFirstOrThrow();
        if (Number(left.n) === 0 || Date.now() > deadline) break;
        await sleep(50);
      }
      await Promise.all([workerA.stop(), workerB.stop()]);

      assert.equal(runs.size, JOB_COUNT, 'every job ran');
      const twice = [...runs].filter(([, count]) => count > 1);
      assert.deepEqual(twice, [], 'no job ran twice');
      assert.equal(overlaps, 0);
      assert.ok(ranIn.a > 0 && ranIn.b > 0, `both workers took jobs (a: ${ranIn.a}, b: ${ranIn.b})`);
    });
  },
);
