/**
 * Delivery by Open311 (src/modules/delivery/open311): which updates from each endpoint have been applied
 * (so a moving window fetched again applies none twice), and how far each endpoint has been polled.
 * Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table open311_update_seen (
      target_id uuid not null references delivery_target (id) on delete cascade,
      update_id text not null check (length(update_id) between 1 and 200),
      case_id uuid references cases (id) on delete set null,
      received_at timestamptz not null default now(),
      primary key (target_id, update_id)
    );

    create table open311_poll (
      target_id uuid primary key references delivery_target (id) on delete cascade,
      -- Updates made before this instant have been fetched (the next window starts a little earlier).
      polled_until timestamptz not null,
      last_polled_at timestamptz not null default now(),
      last_error text
    );
    -- The poller finds a case by the id the endpoint gave it.
    create index case_delivery_external_idx on case_delivery (target_id, external_id) where external_id is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index case_delivery_external_idx;
    drop table open311_poll;
    drop table open311_update_seen;
  `.execute(db);
}
