/**
 * Delivery of cases to bodies' own systems (src/modules/delivery): where a body's (or one of its
 * services') cases go, each case's delivery with its attempts and last error, and the email that came
 * back to a reply address. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table delivery_target (
      id uuid primary key default gen_random_uuid(),
      body_id uuid not null references body (id) on delete cascade,
      -- null: every service of the body; set: this service only, overriding the body-wide target.
      service_id uuid references service (id) on delete cascade,
      method text not null check (method in ('email', 'open311')),
      settings jsonb not null default '{}',
      active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    -- One active target per body, and per body and service.
    create unique index delivery_target_body_idx on delivery_target (body_id) where service_id is null and active;
    create unique index delivery_target_service_idx on delivery_target (body_id, service_id) where service_id is not null and active;

    create table case_delivery (
      id uuid primary key default gen_random_uuid(),
      case_id uuid not null references cases (id) on delete cascade,
      target_id uuid not null references delivery_target (id) on delete cascade,
      method text not null check (method in ('email', 'open311')),
      state text not null default 'pending' check (state in ('pending', 'sent', 'failed')),
      attempts integer not null default 0,
      last_error text,
      external_id text,
      sent_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index case_delivery_case_target_idx on case_delivery (case_id, target_id);
    create index case_delivery_state_idx on case_delivery (state, updated_at) where state <> 'sent';

    create table inbound_email (
      id uuid primary key default gen_random_uuid(),
      -- threaded: added to a case; auto_reply and bounce: added, flagged as such; unmatched: kept here only.
      outcome text not null check (outcome in ('threaded', 'auto_reply', 'bounce', 'unmatched')),
      reason text not null default '',
      case_id uuid references cases (id) on delete set null,
      message_id text,
      mail_from text not null default '',
      recipients text[] not null default '{}',
      subject text not null default '',
      excerpt text not null default '',
      size integer not null default 0,
      received_at timestamptz not null default now()
    );
    -- The same message fetched twice (an IMAP poll that died before marking it read) is recorded once.
    create unique index inbound_email_message_idx on inbound_email (message_id) where message_id is not null;
    create index inbound_email_unmatched_idx on inbound_email (received_at) where outcome = 'unmatched';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table inbound_email;
    drop table case_delivery;
    drop table delivery_target;
  `.execute(db);
}
