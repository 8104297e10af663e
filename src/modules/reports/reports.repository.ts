import { sql, type Selectable } from 'kysely';
import type { CaseEventTable, CasesTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type CaseRow = Selectable<CasesTable>;
export type CaseEventRow = Selectable<CaseEventTable>;

export interface CaseWrite {
  reference: string;
  service_id: string;
  body_id: string;
  team_id: string | null;
  channel: CasesTable['channel'];
  description: string;
  answers: Record<string, string | string[]>;
  lat: number;
  lon: number;
  location_description: string;
  location_detail: string;
  areas: { kind: string; code: string; name: string }[];
  routing: Record<string, unknown>;
  due_at: Date;
  reporter_contact_id: string | null;
  reporter_name_public: boolean;
  updates_by_email: boolean;
  is_public: boolean;
  tracking_token_hash: string;
  idempotency_key: string | null;
  api_client_id: string | null;
}

/** Inserts the case; undefined when a case with the same idempotency key already exists. */
export async function insertCase(db: Executor, row: CaseWrite): Promise<CaseRow | undefined> {
  return db
    .insertInto('cases')
    .values({
      ...row,
      answers: JSON.stringify(row.answers),
      areas: JSON.stringify(row.areas),
      routing: JSON.stringify(row.routing),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function findByIdempotencyKey(db: Executor, key: string): Promise<CaseRow | undefined> {
  return db.selectFrom('cases').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

export function findByReference(db: Executor, reference: string): Promise<CaseRow | undefined> {
  return db.selectFrom('cases').selectAll().where('reference', '=', reference).executeTakeFirst();
}

export function findById(db: Executor, id: string): Promise<CaseRow | undefined> {
  return db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertEvent(
  db: Executor,
  event: {
    case_id: string;
    kind: string;
    is_public: boolean;
    body?: string;
    data?: Record<string, unknown>;
    actor: CaseEventRow['actor'];
    actor_staff_id?: string | null;
  },
): Promise<void> {
  await db
    .insertInto('case_event')
    .values({
      case_id: event.case_id,
      kind: event.kind,
      is_public: event.is_public,
      body: event.body ?? '',
      data: JSON.stringify(event.data ?? {}),
      actor: event.actor,
      actor_staff_id: event.actor_staff_id ?? null,
    })
    .execute();
}

export function listEvents(db: Executor, caseId: string, { publicOnly }: { publicOnly: boolean }) {
  let query = db.selectFrom('case_event').selectAll().where('case_id', '=', caseId).orderBy('id');
  if (publicOnly) query = query.where('is_public', '=', true);
  return query.execute();
}

/** Open cases in a bounding box, newest first (the caller measures exact distances). */
export function openCasesInBox(
  db: Executor,
  box: { minLat: number; maxLat: number; minLon: number; maxLon: number },
  options: { serviceId?: string; publicOnly: boolean; limit: number },
) {
  let query = db
    .selectFrom('cases')
    .innerJoin('service', 'service.id', 'cases.service_id')
    .select([
      'cases.id',
      'cases.reference',
      'cases.status',
      'cases.lat',
      'cases.lon',
      'cases.location_description',
      'cases.description',
      'cases.created_at',
      'cases.is_public',
      'service.code as service_code',
      'service.name as service_name',
      sql<number>`(select count(*) from case_follower f where f.case_id = cases.id)`.as('followers'),
    ])
    .where('cases.closed_at', 'is', null)
    .where('cases.lat', '>=', box.minLat)
    .where('cases.lat', '<=', box.maxLat)
    .where('cases.lon', '>=', box.minLon)
    .where('cases.lon', '<=', box.maxLon)
    .orderBy('cases.created_at', 'desc')
    .limit(options.limit);
  if (options.serviceId) query = query.where('cases.service_id', '=', options.serviceId);
  if (options.publicOnly) query = query.where('cases.is_public', '=', true);
  return query.execute();
}

export async function addFollower(
  db: Executor,
  caseId: string,
  contactId: string,
  updatesByEmail: boolean,
): Promise<boolean> {
  const row = await db
    .insertInto('case_follower')
    .values({ case_id: caseId, contact_id: contactId, updates_by_email: updatesByEmail })
    .onConflict((oc) => oc.columns(['case_id', 'contact_id']).doNothing())
    .returning('case_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function setTrackingTokenHash(db: Executor, caseId: string, hash: string): Promise<void> {
  await db
    .updateTable('cases')
    .set({ tracking_token_hash: hash, updated_at: new Date() })
    .where('id', '=', caseId)
    .execute();
}
