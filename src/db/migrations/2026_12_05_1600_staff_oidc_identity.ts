/**
 * A staff account remembers which identity-provider account signs into it (issuer and subject), so a
 * sign-in is matched by that stable id and not by an email address the provider may later give to
 * someone else. The email address still links an account the first time. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table staff_user add column oidc_issuer text;
    alter table staff_user add column oidc_subject text;
    alter table staff_user add constraint staff_user_oidc_identity_whole
      check ((oidc_issuer is null) = (oidc_subject is null));
    create unique index staff_user_oidc_identity_idx on staff_user (oidc_issuer, oidc_subject)
      where oidc_subject is not null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index staff_user_oidc_identity_idx;
    alter table staff_user drop constraint staff_user_oidc_identity_whole;
    alter table staff_user drop column oidc_subject;
    alter table staff_user drop column oidc_issuer;
  `.execute(db);
}
