/**
 * Foundation schema: who receives cases (bodies, teams, areas, services), staff, sessions, and the
 * transactional outbox. Frozen in time: never import app code here, and never edit after release;
 * change the schema with a new migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table body (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
      name text not null check (length(name) between 1 and 200),
      kind text not null check (kind in ('county', 'district', 'unitary', 'metropolitan_borough', 'london_borough', 'parish', 'other')),
      email text,
      phone text,
      website text,
      delivery_method text not null default 'civicdesk' check (delivery_method in ('civicdesk', 'email', 'open311', 'webhook')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table team (
      id uuid primary key default gen_random_uuid(),
      body_id uuid not null references body (id) on delete restrict,
      code text not null check (code ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
      name text not null check (length(name) between 1 and 200),
      email text,
      created_at timestamptz not null default now(),
      unique (body_id, code)
    );

    create table area (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('council', 'ward', 'parish', 'locality', 'custom')),
      code text not null check (length(code) between 1 and 64),
      name text not null check (length(name) between 1 and 200),
      body_id uuid references body (id) on delete set null,
      geometry jsonb not null,
      -- Bounding box, kept beside the geometry so bounding-box queries need no JSON work.
      min_lon double precision not null,
      min_lat double precision not null,
      max_lon double precision not null,
      max_lat double precision not null,
      valid_from date not null default '1900-01-01',
      valid_to date,
      created_at timestamptz not null default now(),
      unique (kind, code, valid_from)
    );

    create table service (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
      name text not null check (length(name) between 1 and 200),
      group_name text not null default '',
      description text not null default '',
      keywords text[] not null default '{}',
      is_public boolean not null default true,
      active boolean not null default true,
      -- Questions, timescale and "what happens next": shaped by the services module.
      definition jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table service_body (
      service_id uuid not null references service (id) on delete cascade,
      body_id uuid not null references body (id) on delete cascade,
      primary key (service_id, body_id)
    );

    create table staff_user (
      id uuid primary key default gen_random_uuid(),
      email text not null check (email = lower(email) and length(email) between 3 and 254),
      name text not null check (length(name) between 1 and 200),
      password_hash text,
      role text not null check (role in ('agent', 'officer', 'team_lead', 'admin')),
      body_id uuid not null references body (id) on delete restrict,
      team_id uuid references team (id) on delete set null,
      totp_secret text,
      disabled_at timestamptz,
      created_at timestamptz not null default now(),
      unique (email)
    );

    -- Server-side sessions. The cookie carries a random id; only an HMAC of it (keyed by the session
    -- secret) is stored, so a copy of this table cannot be replayed as cookies.
    create table session (
      id_hash text primary key,
      csrf_token text not null,
      staff_user_id uuid references staff_user (id) on delete cascade,
      data jsonb not null default '{}',
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null
    );
    create index session_expires_at_idx on session (expires_at);
    create index session_staff_user_idx on session (staff_user_id) where staff_user_id is not null;

    -- The transactional outbox: written in the same transaction as the change that causes the job,
    -- drained by workers with FOR UPDATE SKIP LOCKED.
    create table outbox_job (
      id bigint generated always as identity primary key,
      kind text not null check (length(kind) between 1 and 100),
      payload jsonb not null default '{}',
      status text not null default 'pending' check (status in ('pending', 'running', 'done', 'dead')),
      attempts integer not null default 0,
      max_attempts integer not null check (max_attempts > 0),
      run_at timestamptz not null default now(),
      locked_by text,
      locked_until timestamptz,
      last_error text,
      dedupe_key text unique,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      finished_at timestamptz
    );
    -- The claim query scans only live jobs, in due order.
    create index outbox_job_due_idx on outbox_job (run_at) where status in ('pending', 'running');
    create index outbox_job_dead_idx on outbox_job (updated_at) where status = 'dead';

    create table worker_heartbeat (
      worker_id text primary key,
      host text not null,
      pid integer not null,
      started_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table worker_heartbeat;
    drop table outbox_job;
    drop table session;
    drop table staff_user;
    drop table service_body;
    drop table service;
    drop table area;
    drop table team;
    drop table body;
  `.execute(db);
}
