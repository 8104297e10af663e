/**
 * Row types for tables the shared infrastructure owns rather than a feature: sessions
 * (src/infra/session.ts), the outbox and worker heartbeats (src/infra/jobs), and the audit trail every
 * writer appends to (src/modules/audit).
 */
import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from './column-types.js';

export interface SessionTable {
  id_hash: string;
  csrf_token: string;
  staff_user_id: string | null;
  data: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  expires_at: Timestamp;
}

export type JobStatus = 'pending' | 'running' | 'done' | 'dead';

export interface OutboxJobTable {
  id: ColumnType<number, never, never>;
  kind: string;
  payload: Json<Record<string, unknown>>;
  status: Generated<JobStatus>;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: ColumnType<Date, Date | string | undefined, Date | string>;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  dedupe_key: string | null;
  /** Jobs with the same key run one at a time, in id order (case events per subscriber and case). */
  ordering_key: Generated<string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  finished_at: Date | null;
}

export interface WorkerHeartbeatTable {
  worker_id: string;
  host: string;
  pid: number;
  started_at: Generated<Date>;
  last_seen_at: Generated<Date>;
}

export interface AuditEventTable {
  id: ColumnType<number, never, never>;
  staff_user_id: string | null;
  action: string;
  case_id: string | null;
  detail: Json<Record<string, unknown>>;
  ip: string | null;
  created_at: Generated<Date>;
}
