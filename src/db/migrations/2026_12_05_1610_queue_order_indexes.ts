/**
 * The queue's two most used orders over all cases, open and closed: by due date (the default) and by
 * when reported (newest or oldest first). With them, a broad text search ("kerb", one case in twelve)
 * walks the cases in the page's order and stops after 50 matches, instead of reading every match to
 * sort it (about a second at a million cases; see bench/README.md). Narrow searches still use the
 * trigram indexes. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index cases_due_order_idx on cases (due_at, created_at desc, id);
    create index cases_created_order_idx on cases (created_at, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index cases_created_order_idx;
    drop index cases_due_order_idx;
  `.execute(db);
}
