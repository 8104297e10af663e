/**
 * The case workflow: which statuses a council uses and which each may move to. Admins set it on
 * /admin/workflow; case work (the case page, bulk changes, the CRM API, Open311) moves cases only along
 * it. The defaults are every status, each able to move to any other, reopening included.
 */
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import { CLOSING_STATUSES, STATUS_LABELS } from '../../lib/case-status.js';
import * as repo from './workflow.repository.js';

export const ALL_STATUSES = Object.keys(STATUS_LABELS) as CaseStatus[];

/** Every case starts here, so it cannot be switched off. */
export const FIRST_STATUS: CaseStatus = 'received';

export interface WorkflowStatus {
  status: CaseStatus;
  label: string;
  closes: boolean;
  enabled: boolean;
  next: CaseStatus[];
}

export type Workflow = WorkflowStatus[];

export function defaultWorkflow(): Workflow {
  return ALL_STATUSES.map((status) => ({
    status,
    label: STATUS_LABELS[status],
    closes: CLOSING_STATUSES.has(status),
    enabled: true,
    next: ALL_STATUSES.filter((s) => s !== status),
  }));
}

export class WorkflowService {
  constructor(private readonly db: Kysely<Database>) {}

  async get(): Promise<Workflow> {
    const rows = await repo.workflowStatuses(this.db);
    if (rows.length === 0) return defaultWorkflow();
    const byStatus = new Map(rows.map((r) => [r.status, r]));
    return defaultWorkflow().map((w) => {
      const row = byStatus.get(w.status);
      return row ? { ...w, enabled: row.enabled, next: row.next_statuses.filter((s) => s !== w.status) } : w;
    });
  }

  /** The statuses a case in `from` may be moved to now (in use, and allowed from there). */
  async nextStatuses(from: CaseStatus): Promise<CaseStatus[]> {
    const workflow = await this.get();
    const enabled = new Set(workflow.filter((w) => w.enabled).map((w) => w.status));
    return (workflow.find((w) => w.status === from)?.next ?? []).filter((s) => enabled.has(s));
  }

  /** Refuses a move the workflow does not allow, saying which moves it does. */
  async check(from: CaseStatus, to: CaseStatus): Promise<void> {
    if (from === to) return;
    const allowed = await this.nextStatuses(from);
    if (!allowed.includes(to)) {
      const message = `A case that is “${STATUS_LABELS[from]}” cannot be moved to “${STATUS_LABELS[to]}”${
        allowed.length ? `: choose ${allowed.map((s) => `“${STATUS_LABELS[s]}”`).join(', ')}` : ''
      }`;
      throw new AppError('validation_failed', message, [{ field: 'status', message }]);
    }
  }

  /** Saves the whole workflow, or refuses it with what is wrong. */
  async save(workflow: { status: CaseStatus; enabled: boolean; next: CaseStatus[] }[]): Promise<void> {
    const problems: FieldError[] = [];
    const known = new Set(ALL_STATUSES);
    if (workflow.length !== ALL_STATUSES.length || workflow.some((w) => !known.has(w.status)))
      problems.push({ field: 'workflow', message: 'Every status must be in the form' });
    const enabled = new Set(workflow.filter((w) => w.enabled).map((w) => w.status));
    if (!enabled.has(FIRST_STATUS))
      problems.push({
        field: `enabled-${FIRST_STATUS}`,
        message: 'Every case starts as “Received”: keep it in use',
      });
    if (![...enabled].some((s) => CLOSING_STATUSES.has(s)))
      problems.push({
        field: 'enabled-fixed',
        message: 'Keep at least one status that closes a case in use',
      });
    for (const w of workflow) {
      if (!w.enabled) continue;
      if (w.next.some((s) => !known.has(s)))
        problems.push({ field: `next-${w.status}`, message: 'Choose from the statuses listed' });
      // An open status that can go nowhere would leave cases stuck in it for ever.
      if (!CLOSING_STATUSES.has(w.status) && !w.next.some((s) => enabled.has(s) && s !== w.status)) {
        problems.push({
          field: `next-${w.status}`,
          message: `Choose at least one status a case can move to from “${STATUS_LABELS[w.status]}”`,
        });
      }
    }
    if (problems.length) throw new AppError('validation_failed', 'The workflow cannot be saved', problems);
    await this.db.transaction().execute((trx) =>
      repo.replaceWorkflow(
        trx,
        workflow.map((w) => ({ ...w, next: w.next.filter((s) => s !== w.status) })),
      ),
    );
  }
}
