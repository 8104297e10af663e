/**
 * Residents are joined up by email only once they have proved the address is theirs (by opening a link
 * we sent to it). Before that, anyone could type anyone's address: matching on it would show one
 * person's reports on another's record. So the one-contact-per-email rule applies to verified contacts.
 * Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index contact_email_normalised_idx;
    create unique index contact_verified_email_idx on contact (email_normalised)
      where email_normalised is not null and email_verified_at is not null;
    create index contact_email_normalised_idx on contact (email_normalised) where email_normalised is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index contact_email_normalised_idx;
    drop index contact_verified_email_idx;
    create unique index contact_email_normalised_idx on contact (email_normalised) where email_normalised is not null;
  `.execute(db);
}
