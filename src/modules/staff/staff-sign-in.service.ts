/**
 * Signing in: the password step, the code step (an authenticator app's code or a recovery code), and
 * signing in through the council's identity provider (OpenID Connect). Every failure counts towards
 * the lockout (see README.md beside this file for the reasoning behind the lockout rules and what each
 * step reveals).
 */
import { hash, verify } from '@node-rs/argon2';
import type { StaffRole } from '../../db/database.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import { hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.js';
import { isLocked, toStaffUser, type StaffCore, type StaffUser } from './staff-core.js';
import { twoFactorChangedEmail } from './staff-emails.js';
import * as repo from './staff.repository.js';
import { verifyTotp } from './totp.js';

/** A sign-in that has passed the password and waits for the code: kept in the (not signed-in) session. */
export interface PendingSignIn {
  staffUserId: string;
  /** Milliseconds since the epoch, from the service's clock. */
  startedAt: number;
}

/** How long the code step waits after the password before the password must be given again. */
export const PENDING_SIGN_IN_MS = 10 * 60_000;
export type CodeOutcome =
  | { outcome: 'ok'; staff: StaffUser }
  /** Not the code for now. */
  | { outcome: 'wrong' }
  /** The right code, but its time step was already used (replay). */
  | { outcome: 'used' }
  | { outcome: 'locked'; until: Date }
  /** The half-done sign-in is too old, was voided, or the account changed: start again. */
  | { outcome: 'expired' }
  /** The stored secret cannot be opened (the session secret changed): only a recovery code will do. */
  | { outcome: 'unreadable' };

/** What the identity provider said about someone, as the staff module needs it. */
export interface OidcSignInClaims {
  /** The provider (`iss`) and its stable id for the person (`sub`). */
  issuer: string;
  subject: string;
  /** The `email` claim, if any. */
  email: string | undefined;
  /** `email_verified` is true. */
  emailVerified: boolean;
  /** A name for a new account. */
  name: string;
  /** The role the role claim maps to, or undefined when it maps to none. */
  role: StaffRole | undefined;
}

export type OidcSignInOutcome =
  | {
      outcome: 'ok';
      staff: StaffUser;
      created: boolean;
      /** This sign-in linked the provider account to the Civicdesk account (the first one). */
      linked: boolean;
      previousRole: StaffRole | null;
    }
  /** No `email` claim, or one that is not an email address. */
  | { outcome: 'no_email' }
  /** The provider does not say the email address is verified: it cannot be matched to an account. */
  | { outcome: 'email_unverified' }
  /** The role claim gives no Civicdesk role. */
  | { outcome: 'no_role' }
  /** No account has this address, and accounts are not created at sign-in. */
  | { outcome: 'no_account' }
  /** The account with this address is linked to a different account at this provider. */
  | { outcome: 'linked_to_another' }
  | { outcome: 'disabled' };

// Verifying against this when the email is unknown makes "no such user" take as long as "wrong
// password", so response times do not reveal which addresses have accounts.
const DUMMY_HASH = hash('civicdesk-no-such-user');

export class StaffSignIn {
  constructor(private readonly core: StaffCore) {}

  // ---------------------------------------------------------------- the password step

  /**
   * The password step. Every failure looks the same to the caller and takes about as long (an argon2
   * verification always runs): no such address, disabled, locked, or wrong password. A locked account
   * is refused even with the right password, and the password is then not even checked, so guessing
   * cannot go on while it is locked.
   */
  async checkPassword(
    email: string,
    password: string,
  ): Promise<{ outcome: 'ok'; staff: StaffUser } | { outcome: 'failed' }> {
    const now = this.core.now();
    const row = await repo.findStaffByEmail(this.core.db, email);
    if (!row || !row.password_hash || row.disabled_at || isLocked(row, now)) {
      await verify(await DUMMY_HASH, password).catch(() => false);
      return { outcome: 'failed' };
    }
    if (!(await verify(row.password_hash, password).catch(() => false))) {
      await this.core.recordFailure(row, now);
      return { outcome: 'failed' };
    }
    return { outcome: 'ok', staff: toStaffUser(row) };
  }

  /**
   * A sign-in is complete (password, and code if there is one): the failure count starts again. Only a
   * complete sign-in resets it; a right password alone does not, or someone who knows the password
   * could guess codes forever by giving the password again every few codes.
   */
  async recordSignIn(staffId: string): Promise<void> {
    await repo.recordSignIn(this.core.db, staffId, this.core.now());
  }

  startPendingSignIn(staff: StaffUser): PendingSignIn {
    return { staffUserId: staff.id, startedAt: this.core.now().getTime() };
  }

  async #pendingRow(pending: PendingSignIn, now: Date): Promise<repo.StaffRow | undefined> {
    if (now.getTime() - pending.startedAt > PENDING_SIGN_IN_MS || pending.startedAt > now.getTime()) {
      return undefined;
    }
    const row = await repo.findStaffById(this.core.db, pending.staffUserId);
    if (!row || row.disabled_at || !row.password_hash || !row.totp_secret) return undefined;
    if (row.sessions_revoked_at && row.sessions_revoked_at.getTime() > pending.startedAt) return undefined;
    return row;
  }

  /** Whether a half-done sign-in can still be finished (for showing the code page). */
  async pendingSignInIsLive(pending: PendingSignIn): Promise<boolean> {
    return (await this.#pendingRow(pending, this.core.now())) !== undefined;
  }

  // ---------------------------------------------------------------- the code step

  /** The code step: a code from the authenticator app. Wrong and replayed codes count as failures. */
  async verifySignInCode(pending: PendingSignIn, code: string): Promise<CodeOutcome> {
    const now = this.core.now();
    const row = await this.#pendingRow(pending, now);
    if (!row) return { outcome: 'expired' };
    if (isLocked(row, now)) return { outcome: 'locked', until: row.locked_until! };
    const outcome = await this.#checkTotp(row, code, now);
    if (outcome.outcome === 'ok') await repo.recordSignIn(this.core.db, row.id, now);
    return outcome;
  }

  /** The code step with a recovery code instead: each works once. The owner is told by email. */
  async verifySignInRecoveryCode(pending: PendingSignIn, code: string): Promise<CodeOutcome> {
    const now = this.core.now();
    const row = await this.#pendingRow(pending, now);
    if (!row) return { outcome: 'expired' };
    if (isLocked(row, now)) return { outcome: 'locked', until: row.locked_until! };
    const normalised = normaliseRecoveryCode(code);
    const used = await this.core.db.transaction().execute(async (trx) => {
      if (
        !normalised ||
        !(await repo.useRecoveryCode(trx, row.id, hashRecoveryCode(row.id, normalised), now))
      ) {
        return false;
      }
      await repo.recordSignIn(trx, row.id, now);
      // A secret that can no longer be opened (the session secret changed) is useless: turn TOTP off,
      // so that, if it is required, the next page is setting up the app again.
      if (this.core.totpBox.open(row.totp_secret!, row.id) === undefined) await repo.disableTotp(trx, row.id);
      await enqueueEmail(
        this.core.jobs,
        trx,
        twoFactorChangedEmail(this.core.email, row, 'recovery-code-used', now),
      );
      return true;
    });
    if (used) {
      this.core.jobs.wake();
      const fresh = await repo.findStaffById(this.core.db, row.id);
      return { outcome: 'ok', staff: toStaffUser(fresh ?? row) };
    }
    const failure = await this.core.recordFailure(row, now);
    return failure ? { outcome: 'locked', until: failure } : { outcome: 'wrong' };
  }

  async #checkTotp(row: repo.StaffRow, code: string, now: Date): Promise<CodeOutcome> {
    const secret = this.core.totpBox.open(row.totp_secret!, row.id);
    if (secret === undefined) return { outcome: 'unreadable' };
    const step = verifyTotp(secret, code, now);
    if (step !== undefined && (await repo.claimTotpStep(this.core.db, row.id, step))) {
      return { outcome: 'ok', staff: toStaffUser(row) };
    }
    const failure = await this.core.recordFailure(row, now);
    if (failure) return { outcome: 'locked', until: failure };
    return step === undefined ? { outcome: 'wrong' } : { outcome: 'used' };
  }

  // ---------------------------------------------------------------- through the identity provider

  /**
   * Someone the council's identity provider has signed in (OpenID Connect). The account is the one
   * linked to this provider account (issuer and subject, the provider's stable id for the person); the
   * first time, it is the one with the provider's verified email address, and the two are linked from
   * then on, so an address the provider later gives to someone else does not open the account. An
   * account already linked to a different provider account is refused (an admin can unlink it). The
   * role comes from the provider's claim and is written to the account at every sign-in, so the
   * provider stays the source of truth (someone moved out of the admins' group is an admin no more
   * from their next sign-in). With `newAccounts`, someone with a mapped role and no account gets one
   * (no password: they can only sign in through the provider). The provider does the second factor:
   * this sign-in is complete without our TOTP.
   */
  async signInWithOidc(
    claims: OidcSignInClaims,
    newAccounts?: { bodyId: string; teamId: string | null },
  ): Promise<OidcSignInOutcome> {
    const identity = { issuer: claims.issuer, subject: claims.subject };
    const now = this.core.now();
    return this.core.db.transaction().execute(async (trx): Promise<OidcSignInOutcome> => {
      let row = await repo.findStaffByProviderIdentity(trx, identity);
      let created = false;
      let linked = false;
      if (!row) {
        const email = claims.email?.trim().toLowerCase();
        if (!email || !/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) return { outcome: 'no_email' };
        if (!claims.emailVerified) return { outcome: 'email_unverified' };
        if (!claims.role) return { outcome: 'no_role' };
        row = await repo.findStaffByEmail(trx, email);
        if (!row && newAccounts) {
          row = await repo.insertStaffWithoutPassword(trx, {
            email,
            name: claims.name,
            role: claims.role,
            ...newAccounts,
          });
          // Another first sign-in of the same person got there first: use the account it made.
          created = row !== undefined;
          row ??= await repo.findStaffByEmail(trx, email);
        }
        if (!row) return { outcome: 'no_account' };
        if (row.oidc_issuer === identity.issuer && row.oidc_subject !== identity.subject)
          return { outcome: 'linked_to_another' };
        if (row.disabled_at) return { outcome: 'disabled' };
        await repo.setProviderIdentity(trx, row.id, identity);
        linked = true;
      }
      const role = claims.role;
      if (!role) return { outcome: 'no_role' };
      if (row.disabled_at) return { outcome: 'disabled' };
      const previousRole = row.role === role ? null : row.role;
      if (previousRole) await repo.setRole(trx, row.id, role);
      await repo.recordProviderSignIn(trx, row.id, now);
      return { outcome: 'ok', staff: toStaffUser({ ...row, role }), created, linked, previousRole };
    });
  }
}
