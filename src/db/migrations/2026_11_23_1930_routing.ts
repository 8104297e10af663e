/**
 * Routing: calendars (working days, opening hours, closures), ordered routing rules, and site-wide
 * settings such as who to contact about places outside every body's area. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table calendar (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
      name text not null check (length(name) between 1 and 200),
      time_zone text not null default 'Europe/London',
      working_weekdays integer[] not null default '{1,2,3,4,5}',
      opens_at text not null default '08:30' check (opens_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      closes_at text not null default '17:00' check (closes_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      bank_holidays text not null default 'england-and-wales' check (bank_holidays in ('england-and-wales', 'none')),
      check (opens_at < closes_at)
    );

    create table calendar_closure (
      calendar_id uuid not null references calendar (id) on delete cascade,
      date date not null,
      name text not null check (length(name) between 1 and 200),
      primary key (calendar_id, date)
    );

    create table routing_rule (
      id uuid primary key default gen_random_uuid(),
      -- null: the rule applies to every service.
      service_id uuid references service (id) on delete cascade,
      position integer not null,
      name text not null check (length(name) between 1 and 200),
      conditions jsonb not null default '{}',
      body_id uuid not null references body (id) on delete restrict,
      team_id uuid references team (id) on delete set null,
      show_contact boolean not null default false,
      enabled boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index routing_rule_service_idx on routing_rule (service_id, position);

    create table site_setting (
      key text primary key check (key ~ '^[a-z][a-z0-9_]{0,62}$'),
      value jsonb not null,
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table site_setting;
    drop table routing_rule;
    drop table calendar_closure;
    drop table calendar;
  `.execute(db);
}
