/**
 * "Forgotten your password?": ask for a link by email, then choose a new password. The page after
 * asking is the same whether or not the address has an account. The link's token is moved from the URL
 * into the session at once (sealed), so it does not stay in the address bar, the history or a Referer,
 * and opening the link does not use it up (mail scanners open links): choosing the password does.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { typed } from '../../infra/typed-routes.js';
import { FormErrors } from '../../lib/forms.js';
import type { StaffService } from './staff.service.js';
import { formErrors, noStore, renderStaffPage, SESSION_KEYS } from './staff.view-models.js';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function registerPasswordResetRoutes(instance: FastifyInstance, staffService: StaffService): void {
  const app = typed(instance);
  const linkMinutes = app.config.CIVICDESK_STAFF_PASSWORD_RESET_MINUTES;

  app.get('/staff/forgotten-password', async (request, reply) =>
    renderStaffPage(request, reply, 'forgotten-password.njk', { values: {} }),
  );

  app.post(
    '/staff/forgotten-password',
    {
      config: { rateLimit: { max: 5, timeWindow: '1 minute' } },
      schema: { body: Type.Object({ email: Type.String({ maxLength: 254 }) }) },
    },
    async (request, reply) => {
      const { email } = request.body;
      const errors = new FormErrors();
      if (!email.trim()) errors.add('email', 'Enter your email address');
      else if (!EMAIL_PATTERN.test(email.trim())) {
        errors.add('email', 'Enter an email address in the correct format, like name@example.com');
      }
      if (errors.any) {
        return renderStaffPage(
          request,
          reply,
          'forgotten-password.njk',
          { values: { email }, errors },
          { status: 400 },
        );
      }
      await staffService.passwords.requestPasswordReset(email);
      return reply.redirect('/staff/forgotten-password/sent', 303);
    },
  );

  app.get('/staff/forgotten-password/sent', async (request, reply) =>
    renderStaffPage(request, reply, 'forgotten-password-sent.njk', { linkMinutes }),
  );

  app.get(
    '/staff/reset-password',
    { schema: { querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 100 })) }) } },
    async (request, reply) => {
      const { token } = request.query;
      const session = await request.ensureSession();
      if (token !== undefined) {
        // From the email: check it, keep it (sealed) in the session, and show the form at a clean URL.
        if (!(await staffService.passwords.passwordResetTarget(token))) {
          return renderStaffPage(request, reply, 'reset-link-invalid.njk', {}, { status: 410 });
        }
        session.data[SESSION_KEYS.passwordReset] = staffService.passwords.sealResetToken(
          token,
          session.csrfToken,
        );
        await request.saveSession();
        return reply.redirect('/staff/reset-password', 303);
      }
      const kept = staffService.passwords.openResetToken(
        session.data[SESSION_KEYS.passwordReset],
        session.csrfToken,
      );
      const target = kept ? await staffService.passwords.passwordResetTarget(kept) : undefined;
      if (!target) return renderStaffPage(request, reply, 'reset-link-invalid.njk', {}, { status: 410 });
      noStore(reply);
      return renderStaffPage(request, reply, 'reset-password.njk', {
        email: target.email,
        invitation: target.linkPurpose === 'invitation',
      });
    },
  );

  app.post(
    '/staff/reset-password',
    {
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        body: Type.Object({
          newPassword: Type.String({ maxLength: 500 }),
          confirmPassword: Type.String({ maxLength: 500 }),
        }),
      },
    },
    async (request, reply) => {
      const session = await request.ensureSession();
      const token = staffService.passwords.openResetToken(
        session.data[SESSION_KEYS.passwordReset],
        session.csrfToken,
      );
      const result = token
        ? await staffService.passwords.resetPassword(token, request.body)
        : ({ outcome: 'expired' } as const);
      if (result.outcome === 'expired') {
        return renderStaffPage(request, reply, 'reset-link-invalid.njk', {}, { status: 410 });
      }
      if (result.outcome === 'invalid') {
        const target = await staffService.passwords.passwordResetTarget(token!);
        noStore(reply);
        return renderStaffPage(
          request,
          reply,
          'reset-password.njk',
          {
            email: target?.email,
            invitation: target?.linkPurpose === 'invitation',
            errors: formErrors(result.problems),
          },
          { status: 400 },
        );
      }
      // Every session of the account has ended; this one goes too, and the next sign-in is a full one
      // (with the authenticator app, if there is one).
      await request.destroySession();
      request.log.info('staff password reset by emailed link');
      return reply.redirect('/staff/sign-in?notice=password-reset', 303);
    },
  );
}
