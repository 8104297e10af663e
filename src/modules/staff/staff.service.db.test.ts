/**
 * The sign-in rules on a real database (both engines), with the clock injected so that lockouts, link
 * expiry and TOTP steps are tested by moving time, not by waiting for it.
 */
import assert from 'node:assert/strict';
import { beforeEach, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import { loadConfig } from '../../config.js';
import { Jobs } from '../../infra/jobs/jobs.js';
import { EMAIL_SEND, registerEmailJobs } from '../../infra/mailer/email.jobs.js';
import type { Mailer } from '../../infra/mailer/mailer.js';
import { describeEachEngine } from '../../../test/helpers/database.js';
import { OrganisationsService } from '../organisations/organisations.service.js';
import { StaffAdminService } from './staff-admin.service.js';
import { StaffService, staffSecuritySettings, type PendingSignIn, type StaffUser } from './staff.service.js';
import { totpCode, totpStep } from './totp.js';

const PASSWORD = 'kettle orbit plum saxophone';
const START = new Date('2026-12-01T09:00:00Z');

const unusedMailer: Mailer = {
  kind: 'file',
  send: async () => {
    throw new Error('not sent in this test: the outbox is read instead');
  },
  close: async () => {},
};

describeEachEngine('staff sign-in rules', (getDatabase) => {
  let clock: Date;
  let jobs: Jobs;
  const settings = staffSecuritySettings(
    loadConfig({ CIVICDESK_ENV: 'test', CIVICDESK_BASE_URL: 'https://report.example.gov.uk' }),
  );
  const service = (overrides: Partial<typeof settings> = {}) =>
    new StaffService(getDatabase().db, { ...settings, ...overrides }, jobs, { now: () => clock });
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
  const minutes = (n: number) => n * 60_000;

  let admin: StaffUser;
  let officer: StaffUser;

  async function emailsTo(address: string): Promise<{ subject: string; text: string }[]> {
    const rows = await getDatabase()
      .db.selectFrom('outbox_job')
      .select('payload')
      .where('kind', '=', EMAIL_SEND)
      .orderBy('id')
      .execute();
    return rows
      .map((r) => r.payload as { to: string; subject: string; text: string })
      .filter((p) => p.to === address);
  }

  beforeEach(async () => {
    const { db } = getDatabase();
    clock = START;
    jobs = new Jobs(db, { maxAttempts: 3, leaseSeconds: 30, concurrency: 1, pollMs: 1000 });
    registerEmailJobs(jobs, unusedMailer);
    await db.deleteFrom('outbox_job').execute();
    await db.deleteFrom('session').execute();
    await db.deleteFrom('staff_user').execute();
    await db.deleteFrom('team').execute();
    await db.deleteFrom('body').execute();
    const body = await db
      .insertInto('body')
      .values({ code: 'ashdown', name: 'Ashdown', kind: 'district', email: null, phone: null, website: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const passwordHash = await hash(PASSWORD);
    const ids = await db
      .insertInto('staff_user')
      .values([
        {
          email: 'admin@ashdown.example',
          name: 'Ada Admin',
          role: 'admin',
          body_id: body.id,
          password_hash: passwordHash,
        },
        {
          email: 'officer@ashdown.example',
          name: 'Olu Officer',
          role: 'officer',
          body_id: body.id,
          password_hash: passwordHash,
        },
      ])
      .returning(['id', 'role'])
      .execute();
    admin = (await service().byId(ids.find((r) => r.role === 'admin')!.id))!;
    officer = (await service().byId(ids.find((r) => r.role === 'officer')!.id))!;
  });

  /** Sets up TOTP for `staff` at the current clock; returns the secret and recovery codes. */
  async function setUpTotp(staff: StaffUser, staffService = service()) {
    const setup = await staffService.twoFactor.beginTotpSetup(staff);
    const secret = setup.secretForDisplay.replace(/\s+/g, '');
    const result = await staffService.twoFactor.confirmTotpSetup(
      staff,
      setup.sealed,
      totpCode(secret, clock),
    );
    assert.equal(result.outcome, 'ok');
    return { secret, recoveryCodes: result.outcome === 'ok' ? result.recoveryCodes : [] };
  }

  async function passwordStep(staffService: StaffService, email: string, password = PASSWORD) {
    const result = await staffService.signIn.checkPassword(email, password);
    return result.outcome === 'ok' ? staffService.signIn.startPendingSignIn(result.staff) : undefined;
  }

  it('requires TOTP of admins always, of everyone when configured, and of no one else', () => {
    assert.equal(service().totpRequired(admin), true);
    assert.equal(service().totpRequired(officer), false);
    assert.equal(service({ totpRequiredForAll: true }).totpRequired(officer), true);
    assert.equal(service().mustSetUpTotp(admin), true);
  });

  it('locks an account after 5 failures in the window, refuses even the right password while locked, and unlocks after the period', async () => {
    const staff = service();
    for (let i = 0; i < 4; i++) {
      assert.equal(
        (await staff.signIn.checkPassword(officer.email, `wrong password ${i}`)).outcome,
        'failed',
      );
      advance(1000);
    }
    assert.equal(
      (await staff.signIn.checkPassword(officer.email, PASSWORD)).outcome,
      'ok',
      'not locked after 4',
    );
    assert.equal((await staff.signIn.checkPassword(officer.email, 'wrong password 5')).outcome, 'failed');
    const locked = await getDatabase()
      .db.selectFrom('staff_user')
      .select('locked_until')
      .where('id', '=', officer.id)
      .executeTakeFirstOrThrow();
    assert.equal(locked.locked_until?.getTime(), clock.getTime() + minutes(15));

    assert.equal(
      (await staff.signIn.checkPassword(officer.email, PASSWORD)).outcome,
      'failed',
      'locked: right password refused',
    );
    const emails = await emailsTo(officer.email);
    assert.equal(emails.length, 1, 'the owner is emailed once');
    assert.match(emails[0]!.subject, /locked/);
    assert.match(emails[0]!.text, /5 failed attempts/);

    advance(minutes(15) - 1000);
    assert.equal(
      (await staff.signIn.checkPassword(officer.email, PASSWORD)).outcome,
      'failed',
      'still locked',
    );
    advance(1001);
    assert.equal(
      (await staff.signIn.checkPassword(officer.email, PASSWORD)).outcome,
      'ok',
      'unlocked after 15 minutes',
    );
    assert.equal((await emailsTo(officer.email)).length, 1);
  });

  it('counts failures only within the window', async () => {
    const staff = service();
    for (let i = 0; i < 4; i++) await staff.signIn.checkPassword(officer.email, 'wrong');
    advance(minutes(15) + 1);
    for (let i = 0; i < 4; i++) await staff.signIn.checkPassword(officer.email, 'wrong');
    assert.equal(
      (await staff.signIn.checkPassword(officer.email, PASSWORD)).outcome,
      'ok',
      'a new window: 4, not 8',
    );
    // A complete sign-in starts the count again; a right password alone does not.
    await staff.signIn.checkPassword(officer.email, 'wrong');
    assert.equal(
      (await staff.signIn.checkPassword(officer.email, PASSWORD)).outcome,
      'failed',
      '4 + 1 locks',
    );
  });

  it('sets up TOTP with the secret sealed and the recovery codes hashed, and signs in with a code', async () => {
    const staff = service();
    const { secret, recoveryCodes } = await setUpTotp(admin);
    assert.equal(recoveryCodes.length, 10);
    const { db } = getDatabase();
    const row = await db
      .selectFrom('staff_user')
      .selectAll()
      .where('id', '=', admin.id)
      .executeTakeFirstOrThrow();
    assert.ok(row.totp_secret?.startsWith('v1.'));
    assert.ok(!row.totp_secret!.includes(secret), 'the secret is not stored as it is');
    const codes = await db
      .selectFrom('staff_recovery_code')
      .select('code_hash')
      .where('staff_user_id', '=', admin.id)
      .execute();
    assert.equal(codes.length, 10);
    for (const code of recoveryCodes) {
      assert.ok(!codes.some((c) => c.code_hash.includes(code.replace(/-/g, ''))));
    }
    assert.equal((await staff.byId(admin.id))?.totpEnabled, true);
    assert.equal(staff.mustSetUpTotp((await staff.byId(admin.id))!), false);

    advance(30_000);
    const pending = (await passwordStep(staff, admin.email))!;
    assert.equal((await staff.signIn.verifySignInCode(pending, '000000')).outcome, 'wrong');
    const ok = await staff.signIn.verifySignInCode(pending, totpCode(secret, clock));
    assert.equal(ok.outcome, 'ok');
  });

  it('refuses a code from a step already used, including the step that confirmed the set-up', async () => {
    const staff = service();
    const { secret } = await setUpTotp(admin);
    const pending = (await passwordStep(staff, admin.email))!;
    assert.equal(
      (await staff.signIn.verifySignInCode(pending, totpCode(secret, clock))).outcome,
      'used',
      'the set-up code cannot sign in',
    );
    const next = totpCode(secret, { step: totpStep(clock) + 1 });
    assert.equal(
      (await staff.signIn.verifySignInCode(pending, next)).outcome,
      'ok',
      'the next step is accepted early',
    );
    const again = (await passwordStep(staff, admin.email))!;
    assert.equal((await staff.signIn.verifySignInCode(again, next)).outcome, 'used', 'replayed');
    assert.equal(
      (await staff.signIn.verifySignInCode(again, totpCode(secret, clock))).outcome,
      'used',
      'an earlier step than one used is refused too',
    );
    advance(60_000);
    assert.equal((await staff.signIn.verifySignInCode(again, totpCode(secret, clock))).outcome, 'ok');
    advance(2 * 30_000);
    const late = (await passwordStep(staff, admin.email))!;
    assert.equal(
      (await staff.signIn.verifySignInCode(late, totpCode(secret, { step: totpStep(clock) - 2 }))).outcome,
      'wrong',
      'two steps old',
    );
  });

  it('accepts each recovery code once, and tells the owner', async () => {
    const staff = service();
    const { recoveryCodes } = await setUpTotp(admin);
    const pending = (await passwordStep(staff, admin.email))!;
    assert.equal(
      (await staff.signIn.verifySignInRecoveryCode(pending, recoveryCodes[3]!.toUpperCase())).outcome,
      'ok',
    );
    const again = (await passwordStep(staff, admin.email))!;
    assert.equal(
      (await staff.signIn.verifySignInRecoveryCode(again, recoveryCodes[3]!)).outcome,
      'wrong',
      'used once',
    );
    assert.equal((await staff.signIn.verifySignInRecoveryCode(again, recoveryCodes[4]!)).outcome, 'ok');
    assert.equal((await staff.account(admin.id))?.recoveryCodesLeft, 8);
    assert.equal(
      (await emailsTo(admin.email)).filter((e) => /recovery code was used/.test(e.subject)).length,
      2,
    );
  });

  it('counts wrong codes towards the lockout, and a right password in between does not reset the count', async () => {
    const staff = service();
    const { secret } = await setUpTotp(admin);
    advance(30_000);
    for (let i = 0; i < 4; i++) {
      const pending = (await passwordStep(staff, admin.email))!;
      assert.equal((await staff.signIn.verifySignInCode(pending, '000000')).outcome, 'wrong');
    }
    const pending = (await passwordStep(staff, admin.email))!;
    const locked = await staff.signIn.verifySignInCode(pending, '000001');
    assert.equal(locked.outcome, 'locked');
    assert.equal(
      (await staff.signIn.verifySignInCode(pending, totpCode(secret, clock))).outcome,
      'locked',
      'the right code is refused while locked',
    );
    advance(minutes(16));
    const later = (await passwordStep(staff, admin.email))!;
    assert.equal((await staff.signIn.verifySignInCode(later, totpCode(secret, clock))).outcome, 'ok');
  });

  it('lets a half-done sign-in finish only for 10 minutes, and not after signing out everywhere', async () => {
    const staff = service();
    const { secret } = await setUpTotp(admin);
    advance(30_000);
    const slow = (await passwordStep(staff, admin.email))!;
    advance(minutes(10) + 1);
    assert.equal((await staff.signIn.verifySignInCode(slow, totpCode(secret, clock))).outcome, 'expired');

    const pending: PendingSignIn = (await passwordStep(staff, admin.email))!;
    assert.equal(await staff.signIn.pendingSignInIsLive(pending), true);
    advance(1000);
    await staff.signOutEverywhere(admin.id);
    assert.equal(await staff.signIn.pendingSignInIsLive(pending), false);
    assert.equal((await staff.signIn.verifySignInCode(pending, totpCode(secret, clock))).outcome, 'expired');
  });

  it('after the session secret changes, the app cannot be checked, and a recovery code turns TOTP off for a fresh set-up', async () => {
    const { recoveryCodes } = await setUpTotp(admin);
    const rotated = service({ sessionSecret: 'a-completely-different-session-secret-value' });
    advance(30_000);
    const pending = (await passwordStep(rotated, admin.email))!;
    assert.equal((await rotated.signIn.verifySignInCode(pending, '123456')).outcome, 'unreadable');
    const result = await rotated.signIn.verifySignInRecoveryCode(pending, recoveryCodes[0]!);
    assert.equal(result.outcome, 'ok');
    assert.equal(
      result.outcome === 'ok' && rotated.mustSetUpTotp(result.staff),
      true,
      'sent to set up again',
    );
  });

  it('emails a single-use reset link that expires, and a reset ends every session and lifts a lock', async () => {
    const staff = service();
    await staff.passwords.requestPasswordReset('nobody@ashdown.example');
    await staff.passwords.requestPasswordReset(' Officer@Ashdown.example ');
    const [email] = await emailsTo(officer.email);
    assert.ok(email);
    const token = /token=([\w-]{43})/.exec(email.text)![1]!;
    assert.equal((await emailsTo('nobody@ashdown.example')).length, 0);
    const stored = await getDatabase().db.selectFrom('staff_password_reset').select('token_hash').execute();
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0]!.token_hash, token, 'stored hashed');

    for (let i = 0; i < 5; i++) await staff.signIn.checkPassword(officer.email, 'wrong');
    const { db } = getDatabase();
    await db
      .insertInto('session')
      .values({
        id_hash: 'x',
        csrf_token: 'y',
        data: '{}',
        staff_user_id: officer.id,
        expires_at: new Date(Date.now() + 3600_000),
      })
      .execute();

    assert.equal((await staff.passwords.passwordResetTarget(token))?.id, officer.id);
    const weak = await staff.passwords.resetPassword(token, {
      newPassword: 'password1234',
      confirmPassword: 'password1234',
    });
    assert.equal(weak.outcome, 'invalid');
    const newPassword = 'Fenland-Heron-Tuesday-41';
    const done = await staff.passwords.resetPassword(token, { newPassword, confirmPassword: newPassword });
    assert.equal(done.outcome, 'ok');
    assert.equal(
      (await staff.passwords.resetPassword(token, { newPassword, confirmPassword: newPassword })).outcome,
      'expired',
      'a link works once',
    );
    const sessions = await db
      .selectFrom('session')
      .select('id_hash')
      .where('staff_user_id', '=', officer.id)
      .execute();
    assert.equal(sessions.length, 0, 'every session ended');
    assert.equal(
      (await staff.signIn.checkPassword(officer.email, newPassword)).outcome,
      'ok',
      'the lock is lifted',
    );
    assert.equal(
      (await staff.signIn.checkPassword(officer.email, PASSWORD)).outcome,
      'failed',
      'the old password is gone',
    );
    assert.ok((await emailsTo(officer.email)).some((e) => /password has been changed/.test(e.subject)));

    await staff.passwords.requestPasswordReset(officer.email);
    const second = /token=([\w-]{43})/.exec((await emailsTo(officer.email)).at(-1)!.text)![1]!;
    advance(minutes(60) - 1000);
    assert.ok(await staff.passwords.passwordResetTarget(second), 'works until the hour is up');
    advance(1001);
    assert.equal(await staff.passwords.passwordResetTarget(second), undefined, 'expired after 60 minutes');
    assert.equal(
      (
        await staff.passwords.resetPassword(second, {
          newPassword: 'another-fine-passphrase',
          confirmPassword: 'another-fine-passphrase',
        })
      ).outcome,
      'expired',
    );
  });

  it('sends at most 3 reset links an hour to one account', async () => {
    const staff = service();
    for (let i = 0; i < 5; i++) await staff.passwords.requestPasswordReset(officer.email);
    assert.equal((await emailsTo(officer.email)).length, 3);
    advance(minutes(61));
    await staff.passwords.requestPasswordReset(officer.email);
    assert.equal((await emailsTo(officer.email)).length, 4);
  });

  it('changes a password only with the current one, ending every session, and applies the rules', async () => {
    const staff = service();
    const attempt = (currentPassword: string, newPassword: string, confirmPassword = newPassword) =>
      staff.passwords.changePassword(officer, { currentPassword, newPassword, confirmPassword });
    const problems = async (...args: Parameters<typeof attempt>) => {
      const result = await attempt(...args);
      return result.outcome === 'invalid' ? result.problems : {};
    };
    assert.deepEqual(await problems('', '', ''), {
      currentPassword: 'Enter your current password',
      newPassword: 'Enter a new password',
      confirmPassword: 'Confirm your new password',
    });
    assert.equal(
      (await problems(PASSWORD, 'too-short')).newPassword,
      'Password must be 12 characters or more',
    );
    assert.equal(
      (await problems(PASSWORD, officer.email)).newPassword,
      'Password must not be your email address',
    );
    assert.match((await problems(PASSWORD, 'Welcome123456')).newPassword ?? '', /too easy to guess/);
    assert.equal(
      (await problems(PASSWORD, PASSWORD)).newPassword,
      'New password must be different from your current password',
    );
    assert.equal(
      (await problems(PASSWORD, 'Fenland-Heron-Tuesday-41', 'Fenland-Heron-Tuesday-42')).confirmPassword,
      'Passwords must match',
    );
    assert.equal(
      (await problems('not my password', 'Fenland-Heron-Tuesday-41')).currentPassword,
      'Your current password is not correct',
    );
    assert.equal((await attempt(PASSWORD, 'Fenland-Heron-Tuesday-41')).outcome, 'ok');
    assert.equal((await staff.signIn.checkPassword(officer.email, 'Fenland-Heron-Tuesday-41')).outcome, 'ok');
  });
  it('an invitation link works once, until CIVICDESK_STAFF_INVITATION_HOURS have passed; disabling voids it', async () => {
    const staff = service();
    const admins = new StaffAdminService(getDatabase().db, {
      staff,
      organisations: new OrganisationsService(getDatabase().db),
      jobs,
      councilName: 'Ashdown',
      baseUrl: 'https://report.example.gov.uk',
    });
    const actor = { id: admin.id, name: admin.name, ip: '192.0.2.1' };
    const invite = (email: string) =>
      admins.invite(actor, {
        name: 'Nia Newcomer',
        email,
        role: 'officer',
        bodyCode: 'ashdown',
        teamCode: '',
      });
    const tokenFor = async (address: string) =>
      /token=([\w-]{43})/.exec((await emailsTo(address)).at(-1)!.text)![1]!;

    const added = await invite('nia@ashdown.example');
    assert.equal(added.outcome, 'ok');
    assert.equal(
      (await staff.signIn.checkPassword('nia@ashdown.example', '')).outcome,
      'failed',
      'no usable password',
    );
    const token = await tokenFor('nia@ashdown.example');
    advance(72 * 3600_000 - 1000);
    const target = await staff.passwords.passwordResetTarget(token);
    assert.equal(target?.linkPurpose, 'invitation');
    advance(1001);
    assert.equal(await staff.passwords.passwordResetTarget(token), undefined, 'expired after 72 hours');

    const resent = await admins.sendPasswordLink(actor, (added as { id: string }).id);
    assert.equal(resent.invitation, true, 'someone who never chose a password gets a new invitation');
    const fresh = await tokenFor('nia@ashdown.example');
    assert.ok(await staff.passwords.passwordResetTarget(fresh));
    assert.equal((await admins.disable(actor, (added as { id: string }).id)).outcome, 'ok');
    assert.equal(
      await staff.passwords.passwordResetTarget(fresh),
      undefined,
      'disabling voids outstanding links',
    );
    assert.deepEqual(await admins.sendPasswordLink(actor, (added as { id: string }).id), {
      outcome: 'refused',
      reason: 'The account is disabled: re-enable it first',
      invitation: false,
    });

    const again = await invite('NIA@ashdown.example');
    assert.deepEqual(again, {
      outcome: 'invalid',
      problems: { email: 'There is already a member of staff with this email address' },
    });
  });
});
