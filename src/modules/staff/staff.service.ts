/**
 * Staff identity and sign-in security: who is signed in and what they may do, and every rule about
 * getting in. Passwords are argon2id hashes; the second factor is TOTP with one-time recovery codes; an
 * account locks after repeated failures; passwords are reset with single-use emailed links.
 *
 * Time comes from the injected `now`, never from `new Date()` directly, so tests can move the clock
 * (lockout expiry, link expiry, TOTP steps) instead of sleeping. See README.md beside this file for the
 * reasoning behind the lockout rules and what each step reveals.
 */
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hash, verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import QRCode from 'qrcode';
import type { Config } from '../../config.js';
import type { Database, StaffRole } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { newPasswordProblem } from './passwords.js';
import { generateRecoveryCodes, hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.js';
import { SecretBox } from './secret-box.js';
import {
  accountLockedEmail,
  invitationEmail,
  passwordChangedEmail,
  passwordResetEmail,
  twoFactorChangedEmail,
  type EmailContext,
} from './staff-emails.js';
import * as repo from './staff.repository.js';
import { generateTotpSecret, groupSecret, otpauthUri, verifyTotp } from './totp.js';

export interface StaffUser {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  bodyId: string;
  teamId: string | null;
  /** Has an authenticator app (TOTP) set up. */
  totpEnabled: boolean;
}

export const ROLE_LABELS: Record<StaffRole, string> = {
  agent: 'Contact-centre agent',
  officer: 'Officer',
  team_lead: 'Team lead',
  admin: 'Administrator',
};

/** What the staff module needs from the settings. */
export interface StaffSecuritySettings {
  /** Everyone must use TOTP (admins always must). */
  totpRequiredForAll: boolean;
  lockoutAttempts: number;
  lockoutWindowMs: number;
  lockoutMs: number;
  passwordResetMs: number;
  invitationMs: number;
  /** CIVICDESK_SESSION_SECRET: the key for sealed secrets is derived from it. */
  sessionSecret: string;
  councilName: string;
  baseUrl: string;
}

export function staffSecuritySettings(config: Config): StaffSecuritySettings {
  return {
    totpRequiredForAll: config.CIVICDESK_STAFF_TOTP_REQUIRED,
    lockoutAttempts: config.CIVICDESK_STAFF_LOCKOUT_ATTEMPTS,
    lockoutWindowMs: config.CIVICDESK_STAFF_LOCKOUT_WINDOW_MINUTES * 60_000,
    lockoutMs: config.CIVICDESK_STAFF_LOCKOUT_MINUTES * 60_000,
    passwordResetMs: config.CIVICDESK_STAFF_PASSWORD_RESET_MINUTES * 60_000,
    invitationMs: config.CIVICDESK_STAFF_INVITATION_HOURS * 3600_000,
    sessionSecret: config.sessionSecret,
    councilName: config.CIVICDESK_COUNCIL_NAME,
    baseUrl: config.baseUrl,
  };
}

/** A sign-in that has passed the password and waits for the code: kept in the (not signed-in) session. */
export interface PendingSignIn {
  staffUserId: string;
  /** Milliseconds since the epoch, from the service's clock. */
  startedAt: number;
}

/** How long the code step waits after the password before the password must be given again. */
export const PENDING_SIGN_IN_MS = 10 * 60_000;
/** Reset links one account may be sent in an hour; more requests are answered the same but send nothing. */
const RESET_EMAILS_PER_HOUR = 3;
/**
 * Asking for a reset link takes at least this long whether or not the address has an account, so the
 * response time does not say which (sending one writes to the database; not sending one does not).
 */
const RESET_REQUEST_MIN_MS = 150;

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

export type PasswordCheck = { outcome: 'ok' } | { outcome: 'wrong' } | { outcome: 'locked'; until: Date };

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

export interface TotpSetup {
  /** The pending secret, sealed, for the session to hold until the code confirms it. */
  sealed: string;
  /** In groups of four, for typing into an app. */
  secretForDisplay: string;
  otpauthUri: string;
  /** data:image/svg+xml;base64,... (the CSP allows data: images; no script or style is involved). */
  qrCodeDataUrl: string;
}

export type FieldProblems = Record<string, string>;

// Verifying against this when the email is unknown makes "no such user" take as long as "wrong
// password", so response times do not reveal which addresses have accounts.
const DUMMY_HASH = hash('civicdesk-no-such-user');

function toStaffUser(row: repo.StaffRow): StaffUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    bodyId: row.body_id,
    teamId: row.team_id,
    totpEnabled: row.totp_secret !== null,
  };
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export class StaffService {
  readonly #totpBox: SecretBox;
  readonly #setupBox: SecretBox;
  readonly #resetBox: SecretBox;
  readonly #now: () => Date;
  readonly #email: EmailContext;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: StaffSecuritySettings,
    private readonly jobs: Jobs,
    { now = () => new Date() }: { now?: () => Date } = {},
  ) {
    // One derived key per purpose: a value sealed for one purpose cannot be opened as another.
    this.#totpBox = new SecretBox(settings.sessionSecret, 'staff-totp-secret');
    this.#setupBox = new SecretBox(settings.sessionSecret, 'staff-totp-setup');
    this.#resetBox = new SecretBox(settings.sessionSecret, 'staff-password-reset-session');
    this.#now = now;
    this.#email = { councilName: settings.councilName, baseUrl: settings.baseUrl };
  }

  now(): Date {
    return this.#now();
  }

  async byId(id: string): Promise<StaffUser | undefined> {
    const row = await repo.findStaffById(this.db, id);
    return row && !row.disabled_at ? toStaffUser(row) : undefined;
  }

  /** Admins always; everyone when the council says so. */
  totpRequired(staff: Pick<StaffUser, 'role'>): boolean {
    return staff.role === 'admin' || this.settings.totpRequiredForAll;
  }

  /** Signed in, but may reach only the set-up page until an authenticator app is set up. */
  mustSetUpTotp(staff: StaffUser): boolean {
    return !staff.totpEnabled && this.totpRequired(staff);
  }

  // ---------------------------------------------------------------- sign-in: the password step

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
    const now = this.#now();
    const row = await repo.findStaffByEmail(this.db, email);
    if (!row || !row.password_hash || row.disabled_at || isLocked(row, now)) {
      await verify(await DUMMY_HASH, password).catch(() => false);
      return { outcome: 'failed' };
    }
    if (!(await verify(row.password_hash, password).catch(() => false))) {
      await this.#recordFailure(row, now);
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
    await repo.recordSignIn(this.db, staffId, this.#now());
  }

  startPendingSignIn(staff: StaffUser): PendingSignIn {
    return { staffUserId: staff.id, startedAt: this.#now().getTime() };
  }

  async #pendingRow(pending: PendingSignIn, now: Date): Promise<repo.StaffRow | undefined> {
    if (now.getTime() - pending.startedAt > PENDING_SIGN_IN_MS || pending.startedAt > now.getTime()) {
      return undefined;
    }
    const row = await repo.findStaffById(this.db, pending.staffUserId);
    if (!row || row.disabled_at || !row.password_hash || !row.totp_secret) return undefined;
    if (row.sessions_revoked_at && row.sessions_revoked_at.getTime() > pending.startedAt) return undefined;
    return row;
  }

  /** Whether a half-done sign-in can still be finished (for showing the code page). */
  async pendingSignInIsLive(pending: PendingSignIn): Promise<boolean> {
    return (await this.#pendingRow(pending, this.#now())) !== undefined;
  }

  // ---------------------------------------------------------------- sign-in: the code step

  /** The code step: a code from the authenticator app. Wrong and replayed codes count as failures. */
  async verifySignInCode(pending: PendingSignIn, code: string): Promise<CodeOutcome> {
    const now = this.#now();
    const row = await this.#pendingRow(pending, now);
    if (!row) return { outcome: 'expired' };
    if (isLocked(row, now)) return { outcome: 'locked', until: row.locked_until! };
    const outcome = await this.#checkTotp(row, code, now);
    if (outcome.outcome === 'ok') await repo.recordSignIn(this.db, row.id, now);
    return outcome;
  }

  /** The code step with a recovery code instead: each works once. The owner is told by email. */
  async verifySignInRecoveryCode(pending: PendingSignIn, code: string): Promise<CodeOutcome> {
    const now = this.#now();
    const row = await this.#pendingRow(pending, now);
    if (!row) return { outcome: 'expired' };
    if (isLocked(row, now)) return { outcome: 'locked', until: row.locked_until! };
    const normalised = normaliseRecoveryCode(code);
    const used = await this.db.transaction().execute(async (trx) => {
      if (
        !normalised ||
        !(await repo.useRecoveryCode(trx, row.id, hashRecoveryCode(row.id, normalised), now))
      ) {
        return false;
      }
      await repo.recordSignIn(trx, row.id, now);
      // A secret that can no longer be opened (the session secret changed) is useless: turn TOTP off,
      // so that, if it is required, the next page is setting up the app again.
      if (this.#totpBox.open(row.totp_secret!, row.id) === undefined) await repo.disableTotp(trx, row.id);
      await enqueueEmail(this.jobs, trx, twoFactorChangedEmail(this.#email, row, 'recovery-code-used', now));
      return true;
    });
    if (used) {
      this.jobs.wake();
      const fresh = await repo.findStaffById(this.db, row.id);
      return { outcome: 'ok', staff: toStaffUser(fresh ?? row) };
    }
    const failure = await this.#recordFailure(row, now);
    return failure ? { outcome: 'locked', until: failure } : { outcome: 'wrong' };
  }

  async #checkTotp(row: repo.StaffRow, code: string, now: Date): Promise<CodeOutcome> {
    const secret = this.#totpBox.open(row.totp_secret!, row.id);
    if (secret === undefined) return { outcome: 'unreadable' };
    const step = verifyTotp(secret, code, now);
    if (step !== undefined && (await repo.claimTotpStep(this.db, row.id, step))) {
      return { outcome: 'ok', staff: toStaffUser(row) };
    }
    const failure = await this.#recordFailure(row, now);
    if (failure) return { outcome: 'locked', until: failure };
    return step === undefined ? { outcome: 'wrong' } : { outcome: 'used' };
  }

  /**
   * Counts a failed attempt; at the limit, locks the account and emails its owner (in the same
   * transaction, so the email goes if and only if the lock was made). Returns the lock's end if the
   * account is now locked.
   */
  async #recordFailure(row: repo.StaffRow, now: Date): Promise<Date | undefined> {
    const { lockoutAttempts, lockoutWindowMs, lockoutMs } = this.settings;
    const result = await this.db.transaction().execute(async (trx) => {
      const count = await repo.recordFailedAttempt(trx, row.id, {
        now,
        windowStart: new Date(now.getTime() - lockoutWindowMs),
      });
      if (count < lockoutAttempts) return { until: undefined, emailed: false };
      const until = new Date(now.getTime() + lockoutMs);
      const lockedNow = await repo.lockAccount(trx, row.id, now, until);
      if (lockedNow) {
        await enqueueEmail(this.jobs, trx, accountLockedEmail(this.#email, row, until, count));
      }
      return { until, emailed: lockedNow };
    });
    if (result.emailed) this.jobs.wake();
    return result.until;
  }

  // ---------------------------------------------------------------- sign-in through the identity provider

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
    const now = this.#now();
    return this.db.transaction().execute(async (trx): Promise<OidcSignInOutcome> => {
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

  // ---------------------------------------------------------------- re-authentication when signed in

  /**
   * The current password, asked again before a sensitive change (new password, new recovery codes,
   * a different app, turning TOTP off). Wrong answers count towards the lockout like sign-in failures.
   */
  async confirmPassword(staffId: string, password: string): Promise<PasswordCheck> {
    const now = this.#now();
    const row = await repo.findStaffById(this.db, staffId);
    if (!row?.password_hash || row.disabled_at) return { outcome: 'wrong' };
    if (isLocked(row, now)) return { outcome: 'locked', until: row.locked_until! };
    if (await verify(row.password_hash, password).catch(() => false)) return { outcome: 'ok' };
    const until = await this.#recordFailure(row, now);
    return until ? { outcome: 'locked', until } : { outcome: 'wrong' };
  }

  // ---------------------------------------------------------------- setting up TOTP

  /**
   * A secret for the set-up page. While the page is reloaded the same secret is shown (the person may
   * have scanned it already), so the sealed pending secret is passed back in when the session has one.
   */
  async beginTotpSetup(staff: StaffUser, pendingSealed?: string): Promise<TotpSetup> {
    const binding = `setup:${staff.id}`;
    const existing = pendingSealed ? this.#setupBox.open(pendingSealed, binding) : undefined;
    const secret = existing ?? generateTotpSecret();
    const uri = otpauthUri({
      secret,
      issuer: `${this.settings.councilName} Civicdesk`,
      account: staff.email,
    });
    const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    return {
      sealed: existing ? pendingSealed! : this.#setupBox.seal(secret, binding),
      secretForDisplay: groupSecret(secret),
      otpauthUri: uri,
      qrCodeDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
    };
  }

  /**
   * Turns TOTP on once a code from the new app proves it was set up right. Returns the recovery codes,
   * to be shown once: only their hashes are kept. Every session of this person is ended (they were
   * started without the second factor); the route signs this browser in again.
   */
  async confirmTotpSetup(
    staff: StaffUser,
    pendingSealed: string,
    code: string,
  ): Promise<{ outcome: 'ok'; recoveryCodes: string[] } | { outcome: 'wrong' } | { outcome: 'expired' }> {
    const now = this.#now();
    const secret = this.#setupBox.open(pendingSealed, `setup:${staff.id}`);
    if (secret === undefined) return { outcome: 'expired' };
    const step = verifyTotp(secret, code, now);
    if (step === undefined) return { outcome: 'wrong' };
    const recoveryCodes = generateRecoveryCodes();
    const replacing = staff.totpEnabled;
    await this.db.transaction().execute(async (trx) => {
      // The step of the confirming code is recorded as used, so it cannot also sign someone in.
      await repo.enableTotp(trx, staff.id, { sealedSecret: this.#totpBox.seal(secret, staff.id), now, step });
      await repo.replaceRecoveryCodes(
        trx,
        staff.id,
        recoveryCodes.map((c) => hashRecoveryCode(staff.id, normaliseRecoveryCode(c)!)),
      );
      await repo.endAllSessions(trx, staff.id, now);
      await enqueueEmail(
        this.jobs,
        trx,
        twoFactorChangedEmail(this.#email, staff, replacing ? 'new-codes' : 'on', now),
      );
    });
    this.jobs.wake();
    return { outcome: 'ok', recoveryCodes };
  }

  async newRecoveryCodes(staff: StaffUser): Promise<string[]> {
    const now = this.#now();
    const recoveryCodes = generateRecoveryCodes();
    await this.db.transaction().execute(async (trx) => {
      await repo.replaceRecoveryCodes(
        trx,
        staff.id,
        recoveryCodes.map((c) => hashRecoveryCode(staff.id, normaliseRecoveryCode(c)!)),
      );
      await enqueueEmail(this.jobs, trx, twoFactorChangedEmail(this.#email, staff, 'new-codes', now));
    });
    this.jobs.wake();
    return recoveryCodes;
  }

  /** Only for someone TOTP is not required of (the route checks, and so does this). */
  async turnOffTotp(staff: StaffUser): Promise<void> {
    if (this.totpRequired(staff)) throw new Error('TOTP is required for this member of staff');
    const now = this.#now();
    await this.db.transaction().execute(async (trx) => {
      await repo.disableTotp(trx, staff.id);
      await enqueueEmail(this.jobs, trx, twoFactorChangedEmail(this.#email, staff, 'off', now));
    });
    this.jobs.wake();
  }

  // ---------------------------------------------------------------- the account page

  async account(staffId: string): Promise<AccountSummary | undefined> {
    const row = await repo.findStaffById(this.db, staffId);
    if (!row || row.disabled_at) return undefined;
    const staff = toStaffUser(row);
    return {
      staff,
      roleLabel: ROLE_LABELS[staff.role],
      totpRequired: this.totpRequired(staff),
      totpEnabledAt: row.totp_enabled_at,
      recoveryCodesLeft: staff.totpEnabled ? await repo.countUnusedRecoveryCodes(this.db, staff.id) : 0,
      lastSignInAt: row.last_sign_in_at,
      passwordChangedAt: row.password_changed_at,
      hasPassword: row.password_hash !== null,
    };
  }

  /** Sign out everywhere: every session of this person, in every browser, ends now. */
  async signOutEverywhere(staffId: string): Promise<number> {
    return repo.endAllSessions(this.db, staffId, this.#now());
  }

  /**
   * Change password: the current one, and the new one twice. On success every session of this person
   * ends (the route signs this browser in again with a new session) and they are emailed.
   */
  async changePassword(
    staff: StaffUser,
    input: { currentPassword: string; newPassword: string; confirmPassword: string },
  ): Promise<
    { outcome: 'ok' } | { outcome: 'invalid'; problems: FieldProblems } | { outcome: 'locked'; until: Date }
  > {
    const problems: FieldProblems = {};
    if (!input.currentPassword) problems.currentPassword = 'Enter your current password';
    const newProblem = newPasswordProblem(input.newPassword, { email: staff.email });
    if (newProblem) problems.newPassword = newProblem;
    else if (input.newPassword === input.currentPassword) {
      problems.newPassword = 'New password must be different from your current password';
    }
    if (!input.confirmPassword) problems.confirmPassword = 'Confirm your new password';
    else if (!newProblem && input.confirmPassword !== input.newPassword) {
      problems.confirmPassword = 'Passwords must match';
    }
    if (input.currentPassword) {
      const check = await this.confirmPassword(staff.id, input.currentPassword);
      if (check.outcome === 'locked') return check;
      if (check.outcome === 'wrong') problems.currentPassword = 'Your current password is not correct';
    }
    if (Object.keys(problems).length > 0) {
      // In the order of the fields on the page, as the error summary lists them.
      const order = ['currentPassword', 'newPassword', 'confirmPassword'];
      return {
        outcome: 'invalid',
        problems: Object.fromEntries(order.filter((f) => problems[f]).map((f) => [f, problems[f]!])),
      };
    }

    const passwordHash = await hash(input.newPassword);
    const now = this.#now();
    await this.db.transaction().execute(async (trx) => {
      await repo.setPassword(trx, staff.id, passwordHash, now);
      await repo.voidPasswordResets(trx, staff.id, now);
      await repo.endAllSessions(trx, staff.id, now);
      await enqueueEmail(this.jobs, trx, passwordChangedEmail(this.#email, staff, 'changed', now));
    });
    this.jobs.wake();
    return { outcome: 'ok' };
  }

  // ---------------------------------------------------------------- password reset by email

  /**
   * "Forgotten your password": emails a single-use link if the address belongs to an active account.
   * The caller shows the same page whatever happens, and this takes about the same time either way.
   */
  async requestPasswordReset(email: string): Promise<void> {
    const started = Date.now();
    try {
      const now = this.#now();
      const row = await repo.findStaffByEmail(this.db, email);
      // An account without a password was made at a sign-in through the council's identity provider:
      // it signs in only there, so the provider stays the one way in (and the one place to shut it).
      if (!row || row.disabled_at || !row.password_hash) return;
      const sent = await this.db.transaction().execute(async (trx) => {
        await repo.deletePasswordResetsBefore(trx, row.id, new Date(now.getTime() - 24 * 3600_000));
        const recent = await repo.countPasswordResetsSince(trx, row.id, new Date(now.getTime() - 3600_000));
        if (recent >= RESET_EMAILS_PER_HOUR) return false;
        await this.issuePasswordLink(trx, row, 'reset');
        return true;
      });
      if (sent) this.jobs.wake();
    } finally {
      const wait = RESET_REQUEST_MIN_MS - (Date.now() - started);
      if (wait > 0) await sleep(wait);
    }
  }

  /**
   * Makes a single-use link to choose a password and queues the email that carries it, in the caller's
   * transaction: a reset ("Forgotten your password?", or an admin sending one) or an invitation to a
   * new account. Only the token's SHA-256 is stored. Returns when the link stops working.
   */
  async issuePasswordLink(
    executor: Executor,
    to: { id: string; email: string; name: string },
    purpose: 'reset' | 'invitation',
    invitedBy?: string,
  ): Promise<Date> {
    const now = this.#now();
    const token = crypto.randomBytes(32).toString('base64url');
    const expiresAt = new Date(
      now.getTime() + (purpose === 'invitation' ? this.settings.invitationMs : this.settings.passwordResetMs),
    );
    await repo.insertPasswordReset(executor, {
      tokenHash: sha256(token),
      staffUserId: to.id,
      now,
      expiresAt,
      purpose,
    });
    // The token travels in the query string, which the request log leaves out (a path would be logged).
    const link = `${this.settings.baseUrl}/staff/reset-password?token=${token}`;
    await enqueueEmail(
      this.jobs,
      executor,
      purpose === 'invitation'
        ? invitationEmail(this.#email, to, link, expiresAt, invitedBy)
        : passwordResetEmail(this.#email, to, link, expiresAt),
    );
    return expiresAt;
  }

  /**
   * Who a link to choose a password is for, and whether it is an invitation, if it still works (it is
   * not used up by looking).
   */
  async passwordResetTarget(
    token: string,
  ): Promise<(StaffUser & { linkPurpose: 'reset' | 'invitation' }) | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const link = await repo.findUsablePasswordReset(this.db, sha256(token), this.#now());
    const staff = link ? await this.byId(link.staffUserId) : undefined;
    return staff && link ? { ...staff, linkPurpose: link.purpose } : undefined;
  }

  /** The token, sealed for keeping in the session between the link and the form. */
  sealResetToken(token: string, sessionCsrfToken: string): string {
    return this.#resetBox.seal(token, sessionCsrfToken);
  }

  openResetToken(sealed: unknown, sessionCsrfToken: string): string | undefined {
    return typeof sealed === 'string' ? this.#resetBox.open(sealed, sessionCsrfToken) : undefined;
  }

  /**
   * Sets a new password from a reset link, using the link up. Every session of the account ends,
   * every other link stops working, a lock is lifted, and the owner is emailed. A TOTP stays on: the
   * next sign-in still asks for a code.
   */
  async resetPassword(
    token: string,
    input: { newPassword: string; confirmPassword: string },
  ): Promise<{ outcome: 'ok' } | { outcome: 'invalid'; problems: FieldProblems } | { outcome: 'expired' }> {
    const staff = await this.passwordResetTarget(token);
    if (!staff) return { outcome: 'expired' };
    const problems: FieldProblems = {};
    const newProblem = newPasswordProblem(input.newPassword, { email: staff.email });
    if (newProblem) problems.newPassword = newProblem;
    if (!input.confirmPassword) problems.confirmPassword = 'Confirm your new password';
    else if (!newProblem && input.confirmPassword !== input.newPassword) {
      problems.confirmPassword = 'Passwords must match';
    }
    if (Object.keys(problems).length > 0) return { outcome: 'invalid', problems };

    const passwordHash = await hash(input.newPassword);
    const now = this.#now();
    const done = await this.db.transaction().execute(async (trx) => {
      // Used up here, in the same transaction as the change: of two submissions, one wins.
      const staffId = await repo.consumePasswordReset(trx, sha256(token), now);
      if (staffId !== staff.id) return false;
      await repo.setPassword(trx, staff.id, passwordHash, now);
      await repo.voidPasswordResets(trx, staff.id, now);
      await repo.endAllSessions(trx, staff.id, now);
      // Someone choosing their first password from an invitation needs no notice that they did.
      if (staff.linkPurpose === 'reset') {
        await enqueueEmail(this.jobs, trx, passwordChangedEmail(this.#email, staff, 'reset', now));
      }
      return true;
    });
    if (!done) return { outcome: 'expired' };
    this.jobs.wake();
    return { outcome: 'ok' };
  }
}

function isLocked(row: repo.StaffRow, now: Date): boolean {
  return row.locked_until !== null && row.locked_until.getTime() > now.getTime();
}
