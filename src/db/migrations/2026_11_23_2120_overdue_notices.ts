/**
 * When a case's resident and team lead were told it is overdue, so the notice goes once, not daily.
 * Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table cases add column overdue_notified_at timestamptz;
    alter table cases add column revised_due_at timestamptz;
    create index cases_overdue_idx on cases (due_at) where closed_at is null and overdue_notified_at is null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table cases drop column revised_due_at;
    alter table cases drop column overdue_notified_at;
  `.execute(db);
}
