/**
 * The contact centre: what an agent needs to find a caller again (postcode, address, the phone number
 * in one comparable form) and the interactions logged against a contact (calls, emails, visits,
 * letters), with or without a case. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table contact add column postcode text check (length(postcode) <= 10);
    alter table contact add column address text check (length(address) <= 500);
    -- Digits only, +44 written as a leading 0: "+44 (0)161 912 2000", "0161 912 2000" and
    -- "0044 161 912 2000" all compare equal.
    alter table contact add column phone_digits text generated always as (
      nullif(regexp_replace(regexp_replace(phone, '\\D', '', 'g'), '^(00)?440?', '0'), '')
    ) stored;
    -- Which body's staff created this contact (a caller with no case yet is still that body's).
    alter table contact add column created_by_body_id uuid references body (id) on delete set null;
    create index contact_phone_digits_idx on contact (phone_digits) where phone_digits is not null;
    create index contact_postcode_idx on contact (postcode) where postcode is not null;
    create index contact_name_trgm_idx on contact using gin (lower(name) gin_trgm_ops);

    create table interaction (
      id uuid primary key default gen_random_uuid(),
      contact_id uuid not null references contact (id) on delete cascade,
      case_id uuid references cases (id) on delete set null,
      -- The body whose staff logged it: interactions are seen by that body's staff.
      body_id uuid not null references body (id) on delete restrict,
      kind text not null check (kind in ('call', 'email', 'visit', 'letter')),
      direction text not null check (direction in ('inbound', 'outbound')),
      summary text not null check (length(summary) between 1 and 5000),
      staff_id uuid references staff_user (id) on delete set null,
      occurred_at timestamptz not null default now(),
      created_at timestamptz not null default now()
    );
    create index interaction_contact_idx on interaction (contact_id, occurred_at desc);
    create index interaction_case_idx on interaction (case_id) where case_id is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table interaction;
    alter table contact drop column created_by_body_id;
    alter table contact drop column phone_digits;
    alter table contact drop column address;
    alter table contact drop column postcode;
  `.execute(db);
}
