/** All SQL for delivery targets, case deliveries and inbound email. */
import type { Selectable } from 'kysely';
import type {
  CaseDeliveryTable,
  DeliveryMethodName,
  DeliveryTargetTable,
  InboundEmailTable,
} from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type DeliveryTargetRow = Selectable<DeliveryTargetTable>;
export type CaseDeliveryRow = Selectable<CaseDeliveryTable>;
export type InboundEmailRow = Selectable<InboundEmailTable>;

export function listTargets(db: Executor) {
  return db
    .selectFrom('delivery_target')
    .innerJoin('body', 'body.id', 'delivery_target.body_id')
    .leftJoin('service', 'service.id', 'delivery_target.service_id')
    .selectAll('delivery_target')
    .select(['body.name as body_name', 'body.code as body_code', 'service.name as service_name'])
    .orderBy('body.name')
    .orderBy('service.name')
    .orderBy('delivery_target.created_at')
    .execute();
}

export function findTarget(db: Executor, id: string) {
  return db.selectFrom('delivery_target').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertTarget(
  db: Executor,
  target: {
    body_id: string;
    service_id: string | null;
    method: DeliveryMethodName;
    settings: Record<string, unknown>;
    active: boolean;
  },
): Promise<DeliveryTargetRow> {
  return db
    .insertInto('delivery_target')
    .values({ ...target, settings: JSON.stringify(target.settings) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateTarget(
  db: Executor,
  id: string,
  changes: { body_id: string; service_id: string | null; settings: Record<string, unknown>; active: boolean },
): Promise<DeliveryTargetRow | undefined> {
  return db
    .updateTable('delivery_target')
    .set({ ...changes, settings: JSON.stringify(changes.settings), updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** The active target for a case of this service in this body: the service's own, else the body's. */
export async function activeTargetFor(
  db: Executor,
  bodyId: string,
  serviceId: string,
): Promise<DeliveryTargetRow | undefined> {
  const rows = await db
    .selectFrom('delivery_target')
    .selectAll()
    .where('body_id', '=', bodyId)
    .where('active', '=', true)
    .where((eb) => eb.or([eb('service_id', '=', serviceId), eb('service_id', 'is', null)]))
    .execute();
  return rows.find((r) => r.service_id === serviceId) ?? rows.find((r) => r.service_id === null);
}

/** A delivery row for the case and target; undefined if the case was already sent there. */
export function insertCaseDelivery(
  db: Executor,
  row: { case_id: string; target_id: string; method: DeliveryMethodName },
) {
  return db
    .insertInto('case_delivery')
    .values(row)
    .onConflict((oc) => oc.columns(['case_id', 'target_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function findDelivery(db: Executor, id: string) {
  return db.selectFrom('case_delivery').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function recordAttempt(
  db: Executor,
  id: string,
  outcome: { state: 'pending' | 'failed'; error: string },
): Promise<void> {
  await db
    .updateTable('case_delivery')
    .set((eb) => ({
      state: outcome.state,
      attempts: eb('attempts', '+', 1),
      last_error: outcome.error,
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('state', '!=', 'sent')
    .execute();
}

/** Marks it sent; false if it already was (a duplicate run of the job). */
export async function markSent(db: Executor, id: string, externalId: string | null): Promise<boolean> {
  const result = await db
    .updateTable('case_delivery')
    .set((eb) => ({
      state: 'sent',
      attempts: eb('attempts', '+', 1),
      external_id: externalId,
      sent_at: new Date(),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('state', '!=', 'sent')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Back to pending for another round of attempts (an admin's "retry now"); false if it was sent. */
export async function markPendingAgain(db: Executor, id: string): Promise<boolean> {
  const result = await db
    .updateTable('case_delivery')
    .set({ state: 'pending', updated_at: new Date() })
    .where('id', '=', id)
    .where('state', '!=', 'sent')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A delivered email bounced: the body never got it. */
export async function markBounced(db: Executor, caseId: string, error: string): Promise<number> {
  const result = await db
    .updateTable('case_delivery')
    .set({ state: 'failed', last_error: error, updated_at: new Date() })
    .where('case_id', '=', caseId)
    .where('method', '=', 'email')
    .where('state', '=', 'sent')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Deliveries that have not gone: failed ones, and pending ones that have failed at least once. */
export function troubledDeliveries(db: Executor, limit = 100) {
  return db
    .selectFrom('case_delivery')
    .innerJoin('cases', 'cases.id', 'case_delivery.case_id')
    .innerJoin('delivery_target', 'delivery_target.id', 'case_delivery.target_id')
    .innerJoin('body', 'body.id', 'delivery_target.body_id')
    .selectAll('case_delivery')
    .select(['cases.reference', 'body.name as body_name', 'delivery_target.settings as target_settings'])
    .where((eb) =>
      eb.or([
        eb('case_delivery.state', '=', 'failed'),
        eb.and([eb('case_delivery.state', '=', 'pending'), eb('case_delivery.last_error', 'is not', null)]),
      ]),
    )
    .orderBy('case_delivery.updated_at', 'desc')
    .limit(limit)
    .execute();
}

/** Everything the delivery of one case needs to say about it. */
export function caseForDelivery(db: Executor, caseId: string) {
  return db
    .selectFrom('cases')
    .innerJoin('service', 'service.id', 'cases.service_id')
    .innerJoin('body', 'body.id', 'cases.body_id')
    .leftJoin('team', 'team.id', 'cases.team_id')
    .leftJoin('contact', 'contact.id', 'cases.reporter_contact_id')
    .selectAll('cases')
    .select([
      'service.name as service_name',
      'service.code as service_code',
      'service.definition as service_definition',
      'body.name as body_name',
      'team.name as team_name',
      'team.email as team_email',
      'contact.name as reporter_name',
      'contact.email as reporter_email',
      'contact.phone as reporter_phone',
    ])
    .where('cases.id', '=', caseId)
    .executeTakeFirst();
}

export function assigneeEmail(db: Executor, staffId: string) {
  return db
    .selectFrom('staff_user')
    .select(['email', 'name'])
    .where('id', '=', staffId)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
}

export async function insertInbound(
  db: Executor,
  row: {
    outcome: InboundEmailRow['outcome'];
    reason: string;
    case_id: string | null;
    message_id: string | null;
    mail_from: string;
    recipients: string[];
    subject: string;
    excerpt: string;
    size: number;
  },
): Promise<boolean> {
  const inserted = await db
    .insertInto('inbound_email')
    .values(row)
    .onConflict((oc) => oc.column('message_id').where('message_id', 'is not', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export function inboundByMessageId(db: Executor, messageId: string) {
  return db.selectFrom('inbound_email').selectAll().where('message_id', '=', messageId).executeTakeFirst();
}

export function unmatchedInbound(db: Executor, limit = 100) {
  return db
    .selectFrom('inbound_email')
    .selectAll()
    .where('outcome', '=', 'unmatched')
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute();
}

/** Where a case is to be delivered: its body and service (null when there is no such case). */
export function casePlacement(db: Executor, caseId: string) {
  return db.selectFrom('cases').select(['body_id', 'service_id']).where('id', '=', caseId).executeTakeFirst();
}

/** A body's name, read in the caller's transaction (the timeline says who the case was passed to). */
export async function bodyName(db: Executor, bodyId: string): Promise<string> {
  return (await db.selectFrom('body').select('name').where('id', '=', bodyId).executeTakeFirstOrThrow()).name;
}

/** The ids behind the codes an admin chose for a delivery target (undefined when there is no such one). */
export async function bodyIdByCode(db: Executor, code: string): Promise<string | undefined> {
  return (await db.selectFrom('body').select('id').where('code', '=', code).executeTakeFirst())?.id;
}

export async function serviceIdByCode(db: Executor, code: string): Promise<string | undefined> {
  return (await db.selectFrom('service').select('id').where('code', '=', code).executeTakeFirst())?.id;
}
