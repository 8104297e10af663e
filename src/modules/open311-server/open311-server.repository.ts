/**
 * The queries of the Open311 server. It reads public cases and their public updates (as the public
 * report pages show them) and keeps its own tables: the updates clients POSTed, and tokens.
 */
import { sql, type Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';

export interface RequestRow {
  id: string;
  reference: string;
  status: CaseStatus;
  service_code: string;
  service_name: string;
  body_name: string;
  description: string;
  location_description: string;
  location_detail: string;
  lat: number;
  lon: number;
  due_at: Date | null;
  revised_due_at: Date | null;
  closed_at: Date | null;
  outcome: string | null;
  created_at: Date;
  updated_at: Date;
  last_update: string | null;
  /** The case's first public photo. */
  photo_id: string | null;
}

export interface RequestSearch {
  references?: string[];
  serviceCodes?: string[];
  from?: Date;
  to?: Date;
  /** On the last change rather than the time requested. */
  updatedFrom?: Date;
  updatedTo?: Date;
  /** Which statuses count (already mapped from open/closed). */
  statuses?: CaseStatus[];
  limit: number;
  offset: number;
}

function requestsQuery(db: Kysely<Database>) {
  return db
    .selectFrom('cases as c')
    .innerJoin('service as s', 's.id', 'c.service_id')
    .innerJoin('body as b', 'b.id', 'c.body_id')
    .select([
      'c.id',
      'c.reference',
      'c.status',
      's.code as service_code',
      's.name as service_name',
      'b.name as body_name',
      'c.description',
      'c.location_description',
      'c.location_detail',
      'c.lat',
      'c.lon',
      'c.due_at',
      'c.revised_due_at',
      'c.closed_at',
      'c.outcome',
      'c.created_at',
      'c.updated_at',
    ])
    .select((eb) =>
      eb
        .selectFrom('case_event as e')
        .select('e.body')
        .whereRef('e.case_id', '=', 'c.id')
        .where('e.kind', '=', 'public_update')
        .where('e.is_public', '=', true)
        .orderBy('e.id', 'desc')
        .limit(1)
        .as('last_update'),
    )
    .select((eb) =>
      eb
        .selectFrom('photo as p')
        .select('p.id')
        .whereRef('p.case_id', '=', 'c.id')
        .where('p.is_public', '=', true)
        .orderBy('p.created_at')
        .orderBy('p.id')
        .limit(1)
        .as('photo_id'),
    )
    .where('c.is_public', '=', true);
}

/** Public cases, newest first. */
export async function searchRequests(db: Kysely<Database>, search: RequestSearch): Promise<RequestRow[]> {
  let q = requestsQuery(db);
  if (search.references) {
    q = q.where('c.reference', 'in', search.references.length ? search.references : ['']);
  } else {
    if (search.serviceCodes?.length) q = q.where('s.code', 'in', search.serviceCodes);
    if (search.from) q = q.where('c.created_at', '>=', search.from);
    if (search.to) q = q.where('c.created_at', '<=', search.to);
    if (search.updatedFrom) q = q.where('c.updated_at', '>=', search.updatedFrom);
    if (search.updatedTo) q = q.where('c.updated_at', '<=', search.updatedTo);
    if (search.statuses)
      q = q.where('c.status', 'in', search.statuses.length ? search.statuses : ['received']);
  }
  return (await q
    .orderBy('c.created_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(search.limit)
    .offset(search.offset)
    .execute()) as RequestRow[];
}

/** A case by reference (public or not), for the checks before a client's update is applied. */
export function caseForUpdate(db: Kysely<Database>, reference: string) {
  return db
    .selectFrom('cases')
    .select(['id', 'reference', 'body_id', 'api_client_id', 'status'])
    .where('reference', '=', reference)
    .executeTakeFirst();
}

export interface UpdateRow {
  id: number;
  reference: string;
  kind: string;
  body: string;
  created_at: Date;
  status_then: CaseStatus | null;
  external_status_code: string | null;
}

/**
 * Public updates on public cases in a window: each public update, and each status change that came
 * without one (an update with both is one row: the public update, with the status it set).
 */
export async function updatesBetween(
  db: Kysely<Database>,
  from: Date,
  to: Date,
  limit: number,
): Promise<UpdateRow[]> {
  return (await db
    .selectFrom('case_event as e')
    .innerJoin('cases as c', 'c.id', 'e.case_id')
    .select(['e.id', 'c.reference', 'e.kind', 'e.body', 'e.created_at'])
    .select(
      sql<CaseStatus | null>`(select s.data->>'to' from case_event s where s.case_id = e.case_id
        and s.kind = 'status_changed' and s.created_at <= e.created_at order by s.created_at desc, s.id desc limit 1)`.as(
        'status_then',
      ),
    )
    .select((eb) =>
      eb
        .selectFrom('open311_server_update as u')
        .select('u.external_status_code')
        .whereRef('u.event_id', '=', 'e.id')
        .limit(1)
        .as('external_status_code'),
    )
    .where('c.is_public', '=', true)
    .where('e.is_public', '=', true)
    .where('e.kind', 'in', ['status_changed', 'public_update'])
    .where('e.created_at', '>=', from)
    .where('e.created_at', '<=', to)
    .where((eb) =>
      eb.or([
        eb('e.kind', '=', 'public_update'),
        eb.not(
          eb.exists(
            eb
              .selectFrom('case_event as p')
              .select('p.id')
              .whereRef('p.case_id', '=', 'e.case_id')
              .whereRef('p.created_at', '=', 'e.created_at')
              .where('p.kind', '=', 'public_update'),
          ),
        ),
      ]),
    )
    .orderBy('e.created_at')
    .orderBy('e.id')
    .limit(limit)
    .execute()) as UpdateRow[];
}

/** Claims a client's update id; false when it was claimed before (its stored answer is then read). */
export async function claimUpdate(
  db: Kysely<Database>,
  claim: { apiClientId: string; updateId: string; caseId: string; externalStatusCode: string | null },
): Promise<boolean> {
  const row = await db
    .insertInto('open311_server_update')
    .values({
      api_client_id: claim.apiClientId,
      update_id: claim.updateId,
      case_id: claim.caseId,
      external_status_code: claim.externalStatusCode,
    })
    .onConflict((oc) => oc.columns(['api_client_id', 'update_id']).doNothing())
    .returning('update_id')
    .executeTakeFirst();
  return row !== undefined;
}

export function claimedUpdate(db: Kysely<Database>, apiClientId: string, updateId: string) {
  return db
    .selectFrom('open311_server_update')
    .selectAll()
    .where('api_client_id', '=', apiClientId)
    .where('update_id', '=', updateId)
    .executeTakeFirst();
}

export async function forgetUpdate(db: Kysely<Database>, apiClientId: string, updateId: string) {
  await db
    .deleteFrom('open311_server_update')
    .where('api_client_id', '=', apiClientId)
    .where('update_id', '=', updateId)
    .execute();
}

/** Marks a claimed update applied, with the timeline event that now stands for it. */
export async function finishUpdate(
  db: Kysely<Database>,
  apiClientId: string,
  updateId: string,
  caseId: string,
  since: number,
): Promise<number | null> {
  const event = await db
    .selectFrom('case_event')
    .select('id')
    .where('case_id', '=', caseId)
    .where('kind', 'in', ['public_update', 'status_changed'])
    .where('actor', '=', 'integration')
    .where('id', '>', since)
    .orderBy(sql`kind = 'public_update'`, 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  await db
    .updateTable('open311_server_update')
    .set({ state: 'done', event_id: event?.id ?? null })
    .where('api_client_id', '=', apiClientId)
    .where('update_id', '=', updateId)
    .execute();
  return event?.id ?? null;
}

export async function lastEventId(db: Kysely<Database>, caseId: string): Promise<number> {
  const row = await db
    .selectFrom('case_event')
    .select((eb) => eb.fn.max('id').as('max'))
    .where('case_id', '=', caseId)
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

export async function insertToken(
  db: Kysely<Database>,
  token: string,
  caseId: string,
  apiClientId: string,
): Promise<void> {
  await db
    .insertInto('open311_token')
    .values({ token, case_id: caseId, api_client_id: apiClientId })
    .execute();
}

export function tokenCase(db: Kysely<Database>, token: string) {
  return db
    .selectFrom('open311_token as t')
    .innerJoin('cases as c', 'c.id', 't.case_id')
    .select(['t.token', 'c.reference'])
    .where('t.token', '=', token)
    .executeTakeFirst();
}
