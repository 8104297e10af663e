/**
 * What the staff module's services share: the staff member as the rest of the app sees them, the
 * settings, the clock, the sealed TOTP secrets, and the failure count that locks an account (counted
 * alike by sign-in codes and by passwords asked again when signed in). The sign-in, two-factor and
 * password services each take one `StaffCore`; `StaffService` (staff.service.ts) builds it and them.
 *
 * Time comes from the injected `now`, never from `new Date()` directly, so tests can move the clock
 * (lockout expiry, link expiry, TOTP steps) instead of sleeping.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database, StaffRole } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import { SecretBox } from '../../lib/secret-box.js';
import { accountLockedEmail, type EmailContext } from './staff-emails.js';
import * as repo from './staff.repository.js';

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

export type FieldProblems = Record<string, string>;

export class StaffCore {
  /** Seals TOTP secrets at rest; bound to the account they belong to. */
  readonly totpBox: SecretBox;
  readonly email: EmailContext;
  readonly #now: () => Date;

  constructor(
    readonly db: Kysely<Database>,
    readonly settings: StaffSecuritySettings,
    readonly jobs: Jobs,
    now: () => Date,
  ) {
    this.totpBox = new SecretBox(settings.sessionSecret, 'staff-totp-secret');
    this.email = { councilName: settings.councilName, baseUrl: settings.baseUrl };
    this.#now = now;
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

  /**
   * Counts a failed attempt; at the limit, locks the account and emails its owner (in the same
   * transaction, so the email goes if and only if the lock was made). Returns the lock's end if the
   * account is now locked.
   */
  async recordFailure(row: repo.StaffRow, now: Date): Promise<Date | undefined> {
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
        await enqueueEmail(this.jobs, trx, accountLockedEmail(this.email, row, until, count));
      }
      return { until, emailed: lockedNow };
    });
    if (result.emailed) this.jobs.wake();
    return result.until;
  }
}

export function toStaffUser(row: repo.StaffRow): StaffUser {
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

export function isLocked(row: repo.StaffRow, now: Date): boolean {
  return row.locked_until !== null && row.locked_until.getTime() > now.getTime();
}
