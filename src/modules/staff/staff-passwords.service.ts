/**
 * Passwords: asked again before a sensitive change, changed on the account page, and reset or chosen
 * for the first time through single-use emailed links ("Forgotten your password?", an admin's reset,
 * an invitation). Only hashes of passwords and link tokens are stored.
 */
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hash, verify } from '@node-rs/argon2';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { newPasswordProblem } from './passwords.js';
import { SecretBox } from '../../lib/secret-box.js';
import { isLocked, type FieldProblems, type StaffCore, type StaffUser } from './staff-core.js';
import { invitationEmail, passwordChangedEmail, passwordResetEmail } from './staff-emails.js';
import * as repo from './staff.repository.js';

/** Reset links one account may be sent in an hour; more requests are answered the same but send nothing. */
const RESET_EMAILS_PER_HOUR = 3;
/**
 * Asking for a reset link takes at least this long whether or not the address has an account, so the
 * response time does not say which (sending one writes to the database; not sending one does not).
 */
const RESET_REQUEST_MIN_MS = 150;

export type PasswordCheck = { outcome: 'ok' } | { outcome: 'wrong' } | { outcome: 'locked'; until: Date };

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export class StaffPasswords {
  /** Seals a reset token into the session between the link and the form (a key of its own). */
  readonly #resetBox: SecretBox;

  constructor(private readonly core: StaffCore) {
    this.#resetBox = new SecretBox(core.settings.sessionSecret, 'staff-password-reset-session');
  }

  // ---------------------------------------------------------------- when signed in

  /**
   * The current password, asked again before a sensitive change (new password, new recovery codes,
   * a different app, turning TOTP off). Wrong answers count towards the lockout like sign-in failures.
   */
  async confirmPassword(staffId: string, password: string): Promise<PasswordCheck> {
    const now = this.core.now();
    const row = await repo.findStaffById(this.core.db, staffId);
    if (!row?.password_hash || row.disabled_at) return { outcome: 'wrong' };
    if (isLocked(row, now)) return { outcome: 'locked', until: row.locked_until! };
    if (await verify(row.password_hash, password).catch(() => false)) return { outcome: 'ok' };
    const until = await this.core.recordFailure(row, now);
    return until ? { outcome: 'locked', until } : { outcome: 'wrong' };
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
    const now = this.core.now();
    await this.core.db.transaction().execute(async (trx) => {
      await repo.setPassword(trx, staff.id, passwordHash, now);
      await repo.voidPasswordResets(trx, staff.id, now);
      await repo.endAllSessions(trx, staff.id, now);
      await enqueueEmail(this.core.jobs, trx, passwordChangedEmail(this.core.email, staff, 'changed', now));
    });
    this.core.jobs.wake();
    return { outcome: 'ok' };
  }

  // ---------------------------------------------------------------- links to choose a password

  /**
   * "Forgotten your password": emails a single-use link if the address belongs to an active account.
   * The caller shows the same page whatever happens, and this takes about the same time either way.
   */
  async requestPasswordReset(email: string): Promise<void> {
    const started = Date.now();
    try {
      const now = this.core.now();
      const row = await repo.findStaffByEmail(this.core.db, email);
      // An account without a password was made at a sign-in through the council's identity provider:
      // it signs in only there, so the provider stays the one way in (and the one place to shut it).
      if (!row || row.disabled_at || !row.password_hash) return;
      const sent = await this.core.db.transaction().execute(async (trx) => {
        await repo.deletePasswordResetsBefore(trx, row.id, new Date(now.getTime() - 24 * 3600_000));
        const recent = await repo.countPasswordResetsSince(trx, row.id, new Date(now.getTime() - 3600_000));
        if (recent >= RESET_EMAILS_PER_HOUR) return false;
        await this.issuePasswordLink(trx, row, 'reset');
        return true;
      });
      if (sent) this.core.jobs.wake();
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
    const now = this.core.now();
    const token = crypto.randomBytes(32).toString('base64url');
    const expiresAt = new Date(
      now.getTime() +
        (purpose === 'invitation' ? this.core.settings.invitationMs : this.core.settings.passwordResetMs),
    );
    await repo.insertPasswordReset(executor, {
      tokenHash: sha256(token),
      staffUserId: to.id,
      now,
      expiresAt,
      purpose,
    });
    // The token travels in the query string, which the request log leaves out (a path would be logged).
    const link = `${this.core.settings.baseUrl}/staff/reset-password?token=${token}`;
    await enqueueEmail(
      this.core.jobs,
      executor,
      purpose === 'invitation'
        ? invitationEmail(this.core.email, to, link, expiresAt, invitedBy)
        : passwordResetEmail(this.core.email, to, link, expiresAt),
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
    const link = await repo.findUsablePasswordReset(this.core.db, sha256(token), this.core.now());
    const staff = link ? await this.core.byId(link.staffUserId) : undefined;
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
    const now = this.core.now();
    const done = await this.core.db.transaction().execute(async (trx) => {
      // Used up here, in the same transaction as the change: of two submissions, one wins.
      const staffId = await repo.consumePasswordReset(trx, sha256(token), now);
      if (staffId !== staff.id) return false;
      await repo.setPassword(trx, staff.id, passwordHash, now);
      await repo.voidPasswordResets(trx, staff.id, now);
      await repo.endAllSessions(trx, staff.id, now);
      // Someone choosing their first password from an invitation needs no notice that they did.
      if (staff.linkPurpose === 'reset') {
        await enqueueEmail(this.core.jobs, trx, passwordChangedEmail(this.core.email, staff, 'reset', now));
      }
      return true;
    });
    if (!done) return { outcome: 'expired' };
    this.core.jobs.wake();
    return { outcome: 'ok' };
  }
}
