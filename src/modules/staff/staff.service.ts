/**
 * Staff identity and sign-in security, as one service with a part per concern: `signIn` (password,
 * code and identity-provider steps), `twoFactor` (setting up the authenticator app), `passwords`
 * (changing, resetting, invitations); the account itself (who someone is, the account page, signing
 * out everywhere) is here. Passwords are argon2id hashes; the second factor is TOTP with one-time
 * recovery codes; an account locks after repeated failures.
 *
 * Time comes from the injected `now`, never from `new Date()` directly, so tests can move the clock
 * (lockout expiry, link expiry, TOTP steps) instead of sleeping. See README.md beside this file for the
 * reasoning behind the lockout rules and what each step reveals.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import {
  ROLE_LABELS,
  StaffCore,
  toStaffUser,
  type StaffSecuritySettings,
  type StaffUser,
} from './staff-core.js';
import { StaffPasswords } from './staff-passwords.service.js';
import { StaffSignIn } from './staff-sign-in.service.js';
import { StaffTwoFactor } from './staff-two-factor.service.js';
import * as repo from './staff.repository.js';

export {
  ROLE_LABELS,
  staffSecuritySettings,
  type FieldProblems,
  type StaffSecuritySettings,
  type StaffUser,
} from './staff-core.js';
export type { PasswordCheck } from './staff-passwords.service.js';
export {
  PENDING_SIGN_IN_MS,
  type CodeOutcome,
  type OidcSignInClaims,
  type OidcSignInOutcome,
  type PendingSignIn,
} from './staff-sign-in.service.js';
export type { TotpSetup } from './staff-two-factor.service.js';

export interface AccountSummary {
  staff: StaffUser;
  roleLabel: string;
  totpRequired: boolean;
  totpEnabledAt: Date | null;
  recoveryCodesLeft: number;
  lastSignInAt: Date | null;
  passwordChangedAt: Date | null;
  /** False for an account made at a sign-in through the identity provider: it signs in only there. */
  hasPassword: boolean;
}

export class StaffService {
  readonly signIn: StaffSignIn;
  readonly twoFactor: StaffTwoFactor;
  readonly passwords: StaffPasswords;
  readonly #core: StaffCore;

  constructor(
    db: Kysely<Database>,
    settings: StaffSecuritySettings,
    jobs: Jobs,
    { now = () => new Date() }: { now?: () => Date } = {},
  ) {
    this.#core = new StaffCore(db, settings, jobs, now);
    this.signIn = new StaffSignIn(this.#core);
    this.twoFactor = new StaffTwoFactor(this.#core);
    this.passwords = new StaffPasswords(this.#core);
  }

  now(): Date {
    return this.#core.now();
  }

  async byId(id: string): Promise<StaffUser | undefined> {
    return this.#core.byId(id);
  }

  /** Admins always; everyone when the council says so. */
  totpRequired(staff: Pick<StaffUser, 'role'>): boolean {
    return this.#core.totpRequired(staff);
  }

  /** Signed in, but may reach only the set-up page until an authenticator app is set up. */
  mustSetUpTotp(staff: StaffUser): boolean {
    return !staff.totpEnabled && this.totpRequired(staff);
  }

  // ---------------------------------------------------------------- the account page

  async account(staffId: string): Promise<AccountSummary | undefined> {
    const row = await repo.findStaffById(this.#core.db, staffId);
    if (!row || row.disabled_at) return undefined;
    const staff = toStaffUser(row);
    return {
      staff,
      roleLabel: ROLE_LABELS[staff.role],
      totpRequired: this.totpRequired(staff),
      totpEnabledAt: row.totp_enabled_at,
      recoveryCodesLeft: staff.totpEnabled ? await repo.countUnusedRecoveryCodes(this.#core.db, staff.id) : 0,
      lastSignInAt: row.last_sign_in_at,
      passwordChangedAt: row.password_changed_at,
      hasPassword: row.password_hash !== null,
    };
  }

  /** Sign out everywhere: every session of this person, in every browser, ends now. */
  async signOutEverywhere(staffId: string): Promise<number> {
    return repo.endAllSessions(this.#core.db, staffId, this.#core.now());
  }
}
