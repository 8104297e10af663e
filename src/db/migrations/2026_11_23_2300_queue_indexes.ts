/**
 * Indexes for the officer's queues at scale (measured with bench/back-office.bench.ts, 1,000,000 cases).
 *
 * - cases_open_queue_idx: every queue but "all" is about open cases, and each queue page counts the six
 *   tabs with the same filters. With only (team_id, status) and (service_id, lat, lon) to go on, counting
 *   a team's open potholes visited every matching row in the table (150 ms at a million cases, for one of
 *   six counts). Partial on open cases (a few percent of all), with every column the open queues filter
 *   on, the counts become index-only scans and the index stays small and cheap to keep up to date.
 * - cases_*_trgm_idx: the queue's search is `ilike '%words%'` over the reference, description and place,
 *   which no b-tree can serve: each search read the whole table, twice (the page and the "all" count),
 *   2.3 s at a million cases. Trigram GIN indexes (pg_trgm, already installed for the gazetteer) let
 *   PostgreSQL combine the four columns' matches in a bitmap. They serve searches of three characters
 *   or more; shorter ones still read the table.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index cases_open_queue_idx on cases (body_id, team_id, service_id, assignee_staff_id, due_at)
      where closed_at is null;
    create index cases_reference_trgm_idx on cases using gin (reference gin_trgm_ops);
    create index cases_description_trgm_idx on cases using gin (description gin_trgm_ops);
    create index cases_location_description_trgm_idx on cases using gin (location_description gin_trgm_ops);
    create index cases_location_detail_trgm_idx on cases using gin (location_detail gin_trgm_ops);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index cases_location_detail_trgm_idx;
    drop index cases_location_description_trgm_idx;
    drop index cases_description_trgm_idx;
    drop index cases_reference_trgm_idx;
    drop index cases_open_queue_idx;
  `.execute(db);
}
