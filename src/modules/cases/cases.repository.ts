/**
 * All SQL that writes the case tables (cases, case_event, case_follower), and the plain reads of one case.
 * Only the cases module's services call it. `updated_at` is kept here and nowhere else: every write to a
 * case row sets it, and so does every timeline entry (touch) except the note that emails were queued
 * (bookkeeping, not a change), so "recently changed" means what it says.
 */
import { sql, type Selectable } from 'kysely';
import type { CaseEventTable, CasePriority, CasesTable, CaseStatus } from '../../db/database.js';
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
  { touch: touchCase = true }: { touch?: boolean } = {},
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
  if (touchCase) await touch(db, event.case_id);
}

/** Marks the case changed now, and takes its row lock for the rest of the transaction. */
export async function touch(db: Executor, caseId: string): Promise<void> {
  await db.updateTable('cases').set({ updated_at: new Date() }).where('id', '=', caseId).execute();
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

export function followersToEmail(db: Executor, caseId: string) {
  return db
    .selectFrom('case_follower')
    .innerJoin('contact', 'contact.id', 'case_follower.contact_id')
    .select(['contact.id', 'contact.email'])
    .where('case_follower.case_id', '=', caseId)
    .where('case_follower.updates_by_email', '=', true)
    .where('contact.email', 'is not', null)
    .execute();
}

export async function updateCase(
  db: Executor,
  caseId: string,
  changes: Partial<{
    status: CaseStatus;
    closed_at: Date | null;
    outcome: string | null;
    assignee_staff_id: string | null;
    team_id: string | null;
    priority: 'low' | 'normal' | 'high' | 'urgent';
  }>,
): Promise<void> {
  await db
    .updateTable('cases')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', caseId)
    .execute();
}

/** Open cases past their due date whose people have not been told yet, oldest first. */
export function overdueUnnotified(db: Executor, now: Date, limit: number) {
  return db
    .selectFrom('cases')
    .selectAll()
    .where('closed_at', 'is', null)
    .where('overdue_notified_at', 'is', null)
    .where('due_at', '<', now)
    .orderBy('due_at')
    .limit(limit)
    .execute();
}

/** Marks the notice sent; false if another worker got there first (so it is sent once). */
export async function markOverdueNotified(db: Executor, caseId: string, revisedDue: Date): Promise<boolean> {
  const result = await db
    .updateTable('cases')
    .set({ overdue_notified_at: new Date(), revised_due_at: revisedDue })
    .where('id', '=', caseId)
    .where('overdue_notified_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A case's new service and where it was routed to: body, team, due date, the stored decision. */
export async function reroute(
  db: Executor,
  caseId: string,
  changes: {
    service_id: string;
    body_id: string;
    team_id: string | null;
    assignee_staff_id: string | null;
    due_at: Date;
    is_public: boolean;
    areas: { kind: string; code: string; name: string }[];
    routing: Record<string, unknown>;
  },
): Promise<void> {
  await db
    .updateTable('cases')
    .set({
      ...changes,
      areas: JSON.stringify(changes.areas),
      routing: JSON.stringify(changes.routing),
      updated_at: new Date(),
    })
    .where('id', '=', caseId)
    .execute();
}

/**
 * Closes `caseId` as a duplicate of `originalId`. Cases that were duplicates of it now point at the
 * original too, so there is never a chain to follow.
 */
export async function markDuplicate(
  db: Executor,
  caseId: string,
  originalId: string,
  outcome: string,
): Promise<void> {
  const now = new Date();
  await db
    .updateTable('cases')
    .set({ status: 'duplicate', closed_at: now, outcome, duplicate_of_case_id: originalId, updated_at: now })
    .where('id', '=', caseId)
    .execute();
  await db
    .updateTable('cases')
    .set({ duplicate_of_case_id: originalId, updated_at: now })
    .where('duplicate_of_case_id', '=', caseId)
    .execute();
}

/** Followers of a case with the address that identifies them (contacts are not merged until verified). */
export function followersOf(db: Executor, caseId: string) {
  return db
    .selectFrom('case_follower')
    .innerJoin('contact', 'contact.id', 'case_follower.contact_id')
    .select(['case_follower.contact_id', 'case_follower.updates_by_email', 'contact.email_normalised'])
    .where('case_follower.case_id', '=', caseId)
    .execute();
}

export async function wantUpdates(db: Executor, caseId: string, contactId: string): Promise<void> {
  await db
    .updateTable('case_follower')
    .set({ updates_by_email: true })
    .where('case_id', '=', caseId)
    .where('contact_id', '=', contactId)
    .execute();
}

export async function removeFollowers(db: Executor, caseId: string): Promise<void> {
  await db.deleteFrom('case_follower').where('case_id', '=', caseId).execute();
}

/** Locks the cases' rows for the rest of the transaction (in id order, so two callers never deadlock). */
export function lockCases(db: Executor, ids: string[]) {
  return db
    .selectFrom('cases')
    .select(['id', 'closed_at', 'duplicate_of_case_id'])
    .where('id', 'in', ids)
    .orderBy('id')
    .forUpdate()
    .execute();
}

export function caseIdByReference(db: Executor, reference: string) {
  return db.selectFrom('cases').select('id').where('reference', '=', reference).executeTakeFirst();
}

/** Another system's reference for the case (one per case: the latest system to set it). */
export async function setExternalReference(
  db: Executor,
  caseId: string,
  apiClientId: string,
  value: string,
): Promise<void> {
  await db
    .insertInto('case_external_reference')
    .values({ case_id: caseId, api_client_id: apiClientId, external_reference: value })
    .onConflict((oc) =>
      oc.column('case_id').doUpdateSet({
        external_reference: value,
        api_client_id: apiClientId,
        updated_at: new Date(),
      }),
    )
    .execute();
}

/**
 * Moves a resident's cases and follows from one contact record to another (a contact merge). A case both
 * followed keeps one row, asking for updates if either did. Returns how many cases they had reported.
 */
export async function moveReporter(db: Executor, fromId: string, intoId: string): Promise<number> {
  const cases = await db
    .updateTable('cases')
    .set({ reporter_contact_id: intoId, updated_at: new Date() })
    .where('reporter_contact_id', '=', fromId)
    .executeTakeFirst();
  await sql`
    insert into case_follower (case_id, contact_id, updates_by_email, created_at)
    select case_id, ${intoId}, updates_by_email, created_at from case_follower where contact_id = ${fromId}
    on conflict (case_id, contact_id)
      do update set updates_by_email = case_follower.updates_by_email or excluded.updates_by_email
  `.execute(db);
  await db.deleteFrom('case_follower').where('contact_id', '=', fromId).execute();
  return Number(cases.numUpdatedRows);
}

/** The case as other systems see it (codes and names, no resident's personal data), as a plain row. */
function snapshotRow(db: Executor, caseId: string) {
  return db
    .selectFrom('cases as c')
    .innerJoin('service as s', 's.id', 'c.service_id')
    .innerJoin('body as b', 'b.id', 'c.body_id')
    .leftJoin('team as t', 't.id', 'c.team_id')
    .leftJoin('case_external_reference as x', 'x.case_id', 'c.id')
    .select([
      'c.id',
      'c.reference',
      'c.status',
      'c.priority',
      'c.channel',
      'c.description',
      'c.lat',
      'c.lon',
      'c.location_description',
      'c.location_detail',
      'c.due_at',
      'c.revised_due_at',
      'c.closed_at',
      'c.outcome',
      'c.is_public',
      'c.created_at',
      'c.updated_at',
      'c.body_id',
      'c.service_id',
      's.code as service_code',
      's.name as service_name',
      'b.code as body_code',
      'b.name as body_name',
      't.code as team_code',
      't.name as team_name',
      'x.external_reference',
    ])
    .where('c.id', '=', caseId)
    .executeTakeFirst();
}

/**
 * The case as other systems see it, read inside the transaction that changed it, with times as ISO
 * strings so that it travels in an outbox job's payload unchanged.
 */
export async function caseSnapshot(db: Executor, caseId: string): Promise<CaseSnapshot | undefined> {
  const row = await snapshotRow(db, caseId);
  if (!row) return undefined;
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    ...row,
    due_at: iso(row.due_at),
    revised_due_at: iso(row.revised_due_at),
    closed_at: iso(row.closed_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    external_reference: row.external_reference ?? null,
  };
}

/** The case as other systems see it: what webhooks and the CRM API send (see caseSnapshot). */
export interface CaseSnapshot {
  id: string;
  reference: string;
  status: CaseStatus;
  priority: CasePriority;
  channel: CasesTable['channel'];
  description: string;
  lat: number;
  lon: number;
  location_description: string;
  location_detail: string;
  due_at: string | null;
  revised_due_at: string | null;
  closed_at: string | null;
  outcome: string | null;
  is_public: boolean;
  created_at: string;
  updated_at: string;
  body_id: string;
  service_id: string;
  service_code: string;
  service_name: string;
  body_code: string;
  body_name: string;
  team_code: string | null;
  team_name: string | null;
  external_reference: string | null;
}

/**
 * A body's cases in the order they last changed, for systems that keep a copy (the CRM API): keyset paging
 * on (updated_at, id), compared in the database's own precision (microseconds), so the cursor a page
 * ends on is exactly where the next begins. `updated_text` is that position as text.
 */
export function changedInBody(
  db: Executor,
  bodyId: string,
  filter: {
    updatedSince?: Date;
    status?: CaseStatus;
    serviceCode?: string;
    after?: { at: string; id: string };
    limit: number;
  },
) {
  let q = db
    .selectFrom('cases as c')
    .select(['c.id', sql<string>`c.updated_at::text`.as('updated_text')])
    .where('c.body_id', '=', bodyId);
  if (filter.updatedSince) q = q.where('c.updated_at', '>=', filter.updatedSince);
  if (filter.status) q = q.where('c.status', '=', filter.status);
  if (filter.serviceCode) {
    const code = filter.serviceCode;
    q = q.where('c.service_id', 'in', (eb) => eb.selectFrom('service').select('id').where('code', '=', code));
  }
  const after = filter.after;
  if (after) q = q.where(sql<boolean>`(c.updated_at, c.id) > (${after.at}::timestamptz, ${after.id}::uuid)`);
  return q.orderBy('c.updated_at').orderBy('c.id').limit(filter.limit).execute();
}
