/**
 * Row types for the case core (src/modules/cases): cases, their timeline, followers, external references
 * and the workflow's statuses; also the response templates (src/modules/response-templates), which are
 * typed by the case statuses they may set.
 */
import type { ColumnType, Generated } from 'kysely';
import type { Json } from './column-types.js';

export type CaseStatus =
  | 'received'
  | 'in_progress'
  | 'action_scheduled'
  | 'fixed'
  | 'closed_not_fixed'
  | 'not_responsible'
  | 'duplicate'
  | 'cancelled';

export type CaseChannel = 'web' | 'api' | 'phone' | 'email' | 'visit' | 'letter' | 'open311';

export type CasePriority = 'low' | 'normal' | 'high' | 'urgent';

export interface CasesTable {
  id: Generated<string>;
  reference: string;
  service_id: string;
  body_id: string;
  team_id: string | null;
  status: Generated<CaseStatus>;
  channel: CaseChannel;
  description: Generated<string>;
  answers: Json<Record<string, string | string[]>>;
  lat: number;
  lon: number;
  location_description: Generated<string>;
  location_detail: Generated<string>;
  areas: Json<{ kind: string; code: string; name: string }[]>;
  routing: Json<Record<string, unknown>>;
  due_at: Date | null;
  reporter_contact_id: string | null;
  reporter_name_public: Generated<boolean>;
  updates_by_email: Generated<boolean>;
  is_public: Generated<boolean>;
  tracking_token_hash: string;
  idempotency_key: string | null;
  api_client_id: string | null;
  outcome: string | null;
  closed_at: Date | null;
  assignee_staff_id: ColumnType<string | null, string | null | undefined, string | null>;
  priority: Generated<CasePriority>;
  overdue_notified_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The new expected date the resident was given when the first one passed. */
  revised_due_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The original, when this case was marked as its duplicate (never itself a duplicate: no chains). */
  duplicate_of_case_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CaseEventTable {
  id: ColumnType<number, never, never>;
  case_id: string;
  kind: string;
  is_public: Generated<boolean>;
  body: Generated<string>;
  data: Json<Record<string, unknown>>;
  actor: 'resident' | 'staff' | 'system' | 'integration';
  actor_staff_id: string | null;
  created_at: Generated<Date>;
}

export interface CaseFollowerTable {
  case_id: string;
  contact_id: string;
  updates_by_email: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface CaseExternalReferenceTable {
  case_id: string;
  api_client_id: string | null;
  external_reference: string;
  updated_at: Generated<Date>;
}

export interface CaseWorkflowStatusTable {
  status: CaseStatus;
  enabled: Generated<boolean>;
  next_statuses: Generated<CaseStatus[]>;
  updated_at: Generated<Date>;
}

/** Words an officer starts a public update from (src/modules/response-templates). */
export interface ResponseTemplateTable {
  id: Generated<string>;
  name: string;
  body: string;
  sets_status: CaseStatus | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
