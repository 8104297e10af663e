/** All SQL for webhooks: endpoints, events, deliveries and their attempts. */
import { sql, type Selectable } from 'kysely';
import type { WebhookDeliveryTable, WebhookEndpointTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type EndpointRow = Selectable<WebhookEndpointTable>;
export type DeliveryRow = Selectable<WebhookDeliveryTable>;

export function listEndpoints(db: Executor) {
  return db
    .selectFrom('webhook_endpoint as e')
    .leftJoin('body as b', 'b.id', 'e.body_id')
    .leftJoin('service as s', 's.id', 'e.service_id')
    .selectAll('e')
    .select([
      'b.name as body_name',
      'b.code as body_code',
      's.name as service_name',
      's.code as service_code',
    ])
    .select((eb) => [
      eb
        .selectFrom('webhook_delivery as d')
        .select((x) => x.fn.countAll<number>().as('n'))
        .whereRef('d.endpoint_id', '=', 'e.id')
        .where('d.state', '=', 'failed')
        .as('failed_count'),
      eb
        .selectFrom('webhook_delivery as d')
        .select((x) => x.fn.countAll<number>().as('n'))
        .whereRef('d.endpoint_id', '=', 'e.id')
        .where('d.state', 'in', ['pending', 'waiting'])
        .as('pending_count'),
    ])
    .orderBy('e.name')
    .execute();
}

export function endpoint(db: Executor, id: string) {
  return db
    .selectFrom('webhook_endpoint as e')
    .leftJoin('body as b', 'b.id', 'e.body_id')
    .leftJoin('service as s', 's.id', 'e.service_id')
    .selectAll('e')
    .select([
      'b.name as body_name',
      'b.code as body_code',
      's.name as service_name',
      's.code as service_code',
    ])
    .where('e.id', '=', id)
    .executeTakeFirst();
}

export function insertEndpoint(
  db: Executor,
  values: {
    id: string;
    name: string;
    url: string;
    events: string[];
    body_id: string | null;
    service_id: string | null;
    secret_sealed: string;
  },
) {
  return db.insertInto('webhook_endpoint').values(values).returningAll().executeTakeFirstOrThrow();
}

/** The ids of the body and service an endpoint is limited to, from the codes an administrator chose. */
export async function bodyIdByCode(db: Executor, code: string): Promise<string | undefined> {
  const row = await db.selectFrom('body').select('id').where('code', '=', code).executeTakeFirst();
  return row?.id;
}

export async function serviceIdByCode(db: Executor, code: string): Promise<string | undefined> {
  const row = await db.selectFrom('service').select('id').where('code', '=', code).executeTakeFirst();
  return row?.id;
}

export async function updateEndpoint(
  db: Executor,
  id: string,
  changes: Partial<{
    name: string;
    url: string;
    events: string[];
    body_id: string | null;
    service_id: string | null;
    active: boolean;
    secret_sealed: string;
  }>,
): Promise<void> {
  await db
    .updateTable('webhook_endpoint')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/** Does any active endpoint want any of these events (for any case)? */
export async function anySubscriber(db: Executor, types: string[]): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_endpoint')
    .select('id')
    .where('active', '=', true)
    .where(sql<boolean>`events && ${sql.val(types)}::text[]`)
    .limit(1)
    .executeTakeFirst();
  return Boolean(row);
}

/** Active endpoints that want this event for a case of this body and service. */
export function subscribers(db: Executor, type: string, bodyId: string, serviceId: string) {
  return db
    .selectFrom('webhook_endpoint')
    .select('id')
    .where('active', '=', true)
    .where(sql<boolean>`${type} = any(events)`)
    .where((eb) => eb.or([eb('body_id', 'is', null), eb('body_id', '=', bodyId)]))
    .where((eb) => eb.or([eb('service_id', 'is', null), eb('service_id', '=', serviceId)]))
    .execute();
}

export function insertEvent(
  db: Executor,
  values: { id: string; type: string; case_id: string | null; data: Record<string, unknown> },
) {
  return db
    .insertInto('webhook_event')
    .values({ ...values, data: JSON.stringify(values.data) })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(['seq', 'id', 'created_at'])
    .executeTakeFirst();
}

export function insertDelivery(
  db: Executor,
  values: {
    endpoint_id: string;
    event_seq: number;
    case_id: string | null;
    kind: 'event' | 'redelivery' | 'ping';
  },
) {
  return db.insertInto('webhook_delivery').values(values).returning('id').executeTakeFirstOrThrow();
}

/** A delivery with what sending it needs: its endpoint and its event. */
export function deliveryToSend(db: Executor, id: string) {
  return db
    .selectFrom('webhook_delivery as d')
    .innerJoin('webhook_endpoint as e', 'e.id', 'd.endpoint_id')
    .innerJoin('webhook_event as v', 'v.seq', 'd.event_seq')
    .selectAll('d')
    .select([
      'e.url',
      'e.active as endpoint_active',
      'e.secret_sealed',
      'v.id as event_id',
      'v.type as event_type',
      'v.data as event_data',
      'v.created_at as event_created_at',
    ])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

/** Serialises the ordering decisions for one endpoint (short transactions, never around a request). */
export async function lockEndpoint(db: Executor, endpointId: string): Promise<void> {
  await db.selectFrom('webhook_endpoint').select('id').where('id', '=', endpointId).forUpdate().execute();
}

/** Is an earlier event for the same case still to go to this endpoint? */
export async function hasEarlierUndelivered(db: Executor, delivery: DeliveryRow): Promise<boolean> {
  if (!delivery.case_id) return false;
  const row = await db
    .selectFrom('webhook_delivery')
    .select('id')
    .where('endpoint_id', '=', delivery.endpoint_id)
    .where('case_id', '=', delivery.case_id)
    .where('kind', '=', 'event')
    .where('state', 'in', ['pending', 'waiting'])
    .where('event_seq', '<', delivery.event_seq)
    .limit(1)
    .executeTakeFirst();
  return Boolean(row);
}

/** The next held-back event for the case at this endpoint, if any. */
export function nextWaiting(db: Executor, endpointId: string, caseId: string) {
  return db
    .selectFrom('webhook_delivery')
    .select('id')
    .where('endpoint_id', '=', endpointId)
    .where('case_id', '=', caseId)
    .where('kind', '=', 'event')
    .where('state', '=', 'waiting')
    .orderBy('event_seq')
    .limit(1)
    .executeTakeFirst();
}

export async function setDeliveryState(
  db: Executor,
  id: string,
  state: DeliveryRow['state'],
  extra: { delivered_at?: Date } = {},
): Promise<void> {
  await db
    .updateTable('webhook_delivery')
    .set({ state, ...extra, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export async function recordAttempt(
  db: Executor,
  deliveryId: string,
  attempt: { durationMs: number; statusCode: number | null; error: string | null; snippet: string },
): Promise<void> {
  await db
    .insertInto('webhook_attempt')
    .values({
      delivery_id: deliveryId,
      duration_ms: attempt.durationMs,
      status_code: attempt.statusCode,
      error: attempt.error,
      response_snippet: attempt.snippet,
    })
    .execute();
  await db
    .updateTable('webhook_delivery')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_status: attempt.statusCode,
      last_error: attempt.error,
      updated_at: new Date(),
    }))
    .where('id', '=', deliveryId)
    .execute();
}

/** The endpoint's latest deliveries, newest first, each with its attempts. */
export async function deliveryLog(db: Executor, endpointId: string, limit: number) {
  const deliveries = await db
    .selectFrom('webhook_delivery as d')
    .innerJoin('webhook_event as v', 'v.seq', 'd.event_seq')
    .leftJoin('cases as c', 'c.id', 'd.case_id')
    .selectAll('d')
    .select(['v.id as event_id', 'v.type as event_type', 'c.reference'])
    .where('d.endpoint_id', '=', endpointId)
    .orderBy('d.created_at', 'desc')
    .orderBy('d.event_seq', 'desc')
    .limit(limit)
    .execute();
  const attempts = deliveries.length
    ? await db
        .selectFrom('webhook_attempt')
        .selectAll()
        .where(
          'delivery_id',
          'in',
          deliveries.map((d) => d.id),
        )
        .orderBy('id')
        .execute()
    : [];
  return deliveries.map((d) => ({ ...d, attempts_made: attempts.filter((a) => a.delivery_id === d.id) }));
}

export function deliveryOf(db: Executor, endpointId: string, deliveryId: string) {
  return db
    .selectFrom('webhook_delivery')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', deliveryId)
    .executeTakeFirst();
}
