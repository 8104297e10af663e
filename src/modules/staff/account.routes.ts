/**
 * "Your account": what a member of staff can do about their own sign-in. Change password, sign out
 * everywhere, and two-step verification: set up an authenticator app (the only page open to someone who
 * must and has not yet), get new recovery codes, move to a different app, turn it off where allowed.
 *
 * Changes that would let someone keep or take over the account ask for the current password again;
 * wrong answers count towards the lockout, and the attempt that locks the account also ends the session
 * it came from.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { buttonForm, typed } from '../../infra/typed-routes.js';
import { FormErrors } from '../../lib/forms.js';
import type { PasswordCheck, StaffService, StaffUser } from './staff.service.js';
import { normaliseTotpCode } from './totp.js';
import {
  formErrors,
  lockedMessage,
  nextField,
  noStore,
  noticeFor,
  renderStaffPage,
  safeNext,
  SESSION_KEYS,
  signedInThroughProvider,
  startSignedInSession,
  TOTP_SETUP_PATH,
} from './staff.view-models.js';

const FORM_RATE_LIMIT = { rateLimit: { max: 10, timeWindow: '1 minute' } };

export function registerAccountRoutes(instance: FastifyInstance, staffService: StaffService): void {
  const app = typed(instance);
  const staffOnly = { preHandler: app.requireStaff() };
  const setUpOnly = { preHandler: app.requireStaff(undefined, { beforeTotpSetup: true }) };

  async function lockedOut(request: FastifyRequest, reply: FastifyReply, until: Date): Promise<FastifyReply> {
    await request.destroySession();
    return renderStaffPage(request, reply, 'locked.njk', { message: lockedMessage(until) }, { status: 429 });
  }

  /** Checks the password field of a form that asks for it again; adds its error, or says it locked. */
  async function checkPasswordField(
    staff: StaffUser,
    password: string,
    errors: FormErrors,
  ): Promise<PasswordCheck | undefined> {
    if (!password) {
      errors.add('password', 'Enter your password');
      return undefined;
    }
    const check = await staffService.passwords.confirmPassword(staff.id, password);
    if (check.outcome === 'wrong') errors.add('password', 'Your password is not correct');
    return check;
  }

  // ---------------------------------------------------------------- the account page

  app.get(
    '/staff/account',
    {
      ...staffOnly,
      schema: { querystring: Type.Object({ notice: Type.Optional(Type.String({ maxLength: 50 })) }) },
    },
    async (request, reply) => {
      const staff = request.staff!;
      const account = await staffService.account(staff.id);
      const { notice } = request.query;
      return renderStaffPage(
        request,
        reply,
        'account.njk',
        {
          account,
          notice: noticeFor(notice),
          signedInThroughProvider: signedInThroughProvider(request.session?.data),
        },
        { staff },
      );
    },
  );

  app.post(
    '/staff/account/sign-out-everywhere',
    { ...staffOnly, schema: { body: buttonForm } },
    async (request, reply) => {
      const staff = request.staff!;
      const ended = await staffService.signOutEverywhere(staff.id);
      request.log.info({ staffId: staff.id, sessions: ended }, 'staff signed out everywhere');
      await request.destroySession();
      return reply.redirect('/staff/sign-in?notice=signed-out-everywhere', 303);
    },
  );

  // ---------------------------------------------------------------- change password

  app.get('/staff/account/password', staffOnly, async (request, reply) =>
    renderStaffPage(request, reply, 'change-password.njk', {}, { staff: request.staff! }),
  );

  app.post(
    '/staff/account/password',
    {
      ...staffOnly,
      config: FORM_RATE_LIMIT,
      schema: {
        body: Type.Object({
          currentPassword: Type.String({ maxLength: 500 }),
          newPassword: Type.String({ maxLength: 500 }),
          confirmPassword: Type.String({ maxLength: 500 }),
        }),
      },
    },
    async (request, reply) => {
      const staff = request.staff!;
      const input = request.body;
      const result = await staffService.passwords.changePassword(staff, input);
      if (result.outcome === 'locked') return lockedOut(request, reply, result.until);
      if (result.outcome === 'invalid') {
        return renderStaffPage(
          request,
          reply,
          'change-password.njk',
          { errors: formErrors(result.problems) },
          { status: 400, staff },
        );
      }
      // Every session of this person has ended; this browser carries on in a new one, signed in as before.
      await startSignedInSession(request, staff.id, {
        ...viaOf(request),
        how: 'new session after changing the password',
      });
      request.log.info({ staffId: staff.id }, 'staff password changed');
      return reply.redirect('/staff/account?notice=password-changed', 303);
    },
  );

  // ---------------------------------------------------------------- set up an authenticator app

  async function setupPage(
    request: FastifyRequest,
    reply: FastifyReply,
    staff: StaffUser,
    context: { next: string; errors?: FormErrors },
    status = 200,
  ): Promise<FastifyReply> {
    const session = await request.ensureSession();
    const setup = await staffService.twoFactor.beginTotpSetup(
      staff,
      session.data[SESSION_KEYS.totpSetup] as string,
    );
    if (session.data[SESSION_KEYS.totpSetup] !== setup.sealed) {
      session.data[SESSION_KEYS.totpSetup] = setup.sealed;
      await request.saveSession();
    }
    noStore(reply);
    return renderStaffPage(
      request,
      reply,
      'totp-setup.njk',
      {
        setup,
        required: staffService.totpRequired(staff),
        requiredOfEveryone: staff.role !== 'admin',
        replacing: staff.totpEnabled,
        // Until it is set up, this is the only page they can reach: no navigation to elsewhere.
        ...(staffService.mustSetUpTotp(staff) ? { staffNavigation: [] } : {}),
        next: context.next,
        errors: context.errors,
      },
      { status, staff },
    );
  }

  app.get(
    TOTP_SETUP_PATH,
    {
      ...setUpOnly,
      schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) }) },
    },
    async (request, reply) => {
      const { next } = request.query;
      return setupPage(request, reply, request.staff!, { next: nextField(next) });
    },
  );

  app.post(
    TOTP_SETUP_PATH,
    {
      ...setUpOnly,
      config: FORM_RATE_LIMIT,
      schema: {
        body: Type.Object({
          code: Type.String({ maxLength: 50 }),
          password: Type.Optional(Type.String({ maxLength: 500 })),
          next: Type.Optional(Type.String({ maxLength: 500 })),
        }),
      },
    },
    async (request, reply) => {
      const staff = request.staff!;
      const { code, password = '', next } = request.body;
      const errors = new FormErrors();
      // Moving to a different app replaces the second factor, so it needs the password too.
      if (staff.totpEnabled) {
        const check = await checkPasswordField(staff, password, errors);
        if (check?.outcome === 'locked') return lockedOut(request, reply, check.until);
      }
      if (!code.trim()) errors.add('code', 'Enter the 6-digit code from your authenticator app');
      else if (!normaliseTotpCode(code)) errors.add('code', 'The code must be 6 digits');
      const session = await request.ensureSession();
      const pending = session.data[SESSION_KEYS.totpSetup];
      if (typeof pending !== 'string') return reply.redirect(TOTP_SETUP_PATH, 303);
      if (!errors.any) {
        const result = await staffService.twoFactor.confirmTotpSetup(staff, pending, code);
        if (result.outcome === 'expired') {
          delete session.data[SESSION_KEYS.totpSetup];
          await request.saveSession();
          return reply.redirect(TOTP_SETUP_PATH, 303);
        }
        if (result.outcome === 'ok') {
          // Every session of this person ended (they were started without the second factor); carry on
          // in a new one. The codes are shown in this response and never stored, not even in the session.
          await startSignedInSession(request, staff.id, {
            ...viaOf(request),
            how: 'new session after setting up two-step verification',
          });
          request.log.info({ staffId: staff.id }, 'staff two-step verification set up');
          noStore(reply);
          return renderStaffPage(
            request,
            reply,
            'recovery-codes.njk',
            {
              codes: result.recoveryCodes,
              continueHref: safeNext(next, staff),
              firstTime: !staff.totpEnabled,
            },
            { staff: { ...staff, totpEnabled: true } },
          );
        }
        errors.add('code', 'The code is not correct: enter the code the app shows now for this account');
      }
      return setupPage(request, reply, staff, { next: nextField(next), errors }, 400);
    },
  );

  // ---------------------------------------------------------------- new recovery codes

  app.get('/staff/two-factor/recovery-codes', staffOnly, async (request, reply) => {
    const staff = request.staff!;
    if (!staff.totpEnabled) return reply.redirect('/staff/account', 303);
    return renderStaffPage(request, reply, 'confirm-password.njk', confirmPage('recovery-codes'), { staff });
  });

  app.post(
    '/staff/two-factor/recovery-codes',
    {
      ...staffOnly,
      config: FORM_RATE_LIMIT,
      schema: { body: Type.Object({ password: Type.String({ maxLength: 500 }) }) },
    },
    async (request, reply) => {
      const staff = request.staff!;
      if (!staff.totpEnabled) return reply.redirect('/staff/account', 303);
      const errors = new FormErrors();
      const check = await checkPasswordField(staff, request.body.password, errors);
      if (check?.outcome === 'locked') return lockedOut(request, reply, check.until);
      if (check?.outcome !== 'ok') {
        return renderStaffPage(
          request,
          reply,
          'confirm-password.njk',
          { ...confirmPage('recovery-codes'), errors },
          { status: 400, staff },
        );
      }
      const codes = await staffService.twoFactor.newRecoveryCodes(staff);
      noStore(reply);
      return renderStaffPage(
        request,
        reply,
        'recovery-codes.njk',
        { codes, continueHref: '/staff/account', firstTime: false },
        { staff },
      );
    },
  );

  // ---------------------------------------------------------------- turn off

  app.get('/staff/two-factor/turn-off', staffOnly, async (request, reply) => {
    const staff = request.staff!;
    if (!staff.totpEnabled || staffService.totpRequired(staff)) return reply.redirect('/staff/account', 303);
    return renderStaffPage(request, reply, 'confirm-password.njk', confirmPage('turn-off'), { staff });
  });

  app.post(
    '/staff/two-factor/turn-off',
    {
      ...staffOnly,
      config: FORM_RATE_LIMIT,
      schema: { body: Type.Object({ password: Type.String({ maxLength: 500 }) }) },
    },
    async (request, reply) => {
      const staff = request.staff!;
      if (!staff.totpEnabled || staffService.totpRequired(staff))
        return reply.redirect('/staff/account', 303);
      const errors = new FormErrors();
      const check = await checkPasswordField(staff, request.body.password, errors);
      if (check?.outcome === 'locked') return lockedOut(request, reply, check.until);
      if (check?.outcome !== 'ok') {
        return renderStaffPage(
          request,
          reply,
          'confirm-password.njk',
          { ...confirmPage('turn-off'), errors },
          { status: 400, staff },
        );
      }
      await staffService.twoFactor.turnOffTotp(staff);
      request.log.info({ staffId: staff.id }, 'staff two-step verification turned off');
      return reply.redirect('/staff/account?notice=totp-off', 303);
    },
  );
}

/** The "enter your password to continue" page, for the two actions that use it. */
function confirmPage(action: 'recovery-codes' | 'turn-off') {
  return action === 'recovery-codes'
    ? {
        pageTitle: 'Get new recovery codes',
        intro:
          'You will get 10 new recovery codes. The codes you have now will stop working. Enter your password to continue.',
        action: '/staff/two-factor/recovery-codes',
        button: 'Get new recovery codes',
        warning: false,
      }
    : {
        pageTitle: 'Turn off two-step verification',
        intro:
          'Signing in will only need your password. Your authenticator app and recovery codes will stop working for this account. Enter your password to continue.',
        action: '/staff/two-factor/turn-off',
        button: 'Turn off two-step verification',
        warning: true,
      };
}

/** How the current session was signed in, for carrying on in a new one. */
function viaOf(request: FastifyRequest): { via?: 'oidc' } {
  return signedInThroughProvider(request.session?.data) ? { via: 'oidc' } : {};
}
