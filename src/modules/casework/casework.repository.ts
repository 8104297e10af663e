import { sql, type ExpressionBuilder } from 'kysely';
import type { CasePriority, CasesTable, CaseStatus, Database } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type QueueView = 'mine' | 'team' | 'unassigned' | 'due-soon' | 'overdue' | 'all';

export type QueueSort = 'due' | 'newest' | 'oldest' | 'priority' | 'reference';

/** Counts stop here: "more than 1,000" is all an officer needs, and counting a million rows is not free. */
export const COUNT_CAP = 1000;

export interface QueueFilter {
  /** The bodies whose cases this member of staff may see: their own, and any an admin granted. */
  bodyIds: string[];
  staffId: string;
  teamId: string | null;
  view: QueueView;
  serviceCode?: string;
  status?: 'open' | 'closed' | CaseStatus;
  wardCode?: string;
  priority?: CasePriority;
  channel?: string;
  /** Reported on or after this instant, and before that one. */
  reportedFrom?: Date;
  reportedBefore?: Date;
  text?: string;
  now: Date;
  dueSoonBefore: Date;
}

type Eb = ExpressionBuilder<Database, 'cases' | 'service'>;

function where(filter: QueueFilter, view: QueueView) {
  return (eb: Eb) => {
    const conditions = [eb('cases.body_id', 'in', filter.bodyIds)];
    switch (view) {
      case 'mine':
        conditions.push(eb('cases.assignee_staff_id', '=', filter.staffId));
        break;
      case 'team':
        conditions.push(filter.teamId ? eb('cases.team_id', '=', filter.teamId) : eb.val(false));
        break;
      case 'unassigned':
        conditions.push(eb('cases.assignee_staff_id', 'is', null));
        break;
      case 'due-soon':
        conditions.push(eb('cases.due_at', '>=', filter.now), eb('cases.due_at', '<', filter.dueSoonBefore));
        break;
      case 'overdue':
        conditions.push(eb('cases.due_at', '<', filter.now));
        break;
      case 'all':
        break;
    }
    // Every view but "all" is about work still to do.
    const status = filter.status ?? (view === 'all' ? undefined : 'open');
    if (status === 'open') conditions.push(eb('cases.closed_at', 'is', null));
    else if (status === 'closed') conditions.push(eb('cases.closed_at', 'is not', null));
    else if (status) conditions.push(eb('cases.status', '=', status));
    if (filter.serviceCode) conditions.push(eb('service.code', '=', filter.serviceCode));
    if (filter.priority) conditions.push(eb('cases.priority', '=', filter.priority));
    if (filter.channel) conditions.push(eb('cases.channel', '=', filter.channel as CasesTable['channel']));
    if (filter.reportedFrom) conditions.push(eb('cases.created_at', '>=', filter.reportedFrom));
    if (filter.reportedBefore) conditions.push(eb('cases.created_at', '<', filter.reportedBefore));
    if (filter.wardCode) {
      const ward = JSON.stringify([{ kind: 'ward', code: filter.wardCode }]);
      conditions.push(eb(sql<string>`cases.areas`, '@>', sql<string>`${ward}::jsonb`));
    }
    if (filter.text) {
      const like = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      conditions.push(
        eb.or([
          eb('cases.reference', 'ilike', like),
          eb('cases.description', 'ilike', like),
          eb('cases.location_description', 'ilike', like),
          eb('cases.location_detail', 'ilike', like),
        ]),
      );
    }
    return eb.and(conditions);
  };
}

/** Most urgent first; then the order asked for, with a unique tie-break so pages never overlap. */
const PRIORITY_RANK = sql`case cases.priority when 'urgent' then 0 when 'high' then 1 when 'normal' then 2 else 3 end`;

export async function queuePage(
  db: Executor,
  filter: QueueFilter,
  page: { limit: number; offset: number; sort?: QueueSort },
) {
  let query = db
    .selectFrom('cases')
    .innerJoin('service', 'service.id', 'cases.service_id')
    .leftJoin('team', 'team.id', 'cases.team_id')
    .leftJoin('staff_user as assignee', 'assignee.id', 'cases.assignee_staff_id')
    .select([
      'cases.id',
      'cases.reference',
      'cases.status',
      'cases.priority',
      'cases.channel',
      'cases.location_description',
      'cases.description',
      'cases.due_at',
      'cases.created_at',
      'cases.closed_at',
      'service.name as service_name',
      'team.name as team_name',
      'assignee.name as assignee_name',
    ])
    .where(where(filter, filter.view));
  switch (page.sort ?? 'due') {
    case 'due':
      query = query.orderBy(sql`cases.due_at asc nulls last`).orderBy('cases.created_at', 'desc');
      break;
    case 'newest':
      query = query.orderBy('cases.created_at', 'desc');
      break;
    case 'oldest':
      query = query.orderBy('cases.created_at', 'asc');
      break;
    case 'priority':
      query = query.orderBy(PRIORITY_RANK).orderBy(sql`cases.due_at asc nulls last`);
      break;
    case 'reference':
      query = query.orderBy('cases.reference', 'asc');
      break;
  }
  return query.orderBy('cases.id').limit(page.limit).offset(page.offset).execute();
}

/** How many cases a view holds, counting no further than COUNT_CAP + 1 (so "more than 1,000"). */
export async function queueCount(db: Executor, filter: QueueFilter, view: QueueView): Promise<number> {
  const row = await db
    .selectFrom((qb) =>
      qb
        .selectFrom('cases')
        .innerJoin('service', 'service.id', 'cases.service_id')
        .select('cases.id')
        .where(where(filter, view))
        .limit(COUNT_CAP + 1)
        .as('capped'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function caseByReference(db: Executor, reference: string) {
  return db.selectFrom('cases').selectAll().where('reference', '=', reference).executeTakeFirst();
}

export function timeline(db: Executor, caseId: string) {
  return db
    .selectFrom('case_event')
    .leftJoin('staff_user', 'staff_user.id', 'case_event.actor_staff_id')
    .select([
      'case_event.id',
      'case_event.kind',
      'case_event.is_public',
      'case_event.body',
      'case_event.data',
      'case_event.actor',
      'case_event.created_at',
      'staff_user.name as staff_name',
    ])
    .where('case_event.case_id', '=', caseId)
    .orderBy('case_event.id', 'desc')
    .execute();
}

/** The reporter's other cases among those bodies' (the ones the viewer may open). */
export function otherCasesOf(db: Executor, contactId: string, exceptCaseId: string, bodyIds: string[]) {
  return db
    .selectFrom('cases')
    .innerJoin('service', 'service.id', 'cases.service_id')
    .select(['cases.reference', 'cases.status', 'cases.created_at', 'service.name as service_name'])
    .where('cases.reporter_contact_id', '=', contactId)
    .where('cases.id', '!=', exceptCaseId)
    .where('cases.body_id', 'in', bodyIds)
    .orderBy('cases.created_at', 'desc')
    .limit(20)
    .execute();
}

/** A contact's cases in these bodies: those they reported and those they follow. */
export function casesOfContact(db: Executor, contactId: string, bodyIds: string[]) {
  return db
    .selectFrom('cases')
    .innerJoin('service', 'service.id', 'cases.service_id')
    .select([
      'cases.reference',
      'cases.status',
      'cases.created_at',
      'cases.closed_at',
      'cases.channel',
      'cases.location_description',
      'service.name as service_name',
    ])
    .select((eb) => eb('cases.reporter_contact_id', '=', contactId).as('reported'))
    .where('cases.body_id', 'in', bodyIds)
    .where((eb) =>
      eb.or([
        eb('cases.reporter_contact_id', '=', contactId),
        eb.exists(
          eb
            .selectFrom('case_follower')
            .select('case_follower.case_id')
            .whereRef('case_follower.case_id', '=', 'cases.id')
            .where('case_follower.contact_id', '=', contactId),
        ),
      ]),
    )
    .orderBy('cases.created_at', 'desc')
    .limit(100)
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

export function staffOfBody(db: Executor, bodyId: string) {
  return db
    .selectFrom('staff_user')
    .select(['id', 'name', 'team_id', 'role'])
    .where('body_id', '=', bodyId)
    .where('disabled_at', 'is', null)
    .orderBy('name')
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

export function teamLeadsOf(db: Executor, teamId: string) {
  return db
    .selectFrom('staff_user')
    .select(['email', 'name'])
    .where('team_id', '=', teamId)
    .where('role', '=', 'team_lead')
    .where('disabled_at', 'is', null)
    .execute();
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

export async function addFollower(
  db: Executor,
  caseId: string,
  contactId: string,
  updatesByEmail: boolean,
): Promise<void> {
  await db
    .insertInto('case_follower')
    .values({ case_id: caseId, contact_id: contactId, updates_by_email: updatesByEmail })
    .onConflict((oc) => oc.columns(['case_id', 'contact_id']).doNothing())
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

/** The cases marked as duplicates of this one, and the one it duplicates, for links on the case page. */
export async function duplicateLinks(db: Executor, caseId: string, duplicateOf: string | null) {
  const [original, duplicates] = await Promise.all([
    duplicateOf
      ? db.selectFrom('cases').select(['reference']).where('id', '=', duplicateOf).executeTakeFirst()
      : undefined,
    db
      .selectFrom('cases')
      .select(['reference'])
      .where('duplicate_of_case_id', '=', caseId)
      .orderBy('created_at')
      .limit(50)
      .execute(),
  ]);
  return { original: original?.reference ?? null, duplicates: duplicates.map((d) => d.reference) };
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

/** The outbox state of the jobs sending a case's emails (for the timeline's delivery state). */
export function outboxJobStates(db: Executor, ids: number[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('outbox_job')
    .select(['id', 'status', 'attempts', 'last_error'])
    .where('id', 'in', ids)
    .execute();
}

/** Emails sent about a body's cases to this address: the timeline events that record them. */
export function emailEventsTo(db: Executor, email: string, bodyIds: string[]) {
  return db
    .selectFrom('case_event')
    .innerJoin('cases', 'cases.id', 'case_event.case_id')
    .select([
      'case_event.id',
      'case_event.body',
      'case_event.data',
      'case_event.created_at',
      'cases.reference',
    ])
    .where('case_event.kind', '=', 'email_queued')
    .where('cases.body_id', 'in', bodyIds)
    .where(sql<boolean>`case_event.data->'emails' @> ${JSON.stringify([{ to: email }])}::jsonb`)
    .orderBy('case_event.id', 'desc')
    .limit(100)
    .execute();
}
