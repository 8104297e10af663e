/**
 * Cases: what residents report, who they are (contacts), what happened (the timeline), who follows
 * each case, and the API clients that may create them. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table contact (
      id uuid primary key default gen_random_uuid(),
      name text check (length(name) <= 200),
      email text check (length(email) <= 254),
      -- Lower-cased and trimmed: one contact per email address.
      email_normalised text,
      phone text check (length(phone) <= 50),
      email_verified_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index contact_email_normalised_idx on contact (email_normalised) where email_normalised is not null;

    create table api_client (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 200),
      -- The key's public prefix finds the row; only a SHA-256 of the whole key is kept.
      key_prefix text not null unique,
      key_hash text not null,
      scopes text[] not null default '{}',
      -- Services it may post to; empty means all.
      service_codes text[] not null default '{}',
      revoked_at timestamptz,
      last_used_at timestamptz,
      created_at timestamptz not null default now()
    );

    create table cases (
      id uuid primary key default gen_random_uuid(),
      reference text not null unique,
      service_id uuid not null references service (id) on delete restrict,
      body_id uuid not null references body (id) on delete restrict,
      team_id uuid references team (id) on delete set null,
      status text not null default 'received' check (status in (
        'received', 'in_progress', 'action_scheduled', 'fixed', 'closed_not_fixed',
        'not_responsible', 'duplicate', 'cancelled')),
      channel text not null check (channel in ('web', 'api', 'phone', 'email', 'visit', 'letter', 'open311')),
      description text not null default '' check (length(description) <= 5000),
      answers jsonb not null default '{}',
      lat double precision not null check (lat between -90 and 90),
      lon double precision not null check (lon between -180 and 180),
      -- Where it is in words, from the gazetteer ("Near 12 Bradgate Road"), and the resident's own words.
      location_description text not null default '',
      location_detail text not null default '' check (length(location_detail) <= 1000),
      -- The areas the point was in when reported (kind, code, name), and why it went where it went.
      areas jsonb not null default '[]',
      routing jsonb not null default '{}',
      due_at timestamptz,
      reporter_contact_id uuid references contact (id) on delete set null,
      reporter_name_public boolean not null default false,
      updates_by_email boolean not null default false,
      is_public boolean not null default true,
      tracking_token_hash text not null,
      -- Same key, same case: a double click, a back button or a retried request never makes two.
      idempotency_key text unique,
      api_client_id uuid references api_client (id) on delete set null,
      outcome text,
      closed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index cases_lat_lon_idx on cases (lat, lon);
    create index cases_open_by_service_idx on cases (service_id, lat, lon) where closed_at is null;
    create index cases_team_idx on cases (team_id, status);
    create index cases_reporter_idx on cases (reporter_contact_id);

    create table case_event (
      id bigint generated always as identity primary key,
      case_id uuid not null references cases (id) on delete cascade,
      kind text not null check (length(kind) between 1 and 50),
      is_public boolean not null default false,
      body text not null default '',
      data jsonb not null default '{}',
      actor text not null check (actor in ('resident', 'staff', 'system', 'integration')),
      actor_staff_id uuid references staff_user (id) on delete set null,
      created_at timestamptz not null default now()
    );
    create index case_event_case_idx on case_event (case_id, id);

    create table case_follower (
      case_id uuid not null references cases (id) on delete cascade,
      contact_id uuid not null references contact (id) on delete cascade,
      updates_by_email boolean not null default true,
      created_at timestamptz not null default now(),
      primary key (case_id, contact_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table case_follower;
    drop table case_event;
    drop table cases;
    drop table api_client;
    drop table contact;
  `.execute(db);
}
