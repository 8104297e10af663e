/**
 * Response templates (src/modules/response-templates): the words officers start a public update from,
 * edited by admins, with placeholders filled for the case and the officer. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table response_template (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 100),
      body text not null check (length(body) between 1 and 5000),
      -- The status the update sets when sent from this template, if any (the officer can change it).
      sets_status text check (sets_status in ('received', 'in_progress', 'action_scheduled', 'fixed',
        'closed_not_fixed', 'not_responsible', 'duplicate', 'cancelled')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index response_template_name_idx on response_template (lower(name));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table response_template`.execute(db);
}
