/**
 * Staff accounts managed by admins: a link to choose a password is either a reset or an invitation
 * (same table, same single use and expiry; the page and email say which), and the audit trail gets
 * the indexes its admin view filters and pages by. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table staff_password_reset add column purpose text not null default 'reset'
      check (purpose in ('reset', 'invitation'));
    create index audit_event_action_idx on audit_event (action, id);
    create index audit_event_created_idx on audit_event (created_at, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index audit_event_created_idx;
    drop index audit_event_action_idx;
    alter table staff_password_reset drop column purpose;
  `.execute(db);
}
