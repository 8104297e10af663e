/**
 * The case workflow, configured by admins: which statuses are in use and which each may move to. With
 * no rows every status is in use and may move to every other (the defaults). Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table case_workflow_status (
      status text primary key check (status in ('received', 'in_progress', 'action_scheduled', 'fixed',
        'closed_not_fixed', 'not_responsible', 'duplicate', 'cancelled')),
      enabled boolean not null default true,
      -- The statuses a case in this one may be moved to.
      next_statuses text[] not null default '{}',
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table case_workflow_status`.execute(db);
}
