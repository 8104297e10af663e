/** The council's workflow as stored: one row per status it has configured (none means the defaults). */
import type { CaseStatus } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export function workflowStatuses(db: Executor) {
  return db.selectFrom('case_workflow_status').selectAll().execute();
}

/** Replaces the whole workflow; call inside a transaction so readers never see it half-written. */
export async function replaceWorkflow(
  trx: Executor,
  workflow: { status: CaseStatus; enabled: boolean; next: CaseStatus[] }[],
): Promise<void> {
  await trx.deleteFrom('case_workflow_status').execute();
  await trx
    .insertInto('case_workflow_status')
    .values(workflow.map((w) => ({ status: w.status, enabled: w.enabled, next_statuses: w.next })))
    .execute();
}
