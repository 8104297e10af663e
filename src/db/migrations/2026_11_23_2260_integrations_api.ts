/**
 * Integrations for CRMs (src/modules/webhooks, src/modules/crm-api): webhook endpoints with their
 * events, deliveries and each attempt; the CRM's own id for a case; API keys tied to a body; and the
 * stored responses of idempotent API writes. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_endpoint (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 200),
      url text not null check (length(url) between 8 and 2000),
      events text[] not null default '{}',
      -- Filters: null means every body / every service.
      body_id uuid references body (id) on delete cascade,
      service_id uuid references service (id) on delete cascade,
      -- The signing secret, sealed with AES-256-GCM (signing needs the secret itself, so no hash).
      secret_sealed text not null,
      active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table webhook_event (
      -- The order events happened in; per case it is also the order they are delivered in.
      seq bigint generated always as identity primary key,
      id text not null unique,
      type text not null check (length(type) between 1 and 50),
      case_id uuid references cases (id) on delete cascade,
      -- The case as it was when the event happened (no resident's personal data).
      data jsonb not null default '{}',
      created_at timestamptz not null default now()
    );
    create index webhook_event_case_idx on webhook_event (case_id, seq);

    create table webhook_delivery (
      id uuid primary key default gen_random_uuid(),
      endpoint_id uuid not null references webhook_endpoint (id) on delete cascade,
      event_seq bigint not null references webhook_event (seq) on delete cascade,
      case_id uuid,
      -- event: sent because it happened; redelivery: an administrator sent it again; ping: a test.
      kind text not null default 'event' check (kind in ('event', 'redelivery', 'ping')),
      -- waiting: held back until an earlier event for the same case has gone.
      state text not null default 'pending' check (state in ('pending', 'waiting', 'delivered', 'failed')),
      attempts integer not null default 0,
      last_status integer,
      last_error text,
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index webhook_delivery_endpoint_idx on webhook_delivery (endpoint_id, created_at desc);
    create index webhook_delivery_stream_idx on webhook_delivery (endpoint_id, case_id, event_seq)
      where state in ('pending', 'waiting');

    create table webhook_attempt (
      id bigint generated always as identity primary key,
      delivery_id uuid not null references webhook_delivery (id) on delete cascade,
      attempted_at timestamptz not null default now(),
      duration_ms integer not null,
      status_code integer,
      error text,
      response_snippet text not null default ''
    );
    create index webhook_attempt_delivery_idx on webhook_attempt (delivery_id, id);

    -- The CRM's id for a case (set through the API), one per case.
    create table case_external_reference (
      case_id uuid primary key references cases (id) on delete cascade,
      api_client_id uuid references api_client (id) on delete set null,
      external_reference text not null check (length(external_reference) between 1 and 200),
      updated_at timestamptz not null default now()
    );

    -- A CRM's key sees and changes the cases of one body only.
    alter table api_client add column body_id uuid references body (id) on delete cascade;

    -- What an API write answered, so a retry with the same Idempotency-Key gets the same answer.
    create table api_idempotency (
      api_client_id uuid not null references api_client (id) on delete cascade,
      key text not null,
      request_hash text not null,
      state text not null default 'running' check (state in ('running', 'done')),
      status_code integer,
      response jsonb,
      created_at timestamptz not null default now(),
      primary key (api_client_id, key)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table api_idempotency;
    alter table api_client drop column body_id;
    drop table case_external_reference;
    drop table webhook_attempt;
    drop table webhook_delivery;
    drop table webhook_event;
    drop table webhook_endpoint;
  `.execute(db);
}
