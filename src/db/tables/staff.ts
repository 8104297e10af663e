/**
 * Row types for staff accounts and what signing in needs (src/modules/staff): the account, its recovery
 * codes, and its password reset and invitation links.
 */
import type { Generated } from 'kysely';

export type StaffRole = 'agent' | 'officer' | 'team_lead' | 'admin';

export interface StaffUserTable {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string | null;
  role: StaffRole;
  body_id: string;
  team_id: string | null;
  /** Sealed (AES-256-GCM, see src/lib/secret-box.ts), never the secret itself. */
  totp_secret: string | null;
  disabled_at: Date | null;
  created_at: Generated<Date>;
  totp_enabled_at: Date | null;
  totp_last_step: number | null;
  failed_attempts: Generated<number>;
  failed_since: Date | null;
  locked_until: Date | null;
  last_sign_in_at: Date | null;
  password_changed_at: Date | null;
  sessions_revoked_at: Date | null;
  /** The identity-provider account that signs into this one (both set, or neither). */
  oidc_issuer: string | null;
  oidc_subject: string | null;
}

export interface StaffRecoveryCodeTable {
  staff_user_id: string;
  code_hash: string;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface StaffPasswordResetTable {
  token_hash: string;
  staff_user_id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  /** An invitation sets a new account's first password; a reset replaces one. */
  purpose: Generated<'reset' | 'invitation'>;
}
