/**
 * Marking a case as a duplicate of another: the duplicate points at its original, so the case page can
 * link the two and a case that is itself a duplicate is never chosen as an original (no chains).
 * Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table cases add column duplicate_of_case_id uuid references cases (id) on delete set null;
    create index cases_duplicate_of_idx on cases (duplicate_of_case_id) where duplicate_of_case_id is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index cases_duplicate_of_idx;
    alter table cases drop column duplicate_of_case_id;
  `.execute(db);
}
