/**
 * All of the staff module's queries. Counters, the TOTP step and single-use tokens are changed with
 * conditional UPDATEs, so two processes racing (two sign-ins with the same code, a reset link opened
 * twice) cannot both win.
 */
import { sql, type Selectable } from 'kysely';
import type { StaffUserTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type StaffRow = Selectable<StaffUserTable>;

export function findStaffByEmail(db: Executor, email: string): Promise<StaffRow | undefined> {
  return db
    .selectFrom('staff_user')
    .selectAll()
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
}

/** The account an identity-provider account (issuer and subject) signs into, if one is linked. */
export function findStaffByProviderIdentity(
  db: Executor,
  identity: { issuer: string; subject: string },
): Promise<StaffRow | undefined> {
  return db
    .selectFrom('staff_user')
    .selectAll()
    .where('oidc_issuer', '=', identity.issuer)
    .where('oidc_subject', '=', identity.subject)
    .executeTakeFirst();
}

/** Links (or, with null, unlinks) the identity-provider account that signs into this one. */
export async function setProviderIdentity(
  db: Executor,
  id: string,
  identity: { issuer: string; subject: string } | null,
): Promise<void> {
  await db
    .updateTable('staff_user')
    .set({ oidc_issuer: identity?.issuer ?? null, oidc_subject: identity?.subject ?? null })
    .where('id', '=', id)
    .execute();
}

export function findStaffById(db: Executor, id: string): Promise<StaffRow | undefined> {
  return db.selectFrom('staff_user').selectAll().where('id', '=', id).executeTakeFirst();
}

// ------------------------------------------------------------------ lockout

/**
 * Counts one failed attempt and returns the count in the current window. A window starts at the first
 * failure and lasts `windowStart` back from now: a failure after it has passed starts a new count.
 */
export async function recordFailedAttempt(
  db: Executor,
  id: string,
  { now, windowStart }: { now: Date; windowStart: Date },
): Promise<number> {
  const stale = sql<boolean>`(failed_since is null or failed_since <= ${windowStart})`;
  const row = await db
    .updateTable('staff_user')
    .set({
      failed_attempts: sql`case when ${stale} then 1 else failed_attempts + 1 end`,
      failed_since: sql`case when ${stale} then ${now} else failed_since end`,
    })
    .where('id', '=', id)
    .returning('failed_attempts')
    .executeTakeFirst();
  return row?.failed_attempts ?? 0;
}

/** Locks the account until `until`, starting the count afresh. True if this call locked it. */
export async function lockAccount(db: Executor, id: string, now: Date, until: Date): Promise<boolean> {
  const row = await db
    .updateTable('staff_user')
    .set({ locked_until: until, failed_attempts: 0, failed_since: null })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function recordSignIn(db: Executor, id: string, now: Date): Promise<void> {
  await db
    .updateTable('staff_user')
    .set({ failed_attempts: 0, failed_since: null, locked_until: null, last_sign_in_at: now })
    .where('id', '=', id)
    .execute();
}

// ------------------------------------------------------------------ TOTP

/**
 * Marks `step` as used, unless it or a later step already was: true if the code may be accepted. One
 * statement, so of two requests with the same code exactly one gets true.
 */
export async function claimTotpStep(db: Executor, id: string, step: number): Promise<boolean> {
  const row = await db
    .updateTable('staff_user')
    .set({ totp_last_step: step })
    .where('id', '=', id)
    .where('totp_secret', 'is not', null)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function enableTotp(
  db: Executor,
  id: string,
  { sealedSecret, now, step }: { sealedSecret: string; now: Date; step: number },
): Promise<void> {
  await db
    .updateTable('staff_user')
    .set({ totp_secret: sealedSecret, totp_enabled_at: now, totp_last_step: step })
    .where('id', '=', id)
    .execute();
}

export async function disableTotp(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('staff_user')
    .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
    .where('id', '=', id)
    .execute();
  await db.deleteFrom('staff_recovery_code').where('staff_user_id', '=', id).execute();
}

export async function replaceRecoveryCodes(db: Executor, id: string, hashes: string[]): Promise<void> {
  await db.deleteFrom('staff_recovery_code').where('staff_user_id', '=', id).execute();
  if (hashes.length > 0) {
    await db
      .insertInto('staff_recovery_code')
      .values(hashes.map((code_hash) => ({ staff_user_id: id, code_hash })))
      .execute();
  }
}

/** Uses the code if it is this person's and unused: true once, false ever after. */
export async function useRecoveryCode(
  db: Executor,
  id: string,
  codeHash: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .updateTable('staff_recovery_code')
    .set({ used_at: now })
    .where('staff_user_id', '=', id)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .returning('code_hash')
    .executeTakeFirst();
  return row !== undefined;
}

export async function countUnusedRecoveryCodes(db: Executor, id: string): Promise<number> {
  const row = await db
    .selectFrom('staff_recovery_code')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('staff_user_id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ------------------------------------------------------------------ passwords and sessions

export async function setPassword(db: Executor, id: string, passwordHash: string, now: Date): Promise<void> {
  await db
    .updateTable('staff_user')
    .set({
      password_hash: passwordHash,
      password_changed_at: now,
      // A new password is a fresh start: proving control of the account (the old password, or the
      // email inbox for a reset) lifts a lock.
      failed_attempts: 0,
      failed_since: null,
      locked_until: null,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Ends every session of this member of staff, in every browser and process (sessions are rows), and
 * voids any half-done sign-in. Returns how many sessions there were.
 */
export async function endAllSessions(db: Executor, id: string, now: Date): Promise<number> {
  await db.updateTable('staff_user').set({ sessions_revoked_at: now }).where('id', '=', id).execute();
  const result = await db.deleteFrom('session').where('staff_user_id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows);
}

// ------------------------------------------------------------------ password reset

export async function insertPasswordReset(
  db: Executor,
  reset: {
    tokenHash: string;
    staffUserId: string;
    now: Date;
    expiresAt: Date;
    purpose?: 'reset' | 'invitation';
  },
): Promise<void> {
  await db
    .insertInto('staff_password_reset')
    .values({
      token_hash: reset.tokenHash,
      staff_user_id: reset.staffUserId,
      created_at: reset.now,
      expires_at: reset.expiresAt,
      purpose: reset.purpose ?? 'reset',
    })
    .execute();
}

export async function countPasswordResetsSince(db: Executor, id: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('staff_password_reset')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('staff_user_id', '=', id)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Old links are kept a day (for the count above and for support questions), then removed. */
export async function deletePasswordResetsBefore(db: Executor, id: string, before: Date): Promise<void> {
  await db
    .deleteFrom('staff_password_reset')
    .where('staff_user_id', '=', id)
    .where('expires_at', '<', before)
    .execute();
}

/** The staff user a link is for, if it is unused and unexpired (does not use it up). */
export async function findUsablePasswordReset(
  db: Executor,
  tokenHash: string,
  now: Date,
): Promise<{ staffUserId: string; purpose: 'reset' | 'invitation' } | undefined> {
  const row = await db
    .selectFrom('staff_password_reset')
    .select(['staff_user_id', 'purpose'])
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ? { staffUserId: row.staff_user_id, purpose: row.purpose } : undefined;
}

/** Uses the link up: the staff user's id the first time, undefined ever after or once expired. */
export async function consumePasswordReset(
  db: Executor,
  tokenHash: string,
  now: Date,
): Promise<string | undefined> {
  const row = await db
    .updateTable('staff_password_reset')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('staff_user_id')
    .executeTakeFirst();
  return row?.staff_user_id;
}

/** Every other outstanding link for this person stops working. */
export async function voidPasswordResets(db: Executor, id: string, now: Date): Promise<void> {
  await db
    .updateTable('staff_password_reset')
    .set({ used_at: now })
    .where('staff_user_id', '=', id)
    .where('used_at', 'is', null)
    .execute();
}

export async function insertStaff(
  db: Executor,
  staff: {
    email: string;
    name: string;
    role: StaffRow['role'];
    body_id: string;
    team_id: string | null;
    password_hash: string | null;
  },
): Promise<string | undefined> {
  const row = await db
    .insertInto('staff_user')
    .values(staff)
    .onConflict((oc) => oc.column('email').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

// ------------------------------------------------------------------ administration (admin pages)

export interface StaffListRow extends StaffRow {
  body_code: string;
  body_name: string;
  team_code: string | null;
  team_name: string | null;
}

/** Everyone, with their body and team, by name; optionally of one body and one role. */
export function listStaff(
  db: Executor,
  filters: { id?: string; bodyId?: string; role?: StaffRow['role'] },
): Promise<StaffListRow[]> {
  let query = db
    .selectFrom('staff_user')
    .innerJoin('body', 'body.id', 'staff_user.body_id')
    .leftJoin('team', 'team.id', 'staff_user.team_id')
    .selectAll('staff_user')
    .select([
      'body.code as body_code',
      'body.name as body_name',
      'team.code as team_code',
      'team.name as team_name',
    ]);
  if (filters.id) query = query.where('staff_user.id', '=', filters.id);
  if (filters.bodyId) query = query.where('staff_user.body_id', '=', filters.bodyId);
  if (filters.role) query = query.where('staff_user.role', '=', filters.role);
  return query.orderBy('staff_user.name').orderBy('staff_user.email').execute();
}

export async function updateStaffDetails(
  db: Executor,
  id: string,
  changes: { name: string; role: StaffRow['role']; body_id: string; team_id: string | null },
): Promise<void> {
  await db.updateTable('staff_user').set(changes).where('id', '=', id).execute();
}

/** True if this call changed it (disabling a disabled account, or enabling an enabled one, does not). */
export async function setDisabled(db: Executor, id: string, disabledAt: Date | null): Promise<boolean> {
  const row = await db
    .updateTable('staff_user')
    .set({ disabled_at: disabledAt })
    .where('id', '=', id)
    .where('disabled_at', disabledAt ? 'is' : 'is not', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

// ------------------------------------------------------------------ OpenID Connect

/**
 * A sign-in through the identity provider. The password lockout is left as it is: a provider sign-in
 * says nothing about who is guessing the password, and clearing the count would give a guesser more tries.
 */
export async function recordProviderSignIn(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable('staff_user').set({ last_sign_in_at: now }).where('id', '=', id).execute();
}

/** Sets the role from the identity provider's claim. True if it changed. */
export async function setRole(db: Executor, id: string, role: StaffRow['role']): Promise<boolean> {
  const row = await db
    .updateTable('staff_user')
    .set({ role })
    .where('id', '=', id)
    .where('role', '!=', role)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Lifts a lock and forgets the failures counted so far. */
export async function unlockAccount(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('staff_user')
    .set({ failed_attempts: 0, failed_since: null, locked_until: null })
    .where('id', '=', id)
    .execute();
}

/**
 * A new account for someone the identity provider vouched for, with no password (they sign in through
 * the provider). Of two first sign-ins at once, one inserts and the other finds nothing to insert:
 * undefined, and the caller reads the row the other made.
 */
export function insertStaffWithoutPassword(
  db: Executor,
  values: { email: string; name: string; role: StaffRow['role']; bodyId: string; teamId: string | null },
): Promise<StaffRow | undefined> {
  return db
    .insertInto('staff_user')
    .values({
      email: values.email,
      name: values.name,
      role: values.role,
      body_id: values.bodyId,
      team_id: values.teamId,
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function activeStaffOfBody(db: Executor, bodyId: string) {
  return db
    .selectFrom('staff_user')
    .select(['id', 'name', 'team_id', 'role'])
    .where('body_id', '=', bodyId)
    .where('disabled_at', 'is', null)
    .orderBy('name')
    .execute();
}

export function activeTeamLeads(db: Executor, teamId: string) {
  return db
    .selectFrom('staff_user')
    .select(['email', 'name'])
    .where('team_id', '=', teamId)
    .where('role', '=', 'team_lead')
    .where('disabled_at', 'is', null)
    .execute();
}
