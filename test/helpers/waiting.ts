/**
 * Waiting for something a worker does in the background, by polling for it with a time limit, never by
 * sleeping a fixed time and hoping:
 *
 *   const row = await until('the delivery', () => deliveryRow(id), (row) => row?.status === 'sent');
 *   await outboxSettled(db); // every job that is due has run, so whatever it sends has been sent
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';

/** Reads again every `everyMs` until `ok` holds for what it read; fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean = (value) => value !== undefined && value !== null,
  { timeoutMs = 10_000, everyMs = 20 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) && value !== undefined && value !== null) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Waits until the outbox has no job running and none due to run: whatever the jobs queued so far were to
 * send (emails, webhooks, deliveries) has been sent, and nothing more will come of them unless a job is
 * retried later. With `retries`, waits for retries scheduled for later too (for a test whose jobs back off
 * for a moment only). A test that asserts something was sent only once checks after this.
 */
export async function outboxSettled(
  db: Kysely<Database>,
  { retries = false, timeoutMs = 10_000 }: { retries?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  await until(
    'the outbox to settle',
    async () => {
      const busy = await db
        .selectFrom('outbox_job')
        .select('id')
        .where((eb) =>
          eb.or([
            eb('status', '=', 'running'),
            retries
              ? eb('status', '=', 'pending')
              : eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', sql<Date>`now()`)]),
          ]),
        )
        .limit(1)
        .executeTakeFirst();
      return busy === undefined;
    },
    (idle) => idle,
    { timeoutMs },
  );
}

/** The delivery the delivery module's case-event subscriber makes for a case, a moment after it. */
export async function deliveryOf(db: Kysely<Database>, caseId: string) {
  return until(`a delivery for case ${caseId}`, () =>
    db.selectFrom('case_delivery').selectAll().where('case_id', '=', caseId).executeTakeFirst(),
  );
}
