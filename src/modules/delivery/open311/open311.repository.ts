/** The queries of delivery by Open311: targets to poll, cases by their external id, updates applied. */
import { sql } from 'kysely';
import type { Executor } from '../../../infra/jobs/outbox.repository.js';
import { TOKEN_PREFIX } from './open311-delivery.js';

export type PollableTarget = Awaited<ReturnType<typeof pollableTargets>>[number];

export function pollableTargets(db: Executor) {
  return db
    .selectFrom('delivery_target')
    .innerJoin('body', 'body.id', 'delivery_target.body_id')
    .select(['delivery_target.id', 'delivery_target.settings', 'body.name as body_name'])
    .where('delivery_target.method', '=', 'open311')
    .where('delivery_target.active', '=', true)
    .orderBy('delivery_target.created_at')
    .execute();
}

/** The case's delivery by Open311 that went (or is going) out, if it has one. */
export function open311DeliveryOf(db: Executor, caseId: string) {
  return db
    .selectFrom('case_delivery')
    .select(['id', 'target_id', 'external_id'])
    .where('case_id', '=', caseId)
    .where('method', '=', 'open311')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function deliveryWithTarget(db: Executor, deliveryId: string) {
  const row = await db
    .selectFrom('case_delivery')
    .innerJoin('delivery_target', 'delivery_target.id', 'case_delivery.target_id')
    .select([
      'case_delivery.id',
      'case_delivery.case_id',
      'case_delivery.external_id',
      'delivery_target.id as target_id',
      'delivery_target.settings',
    ])
    .where('case_delivery.id', '=', deliveryId)
    .executeTakeFirst();
  return row && { ...row, target: { id: row.target_id, settings: row.settings } };
}

export function caseByExternalId(db: Executor, targetId: string, externalId: string) {
  return db
    .selectFrom('case_delivery')
    .innerJoin('cases', 'cases.id', 'case_delivery.case_id')
    .select(['case_delivery.case_id', 'cases.reference', 'cases.status', 'cases.body_id'])
    .where('case_delivery.target_id', '=', targetId)
    .where('case_delivery.external_id', '=', externalId)
    .executeTakeFirst();
}

/** Claims an update for applying; false if it was claimed before (by this poll, an earlier one, or another worker). */
export async function claimUpdate(
  db: Executor,
  targetId: string,
  updateId: string,
  caseId: string,
): Promise<boolean> {
  const row = await db
    .insertInto('open311_update_seen')
    .values({ target_id: targetId, update_id: updateId, case_id: caseId })
    .onConflict((oc) => oc.columns(['target_id', 'update_id']).doNothing())
    .returning('update_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function releaseUpdate(db: Executor, targetId: string, updateId: string): Promise<void> {
  await db
    .deleteFrom('open311_update_seen')
    .where('target_id', '=', targetId)
    .where('update_id', '=', updateId)
    .execute();
}

export function pollState(db: Executor, targetId: string) {
  return db.selectFrom('open311_poll').selectAll().where('target_id', '=', targetId).executeTakeFirst();
}

export async function recordPolled(db: Executor, targetId: string, until: Date): Promise<void> {
  await db
    .insertInto('open311_poll')
    .values({ target_id: targetId, polled_until: until, last_error: null })
    .onConflict((oc) =>
      oc
        .column('target_id')
        .doUpdateSet({ polled_until: until, last_polled_at: sql`now()`, last_error: null }),
    )
    .execute();
}

/** A failed poll keeps where the last good one stopped, so its window is fetched again next time. */
export async function recordPollError(db: Executor, targetId: string, error: string): Promise<void> {
  await db
    .insertInto('open311_poll')
    .values({ target_id: targetId, polled_until: new Date(Date.now() - 2 * 3600_000), last_error: error })
    .onConflict((oc) => oc.column('target_id').doUpdateSet({ last_polled_at: sql`now()`, last_error: error }))
    .execute();
}

export function deliveriesAwaitingId(db: Executor, targetId: string) {
  return db
    .selectFrom('case_delivery')
    .select(['id', 'external_id'])
    .where('target_id', '=', targetId)
    .where('external_id', 'like', `${TOKEN_PREFIX}%`)
    .limit(100)
    .execute();
}

export async function setExternalId(db: Executor, deliveryId: string, externalId: string): Promise<void> {
  await db
    .updateTable('case_delivery')
    .set({ external_id: externalId, updated_at: sql`now()` })
    .where('id', '=', deliveryId)
    .execute();
}
