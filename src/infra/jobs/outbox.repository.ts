/**
 * All SQL for the outbox. `enqueue` takes the caller's transaction, so a job exists if and only if the
 * change that caused it was committed.
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database, OutboxJobRow } from '../../db/database.js';

export type Executor = Kysely<Database> | Transaction<Database>;

// Times come from the database's clock, not each app server's, so workers on several machines agree.
const now = (): RawBuilder<Date> => sql<Date>`now()`;
const inMs = (ms: number): RawBuilder<Date> => sql<Date>`now() + make_interval(secs => ${ms / 1000})`;

export interface EnqueueOptions {
  /** Earliest time to run; default now. */
  runAt?: Date;
  maxAttempts?: number;
  /** A job with the same key is enqueued only once (the second enqueue is a no-op). */
  dedupeKey?: string;
  /** Jobs with the same key run one after another, in the order they were enqueued. */
  orderingKey?: string;
}

export async function insertJob(
  db: Executor,
  kind: string,
  payload: Record<string, unknown>,
  options: EnqueueOptions & { maxAttempts: number },
): Promise<number | undefined> {
  const row = await db
    .insertInto('outbox_job')
    .values({
      kind,
      payload: JSON.stringify(payload),
      max_attempts: options.maxAttempts,
      run_at: options.runAt ?? now(),
      dedupe_key: options.dedupeKey ?? null,
      ordering_key: options.orderingKey ?? null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/**
 * Claims up to `limit` due jobs for `workerId`: pending jobs whose time has come, and running jobs whose
 * lease ran out (their worker died). SKIP LOCKED lets any number of workers claim at once without
 * waiting on, or taking, each other's jobs.
 */
export async function claimJobs(
  db: Kysely<Database>,
  workerId: string,
  limit: number,
  leaseSeconds: number,
): Promise<OutboxJobRow[]> {
  const result = await sql<OutboxJobRow>`
    update outbox_job set
      status = 'running',
      locked_by = ${workerId},
      locked_until = now() + make_interval(secs => ${leaseSeconds}),
      attempts = attempts + 1,
      updated_at = now()
    where id in (
      select id from outbox_job j
      where ((j.status = 'pending' and j.run_at <= now())
          or (j.status = 'running' and j.locked_until < now()))
        -- An ordered job waits while an earlier one with its key is unfinished (a dead one no longer counts).
        and (j.ordering_key is null or not exists (
          select 1 from outbox_job e
          where e.ordering_key = j.ordering_key and e.id < j.id and e.status in ('pending', 'running')))
      order by run_at, id
      limit ${limit}
      for update skip locked
    )
    returning *`.execute(db);
  return result.rows;
}

/** The `locked_by` guard makes these no-ops for a worker whose lease was taken over. */
export async function markDone(db: Kysely<Database>, id: number, workerId: string): Promise<boolean> {
  const result = await db
    .updateTable('outbox_job')
    // A finished job's payload is cleared: an email's text (names, addresses, tracking links) is not
    // kept in the queue once sent. The case timeline records what was sent.
    .set({
      status: 'done',
      payload: JSON.stringify({}),
      locked_by: null,
      locked_until: null,
      finished_at: now(),
      updated_at: now(),
    })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function markFailed(
  db: Kysely<Database>,
  job: OutboxJobRow,
  workerId: string,
  error: string,
  /** null: no attempts left, dead-letter it. */
  retryInMs: number | null,
): Promise<void> {
  await db
    .updateTable('outbox_job')
    .set(
      retryInMs !== null
        ? {
            status: 'pending',
            run_at: inMs(retryInMs),
            locked_by: null,
            locked_until: null,
            last_error: error,
            updated_at: now(),
          }
        : {
            status: 'dead',
            locked_by: null,
            locked_until: null,
            last_error: error,
            finished_at: now(),
            updated_at: now(),
          },
    )
    .where('id', '=', job.id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .execute();
}

/** Hands claimed jobs back untouched (shutdown): they run again at once, the attempt not counted. */
export async function releaseJobs(db: Kysely<Database>, ids: number[], workerId: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('outbox_job')
    .set((eb) => ({
      status: 'pending',
      locked_by: null,
      locked_until: null,
      attempts: eb('attempts', '-', 1),
      updated_at: now(),
    }))
    .where('id', 'in', ids)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .execute();
}

/** A dead job back to pending with a fresh set of attempts (an admin's "retry now"). */
export async function retryDeadJob(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db
    .updateTable('outbox_job')
    .set({ status: 'pending', attempts: 0, run_at: now(), finished_at: null, updated_at: now() })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function getJob(db: Executor, id: number): Promise<OutboxJobRow | undefined> {
  return db.selectFrom('outbox_job').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deleteFinishedJobs(db: Kysely<Database>, olderThan: Date): Promise<number> {
  const result = await db
    .deleteFrom('outbox_job')
    .where('status', '=', 'done')
    .where('finished_at', '<', olderThan)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function beat(db: Kysely<Database>, workerId: string, host: string, pid: number): Promise<void> {
  await db
    .insertInto('worker_heartbeat')
    .values({ worker_id: workerId, host, pid })
    .onConflict((oc) => oc.column('worker_id').doUpdateSet({ last_seen_at: now() }))
    .execute();
}

export async function removeHeartbeat(db: Kysely<Database>, workerId: string): Promise<void> {
  await db.deleteFrom('worker_heartbeat').where('worker_id', '=', workerId).execute();
}

/** Workers seen within `withinSeconds`. */
export async function liveWorkerCount(db: Kysely<Database>, withinSeconds: number): Promise<number> {
  const row = await db
    .selectFrom('worker_heartbeat')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('last_seen_at', '>', inMs(-withinSeconds * 1000))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
