/**
 * Bulk actions on the queue: one assignment or one status change with one public update, applied to
 * every selected case. Each case goes through CasesService.assign/update exactly as a single change
 * does, so each gets its own timeline event, audit record, resident emails and webhooks; nothing here
 * writes to the database directly.
 */
import type { CaseStatus } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import type { Actor, CasesService } from '../cases/index.js';
import { PAGE_SIZE } from './casework.service.js';

/** A bulk action never covers more than one page of the queue: what the officer could see and tick. */
export const BULK_LIMIT = PAGE_SIZE;

export type BulkAction =
  | { kind: 'assign'; staffId?: string | null; teamId?: string | null }
  | { kind: 'status'; status: CaseStatus; publicUpdate: string; outcome?: string };

export interface BulkResult {
  changed: number;
}

/** Validates the selection as a whole before touching any case, so a refused bulk action changes nothing. */
async function checkSelection(
  cases: CasesService,
  actor: Actor,
  references: readonly string[],
): Promise<string[]> {
  const unique = [...new Set(references.map((r) => r.trim()).filter(Boolean))];
  if (unique.length === 0)
    throw new AppError('validation_failed', 'Select at least one case', [
      { field: 'cases', message: 'Select at least one case' },
    ]);
  if (unique.length > BULK_LIMIT)
    throw new AppError('validation_failed', `Select ${BULK_LIMIT} cases or fewer`, [
      { field: 'cases', message: `Select ${BULK_LIMIT} cases or fewer` },
    ]);
  // caseFor answers not_found for another body's case: the whole action is refused, without saying which
  // references exist elsewhere.
  for (const reference of unique) await cases.caseFor(actor, reference);
  return unique;
}

/**
 * Applies `action` to each selected case in turn. Each case is its own transaction (as a single change is),
 * so a failure part-way leaves the cases before it changed; the count says how many were.
 */
export async function applyBulkAction(
  cases: CasesService,
  actor: Actor,
  references: readonly string[],
  action: BulkAction,
): Promise<BulkResult> {
  if (action.kind === 'status' && actor.role === 'agent')
    throw new AppError('forbidden', 'Contact-centre agents cannot change the status of cases');
  if (action.kind === 'assign' && action.staffId === undefined && !action.teamId)
    throw new AppError('validation_failed', 'Choose who to assign the cases to', [
      { field: 'assignTo', message: 'Choose who to assign the cases to' },
    ]);
  const selected = await checkSelection(cases, actor, references);
  let changed = 0;
  for (const reference of selected) {
    if (action.kind === 'assign') {
      await cases.assign(actor, reference, {
        ...(action.staffId !== undefined ? { staffId: action.staffId } : {}),
        ...(action.teamId ? { teamId: action.teamId } : {}),
      });
    } else {
      await cases.update(actor, reference, {
        status: action.status,
        publicUpdate: action.publicUpdate,
        ...(action.outcome ? { outcome: action.outcome } : {}),
      });
    }
    changed += 1;
  }
  return { changed };
}
