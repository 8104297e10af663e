/**
 * The Open311 GeoReport v2 server (src/modules/open311-server): updates other systems POSTed to
 * `servicerequestupdates` (each applied once per client and update id), tokens for clients that want the
 * batch style of answer, which clients get tokens, and each client's rate limit. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A client's update is claimed by (client, update_id) before it is applied, so a retry applies nothing twice.
    create table open311_server_update (
      api_client_id uuid not null references api_client (id) on delete cascade,
      update_id text not null check (length(update_id) between 1 and 200),
      case_id uuid references cases (id) on delete set null,
      state text not null default 'running' check (state in ('running', 'done')),
      -- Our id for the update (the timeline event), given back as update_id.
      event_id bigint,
      external_status_code text,
      created_at timestamptz not null default now(),
      primary key (api_client_id, update_id)
    );

    -- POST requests answers a token instead of an id for clients that ask for tokens.
    create table open311_token (
      token text primary key check (length(token) between 8 and 100),
      case_id uuid not null references cases (id) on delete cascade,
      api_client_id uuid references api_client (id) on delete set null,
      created_at timestamptz not null default now()
    );

    alter table api_client add column open311_tokens boolean not null default false;
    -- Requests a minute this client may make to the Open311 server; null: the default.
    alter table api_client add column rate_limit_per_minute integer
      check (rate_limit_per_minute between 1 and 100000);

    -- GET requests and servicerequestupdates read public cases and events by time.
    create index cases_public_created_idx on cases (created_at) where is_public;
    create index case_event_public_created_idx on case_event (created_at)
      where is_public and kind in ('status_changed', 'public_update');
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index case_event_public_created_idx;
    drop index cases_public_created_idx;
    alter table api_client drop column rate_limit_per_minute;
    alter table api_client drop column open311_tokens;
    drop table open311_token;
    drop table open311_server_update;
  `.execute(db);
}
