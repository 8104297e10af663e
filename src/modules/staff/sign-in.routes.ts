/**
 * Signing in, in two steps for anyone with an authenticator app: the password, then a code (or a
 * recovery code). Between the two the session holds only a pending sign-in (who, and since when); it is
 * not signed in until the code is right. The session is replaced at each step, so a session id planted
 * before sign-in is worth nothing after it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { buttonForm, typed } from '../../infra/typed-routes.js';
import { FormErrors } from '../../lib/forms.js';
import { normaliseRecoveryCode } from './recovery-codes.js';
import type { CodeOutcome, StaffService } from './staff.service.js';
import { normaliseTotpCode } from './totp.js';
import {
  lockedMessage,
  nextField,
  noticeFor,
  readPendingSignIn,
  renderStaffPage,
  safeNext,
  SESSION_KEYS,
  endSession,
  startSignedInSession,
  TOTP_SETUP_PATH,
} from './staff.view-models.js';

/** Per client address, on top of the per-account lockout. */
const SIGN_IN_RATE_LIMIT = { rateLimit: { max: 10, timeWindow: '1 minute' } };

export function registerSignInRoutes(instance: FastifyInstance, staffService: StaffService): void {
  const app = typed(instance);
  const lockout = {
    attempts: app.config.CIVICDESK_STAFF_LOCKOUT_ATTEMPTS,
    minutes: app.config.CIVICDESK_STAFF_LOCKOUT_MINUTES,
  };

  // The button for signing in through the council's identity provider, when it is configured.
  const oidcButton = (next: string) =>
    app.config.oidc
      ? {
          buttonText: app.config.oidc.buttonText,
          href: `/staff/sign-in/oidc${next ? `?next=${encodeURIComponent(next)}` : ''}`,
        }
      : undefined;

  async function pendingFrom(request: FastifyRequest) {
    const session = await request.loadSession();
    return session ? readPendingSignIn(session.data) : undefined;
  }

  // ---------------------------------------------------------------- the password

  app.get(
    '/staff/sign-in',
    {
      schema: {
        querystring: Type.Object({
          next: Type.Optional(Type.String({ maxLength: 500 })),
          notice: Type.Optional(Type.String({ maxLength: 50 })),
        }),
      },
    },
    async (request, reply) => {
      const { next, notice } = request.query;
      return renderStaffPage(request, reply, 'sign-in.njk', {
        next: nextField(next),
        values: {},
        notice: noticeFor(notice),
        lockout,
        oidc: oidcButton(nextField(next)),
      });
    },
  );

  app.post(
    '/staff/sign-in',
    {
      config: SIGN_IN_RATE_LIMIT,
      schema: {
        body: Type.Object({
          email: Type.String({ maxLength: 254 }),
          password: Type.String({ maxLength: 500 }),
          next: Type.Optional(Type.String({ maxLength: 500 })),
        }),
      },
    },
    async (request, reply) => {
      const { email, password, next } = request.body;
      const errors = new FormErrors();
      if (!email.trim()) errors.add('email', 'Enter your email address');
      if (!password) errors.add('password', 'Enter your password');
      const result = errors.any ? undefined : await staffService.signIn.checkPassword(email, password);
      if (result?.outcome !== 'ok') {
        // One message for every failure (no such account, wrong password, disabled, locked): see README.md.
        if (!errors.any) errors.add('email', 'Enter a correct email address and password');
        return renderStaffPage(
          request,
          reply,
          'sign-in.njk',
          {
            next: nextField(next),
            values: { email },
            errors,
            failed: result !== undefined,
            lockout,
            oidc: oidcButton(nextField(next)),
          },
          { status: 400 },
        );
      }
      const { staff } = result;
      if (staff.totpEnabled) {
        // Not signed in yet: a new session that only remembers who gave the right password, and when.
        await request.destroySession();
        const session = await request.ensureSession();
        session.data[SESSION_KEYS.signIn] = {
          ...staffService.signIn.startPendingSignIn(staff),
          next: nextField(next),
        };
        await request.saveSession();
        return reply.redirect('/staff/sign-in/code', 303);
      }
      await startSignedInSession(request, staff.id);
      await staffService.signIn.recordSignIn(staff.id);
      request.log.info({ staffId: staff.id, role: staff.role }, 'staff signed in');
      if (staffService.mustSetUpTotp(staff)) {
        const target = nextField(next);
        return reply.redirect(
          `${TOTP_SETUP_PATH}${target ? `?next=${encodeURIComponent(target)}` : ''}`,
          303,
        );
      }
      return reply.redirect(safeNext(next, staff), 303);
    },
  );

  // ---------------------------------------------------------------- the code

  async function finishOr(
    request: FastifyRequest,
    reply: FastifyReply,
    outcome: CodeOutcome,
    pending: { next: string },
    how: 'code' | 'recovery code',
  ): Promise<FastifyReply | undefined> {
    if (outcome.outcome === 'ok') {
      await startSignedInSession(request, outcome.staff.id, { how });
      request.log.info({ staffId: outcome.staff.id, role: outcome.staff.role, how }, 'staff signed in');
      if (staffService.mustSetUpTotp(outcome.staff)) {
        return reply.redirect(
          `${TOTP_SETUP_PATH}?next=${encodeURIComponent(safeNext(pending.next, outcome.staff))}`,
          303,
        );
      }
      if (how === 'recovery code') return reply.redirect('/staff/account?notice=recovery-code-used', 303);
      return reply.redirect(safeNext(pending.next, outcome.staff), 303);
    }
    if (outcome.outcome === 'expired') {
      await request.destroySession();
      return reply.redirect('/staff/sign-in?notice=sign-in-expired', 303);
    }
    if (outcome.outcome === 'locked') {
      request.log.warn({ how }, 'staff sign-in locked out at the code step');
      await request.destroySession();
      // The password was right to get here, so saying the account is locked tells nobody anything new.
      return renderStaffPage(
        request,
        reply,
        'locked.njk',
        { message: lockedMessage(outcome.until) },
        { status: 429 },
      );
    }
    return undefined;
  }

  app.get('/staff/sign-in/code', async (request, reply) => {
    const pending = await pendingFrom(request);
    if (!pending || !(await staffService.signIn.pendingSignInIsLive(pending))) {
      return reply.redirect(pending ? '/staff/sign-in?notice=sign-in-expired' : '/staff/sign-in', 303);
    }
    return renderStaffPage(request, reply, 'sign-in-code.njk', {});
  });

  app.post(
    '/staff/sign-in/code',
    {
      config: SIGN_IN_RATE_LIMIT,
      schema: { body: Type.Object({ code: Type.String({ maxLength: 50 }) }) },
    },
    async (request, reply) => {
      const pending = await pendingFrom(request);
      if (!pending) return reply.redirect('/staff/sign-in', 303);
      const { code } = request.body;
      const errors = new FormErrors();
      if (!code.trim()) errors.add('code', 'Enter the 6-digit code from your authenticator app');
      else if (!normaliseTotpCode(code)) errors.add('code', 'The code must be 6 digits');
      if (!errors.any) {
        const outcome = await staffService.signIn.verifySignInCode(pending, code);
        const finished = await finishOr(request, reply, outcome, pending, 'code');
        if (finished) return finished;
        errors.add(
          'code',
          outcome.outcome === 'used'
            ? 'That code has already been used: wait for your app to show a new code, then enter it'
            : outcome.outcome === 'unreadable'
              ? 'Your authenticator app can no longer be checked (the site’s secret key was changed): use a recovery code instead'
              : 'The code is not correct: enter the code your app shows now',
        );
      }
      return renderStaffPage(request, reply, 'sign-in-code.njk', { errors }, { status: 400 });
    },
  );

  app.get('/staff/sign-in/recovery-code', async (request, reply) => {
    const pending = await pendingFrom(request);
    if (!pending || !(await staffService.signIn.pendingSignInIsLive(pending))) {
      return reply.redirect(pending ? '/staff/sign-in?notice=sign-in-expired' : '/staff/sign-in', 303);
    }
    return renderStaffPage(request, reply, 'sign-in-recovery-code.njk', { values: {} });
  });

  app.post(
    '/staff/sign-in/recovery-code',
    {
      config: SIGN_IN_RATE_LIMIT,
      schema: { body: Type.Object({ recoveryCode: Type.String({ maxLength: 100 }) }) },
    },
    async (request, reply) => {
      const pending = await pendingFrom(request);
      if (!pending) return reply.redirect('/staff/sign-in', 303);
      const { recoveryCode } = request.body;
      const errors = new FormErrors();
      if (!recoveryCode.trim()) errors.add('recoveryCode', 'Enter one of your recovery codes');
      else if (!normaliseRecoveryCode(recoveryCode)) {
        errors.add('recoveryCode', 'Enter the recovery code as 12 letters and numbers, like 7kq2-9xd4-mh3p');
      }
      if (!errors.any) {
        const outcome = await staffService.signIn.verifySignInRecoveryCode(pending, recoveryCode);
        const finished = await finishOr(request, reply, outcome, pending, 'recovery code');
        if (finished) return finished;
        errors.add('recoveryCode', 'That recovery code is not correct or has already been used');
      }
      return renderStaffPage(
        request,
        reply,
        'sign-in-recovery-code.njk',
        { values: { recoveryCode }, errors },
        { status: 400 },
      );
    },
  );

  // ---------------------------------------------------------------- signing out

  app.post('/staff/sign-out', { schema: { body: buttonForm } }, async (request, reply) => {
    await endSession(request);
    return reply.redirect('/staff/sign-in', 303);
  });
}
