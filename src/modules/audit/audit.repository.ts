/**
 * The audit trail's SQL: the `audit_event` table is this module's. Reading it joins the names of staff
 * and the references of cases, for the admin page (a read model, not a write to their tables).
 */
import { sql } from 'kysely';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import type { AuditAction } from './audit.actions.js';

export interface AuditRecord {
  /** Who did it: null for another system (a CRM's key, a delivery job). */
  staffId: string | null;
  action: AuditAction;
  caseId?: string;
  detail?: Record<string, unknown>;
  ip?: string;
}

export async function insertAuditEvent(db: Executor, entry: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_event')
    .values({
      staff_user_id: entry.staffId,
      action: entry.action,
      case_id: entry.caseId ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
      ip: entry.ip ?? null,
    })
    .execute();
}

export interface AuditFilter {
  /** Done by this member of staff, or done to their account. */
  staffId?: string;
  action?: string;
  caseId?: string;
  /** From this instant (inclusive) to that one (exclusive). */
  from?: Date;
  to?: Date;
}

function auditQuery(db: Executor, filter: AuditFilter) {
  let query = db.selectFrom('audit_event');
  if (filter.staffId) {
    const id = filter.staffId;
    query = query.where((eb) =>
      eb.or([
        eb('audit_event.staff_user_id', '=', id),
        eb(sql`audit_event.detail->>'targetStaffId'`, '=', id),
      ]),
    );
  }
  if (filter.action) query = query.where('audit_event.action', '=', filter.action);
  if (filter.caseId) query = query.where('audit_event.case_id', '=', filter.caseId);
  if (filter.from) query = query.where('audit_event.created_at', '>=', filter.from);
  if (filter.to) query = query.where('audit_event.created_at', '<', filter.to);
  return query;
}

/** Newest first, with who did it and the case's reference. */
export async function auditEvents(
  db: Executor,
  filter: AuditFilter,
  { limit, offset }: { limit: number; offset: number },
) {
  return auditQuery(db, filter)
    .leftJoin('staff_user', 'staff_user.id', 'audit_event.staff_user_id')
    .leftJoin('cases', 'cases.id', 'audit_event.case_id')
    .select([
      'audit_event.id',
      'audit_event.action',
      'audit_event.detail',
      'audit_event.ip',
      'audit_event.created_at',
      'audit_event.staff_user_id',
      'staff_user.name as staff_name',
      'staff_user.email as staff_email',
      'cases.reference as case_reference',
    ])
    .orderBy('audit_event.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

export async function countAuditEvents(db: Executor, filter: AuditFilter): Promise<number> {
  const row = await auditQuery(db, filter)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Every action the trail has recorded, for the filter. */
export async function auditActions(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('audit_event').select('action').distinct().orderBy('action').execute();
  return rows.map((r) => r.action);
}

/** The case a reference typed into the filter names, if any. */
export function caseIdByReference(db: Executor, reference: string) {
  return db.selectFrom('cases').select('id').where('reference', '=', reference).executeTakeFirst();
}
