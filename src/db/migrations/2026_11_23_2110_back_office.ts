/**
 * The back office: who a case is assigned to, its priority, and the audit trail of staff actions and
 * of views of cases with personal data. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table cases add column assignee_staff_id uuid references staff_user (id) on delete set null;
    alter table cases add column priority text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent'));
    create index cases_assignee_idx on cases (assignee_staff_id) where closed_at is null;
    create index cases_body_open_due_idx on cases (body_id, due_at) where closed_at is null;

    create table audit_event (
      id bigint generated always as identity primary key,
      staff_user_id uuid references staff_user (id) on delete set null,
      action text not null check (length(action) between 1 and 100),
      case_id uuid references cases (id) on delete set null,
      detail jsonb not null default '{}',
      ip text,
      created_at timestamptz not null default now()
    );
    create index audit_event_case_idx on audit_event (case_id, id);
    create index audit_event_staff_idx on audit_event (staff_user_id, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table audit_event;
    alter table cases drop column priority;
    alter table cases drop column assignee_staff_id;
  `.execute(db);
}
