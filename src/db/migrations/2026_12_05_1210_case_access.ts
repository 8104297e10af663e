/**
 * Cross-body case access, configured by admins: the staff of one body may also see and work the cases
 * of another (a county contact centre taking calls for a district, a council working its parishes'
 * cases). Without a row, staff see their own body's cases only. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table body_case_access (
      -- Whose staff...
      body_id uuid not null references body (id) on delete cascade,
      -- ...may also see and work this body's cases.
      case_body_id uuid not null references body (id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (body_id, case_body_id),
      check (body_id <> case_body_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table body_case_access`.execute(db);
}
