/**
 * The case status and priority vocabulary, in one place: what each is called on every page and in every
 * email, and which statuses close a case. Pure data; the workflow (which moves are allowed) is an
 * administrator's setting kept by the cases module.
 */
import type { CasePriority, CaseStatus } from '../db/database.js';

export type { CasePriority, CaseStatus };

export const STATUS_LABELS: Record<CaseStatus, string> = {
  received: 'Received',
  in_progress: 'In progress',
  action_scheduled: 'Action scheduled',
  fixed: 'Fixed',
  closed_not_fixed: 'Closed: not fixed',
  not_responsible: 'Not our responsibility',
  duplicate: 'Duplicate',
  cancelled: 'Cancelled',
};

/** Statuses that close a case; the others keep it open. */
export const CLOSING_STATUSES: ReadonlySet<CaseStatus> = new Set([
  'fixed',
  'closed_not_fixed',
  'not_responsible',
  'duplicate',
  'cancelled',
]);

export type Priority = CasePriority;

export const PRIORITY_LABELS: Record<Priority, string> = {
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  urgent: 'Urgent',
};

export function isPriority(value: string): value is Priority {
  return Object.hasOwn(PRIORITY_LABELS, value);
}
