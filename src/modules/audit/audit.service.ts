/**
 * The audit trail: what staff (and other systems) did, and which cases and contacts staff looked at.
 * Writers call `audit(executor, record)` inside their own transaction, so the row commits or rolls back
 * with the change it records; administrators read the trail through AuditService.trail().
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { normaliseReference } from '../../lib/reference.js';
import * as repo from './audit.repository.js';

export type { AuditRecord } from './audit.repository.js';

/** Writes one row of the audit trail with `executor`: the caller's transaction, or the database. */
export function audit(executor: Executor, record: repo.AuditRecord): Promise<void> {
  return repo.insertAuditEvent(executor, record);
}

/** One row of the audit trail as the admin view shows it. */
export interface AuditEntry {
  id: number;
  action: string;
  at: Date;
  ip: string | null;
  /** Who did it (null for another system, or a deleted account). */
  staff: { id: string; name: string; email: string } | null;
  caseReference: string | null;
  detail: Record<string, unknown>;
}

export class AuditService {
  constructor(private readonly db: Kysely<Database>) {}

  /** Writes one row, with the caller's transaction when it has one. */
  record(record: repo.AuditRecord, executor: Executor = this.db): Promise<void> {
    return audit(executor, record);
  }

  /**
   * The audit trail for administrators (the route checks the role): newest first, a page at a time,
   * filtered by person (who did it, or whose account it was done to), action, case and time. A case
   * reference that matches no case matches no event.
   */
  async trail(query: {
    staffId?: string;
    action?: string;
    caseReference?: string;
    from?: Date;
    to?: Date;
    page: number;
    pageSize: number;
  }): Promise<{ events: AuditEntry[]; total: number; actions: string[] }> {
    const filter: repo.AuditFilter = {
      ...(query.staffId ? { staffId: query.staffId } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
    };
    if (query.caseReference) {
      const found = await repo.caseIdByReference(this.db, normaliseReference(query.caseReference));
      if (!found) return { events: [], total: 0, actions: await repo.auditActions(this.db) };
      filter.caseId = found.id;
    }
    const [rows, total, actions] = await Promise.all([
      repo.auditEvents(this.db, filter, {
        limit: query.pageSize,
        offset: (query.page - 1) * query.pageSize,
      }),
      repo.countAuditEvents(this.db, filter),
      repo.auditActions(this.db),
    ]);
    return {
      events: rows.map((row) => ({
        id: Number(row.id),
        action: row.action,
        at: row.created_at,
        ip: row.ip,
        staff: row.staff_user_id
          ? { id: row.staff_user_id, name: row.staff_name ?? '', email: row.staff_email ?? '' }
          : null,
        caseReference: row.case_reference,
        detail: (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as Record<
          string,
          unknown
        >,
      })),
      total,
      actions,
    };
  }
}
