/**
 * Staff sign-in security: the TOTP second factor (secret sealed at rest, last step used for replay
 * protection), one-time recovery codes, account lockout after repeated failures, and password reset
 * tokens. Everything that must hold across several web processes is here, not in memory.
 * Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- totp_secret (from the foundation migration) holds the shared secret sealed with AES-256-GCM
    -- ("v1.nonce.tag.ciphertext"), never the secret itself; it is set exactly when TOTP is on.
    alter table staff_user
      add column totp_enabled_at timestamptz,
      -- The time step (unix seconds / 30) of the last code accepted: a code from that step or an
      -- earlier one is refused, so an overheard code cannot be used again. An integer lasts until
      -- the year 4000.
      add column totp_last_step integer,
      -- Failed password or code attempts since failed_since; reset by a complete sign-in.
      add column failed_attempts integer not null default 0 check (failed_attempts >= 0),
      add column failed_since timestamptz,
      add column locked_until timestamptz,
      add column last_sign_in_at timestamptz,
      add column password_changed_at timestamptz,
      -- When all of this person's sessions were last ended (sign out everywhere, a password change or
      -- reset): a sign-in that was half done (password given, code not yet) before then is void.
      add column sessions_revoked_at timestamptz,
      add constraint staff_user_totp_check check ((totp_secret is null) = (totp_enabled_at is null));

    create table staff_recovery_code (
      staff_user_id uuid not null references staff_user (id) on delete cascade,
      -- SHA-256 (hex) of the staff user's id and the code; the code itself is shown once and not kept.
      code_hash text not null check (code_hash ~ '^[0-9a-f]{64}$'),
      used_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (staff_user_id, code_hash)
    );

    create table staff_password_reset (
      -- SHA-256 (hex) of the token in the emailed link; the token itself is not kept.
      token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
      staff_user_id uuid not null references staff_user (id) on delete cascade,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      check (expires_at > created_at)
    );
    -- For "how many links did this person ask for lately" and for ending them all at once.
    create index staff_password_reset_staff_idx on staff_password_reset (staff_user_id, created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table staff_password_reset;
    drop table staff_recovery_code;
    alter table staff_user
      drop constraint staff_user_totp_check,
      drop column sessions_revoked_at,
      drop column password_changed_at,
      drop column last_sign_in_at,
      drop column locked_until,
      drop column failed_since,
      drop column failed_attempts,
      drop column totp_last_step,
      drop column totp_enabled_at;
  `.execute(db);
}
