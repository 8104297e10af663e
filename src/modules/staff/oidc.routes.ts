/**
 * Signing in through the council's identity provider (OpenID Connect), when CIVICDESK_OIDC_ISSUER is set:
 *   GET /staff/sign-in/oidc            → the provider's sign-in page (state, nonce, PKCE kept in the session)
 *   GET /staff/sign-in/oidc/callback   → back here: the ID token checked, the account found (or made), its
 *                                        role set from the claim, and a brand-new signed-in session.
 * Whatever goes wrong ends on a page that says what happened and how to go on, never a stack trace.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { typed } from '../../infra/typed-routes.js';
import type { OidcSettings } from '../../config.js';
import { displayName, emailIsVerified, roleFromClaims } from '../../lib/oidc-claims.js';
import { OidcClient, OidcError, type OidcFailure, type PendingOidcSignIn } from './oidc-client.js';
import type { OidcSignInOutcome, StaffService } from './staff.service.js';
import {
  nextField,
  renderStaffPage,
  safeNext,
  SESSION_KEYS,
  startSignedInSession,
} from './staff.view-models.js';

/** Per client address, as the other sign-in steps. */
const OIDC_RATE_LIMIT = { rateLimit: { max: 10, timeWindow: '1 minute' } };

export const OIDC_START_PATH = '/staff/sign-in/oidc';
export const OIDC_CALLBACK_PATH = '/staff/sign-in/oidc/callback';

type Problem = OidcFailure | Exclude<OidcSignInOutcome['outcome'], 'ok'> | 'misconfigured';

/** What each problem page says: its status, heading, explanation, and whether trying again may help. */
const PROBLEMS: Record<Problem, { status: number; title: string; body: string[]; retry: boolean }> = {
  unreachable: {
    status: 502,
    title: 'Sorry, the council’s sign-in service is not available',
    body: [
      'We could not reach the council’s sign-in service, so you have not been signed in.',
      'Try again in a few minutes. If you also have a Civicdesk password, you can sign in with your email address and password instead.',
    ],
    retry: true,
  },
  failed: {
    status: 502,
    title: 'Sorry, there is a problem signing you in',
    body: [
      'The council’s sign-in service did not sign you in to Civicdesk, so you have not been signed in.',
      'Try again. If it keeps happening, tell your administrator: the problem has been logged.',
    ],
    retry: true,
  },
  denied: {
    status: 403,
    title: 'You have not been signed in',
    body: [
      'The sign-in with your council account was cancelled, or the council’s sign-in service did not allow it.',
      'If you did not mean to cancel, try again.',
    ],
    retry: true,
  },
  state_mismatch: {
    status: 400,
    title: 'Your sign-in could not be finished',
    body: [
      'The answer from the council’s sign-in service did not match the sign-in started in this browser, so it was not accepted. This can happen if you started signing in in another tab or window.',
      'Start again from this browser.',
    ],
    retry: true,
  },
  no_pending: {
    status: 400,
    title: 'Your sign-in could not be finished',
    body: [
      'No sign-in was started in this browser, or it took longer than 10 minutes.',
      'Start again from this browser.',
    ],
    retry: true,
  },
  no_role: {
    status: 403,
    title: 'Your account is not allowed to use Civicdesk',
    body: [
      'You signed in with your council account, but it has not been given access to Civicdesk.',
      'Ask your administrator to give you access.',
    ],
    retry: false,
  },
  email_unverified: {
    status: 403,
    title: 'Your email address has not been verified',
    body: [
      'The council’s sign-in service does not say that the email address on your account is verified, so it cannot be matched to a Civicdesk account.',
      'Ask your administrator to check your council account.',
    ],
    retry: false,
  },
  no_email: {
    status: 403,
    title: 'Your council account has no email address',
    body: [
      'The council’s sign-in service did not give an email address for you, so it cannot be matched to a Civicdesk account.',
      'Ask your administrator to check your council account.',
    ],
    retry: false,
  },
  no_account: {
    status: 403,
    title: 'You do not have a Civicdesk account',
    body: [
      'You signed in with your council account, but there is no Civicdesk account with its email address.',
      'Ask your administrator to create a Civicdesk account for you with that email address.',
    ],
    retry: false,
  },
  linked_to_another: {
    status: 403,
    title: 'Your council account does not match your Civicdesk account',
    body: [
      'The Civicdesk account with your email address signs in with a different council account.',
      'If your council account has changed, ask your administrator to unlink the old one from your Civicdesk account.',
    ],
    retry: false,
  },
  disabled: {
    status: 403,
    title: 'Your Civicdesk account has been disabled',
    body: ['Your Civicdesk account cannot be used. If you think this is a mistake, ask your administrator.'],
    retry: false,
  },
  misconfigured: {
    status: 500,
    title: 'Sorry, there is a problem signing you in',
    body: [
      'Civicdesk is not set up correctly to create accounts for people signing in with their council account.',
      'Tell your administrator: the problem has been logged.',
    ],
    retry: false,
  },
};

function readPendingOidc(data: Record<string, unknown> | undefined): PendingOidcSignIn | undefined {
  const value = data?.[SESSION_KEYS.oidc] as Partial<PendingOidcSignIn> | undefined;
  if (
    !value ||
    typeof value.state !== 'string' ||
    typeof value.nonce !== 'string' ||
    typeof value.codeVerifier !== 'string' ||
    typeof value.startedAt !== 'number'
  ) {
    return undefined;
  }
  return {
    state: value.state,
    nonce: value.nonce,
    codeVerifier: value.codeVerifier,
    startedAt: value.startedAt,
    next: nextField(value.next),
  };
}

export function registerOidcRoutes(
  instance: FastifyInstance,
  staffService: StaffService,
  settings: OidcSettings,
): void {
  const app = typed(instance);
  const oidc = new OidcClient(settings, `${app.config.baseUrl}${OIDC_CALLBACK_PATH}`, () =>
    staffService.now(),
  );

  function problemPage(request: FastifyRequest, reply: FastifyReply, problem: Problem, next = '') {
    const page = PROBLEMS[problem];
    return renderStaffPage(
      request,
      reply,
      'oidc-problem.njk',
      {
        title: page.title,
        body: page.body,
        retryHref: page.retry ? `${OIDC_START_PATH}${next ? `?next=${encodeURIComponent(next)}` : ''}` : '',
        buttonText: settings.buttonText,
      },
      { status: page.status },
    );
  }

  /** The body (and team) new accounts go in, or undefined if accounts are not made at sign-in. */
  async function newAccountPlace(): Promise<
    { bodyId: string; teamId: string | null } | 'missing' | undefined
  > {
    if (!settings.newAccounts) return undefined;
    const body = await app.domain.organisations.body(settings.newAccounts.bodyCode);
    if (!body) return 'missing';
    if (!settings.newAccounts.teamCode) return { bodyId: body.id, teamId: null };
    const team = await app.domain.organisations.team(body, settings.newAccounts.teamCode);
    return team ? { bodyId: body.id, teamId: team.id } : 'missing';
  }

  app.get(
    OIDC_START_PATH,
    {
      config: OIDC_RATE_LIMIT,
      schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) }) },
    },
    async (request, reply) => {
      const next = nextField(request.query.next);
      let started: Awaited<ReturnType<OidcClient['start']>>;
      try {
        started = await oidc.start(next);
      } catch (error) {
        if (!(error instanceof OidcError)) throw error;
        request.log.warn(
          { err: error.cause ?? error, failure: error.failure },
          'OpenID Connect sign-in could not start',
        );
        return problemPage(request, reply, error.failure, next);
      }
      const session = await request.ensureSession();
      session.data[SESSION_KEYS.oidc] = started.pending;
      await request.saveSession();
      reply.header('cache-control', 'no-store');
      return reply.redirect(started.url, 303);
    },
  );

  // The parameters are only bounded here: the raw query string is what openid-client reads.
  const param = Type.Optional(Type.String({ maxLength: 2000 }));
  app.get(
    OIDC_CALLBACK_PATH,
    {
      config: OIDC_RATE_LIMIT,
      schema: {
        querystring: Type.Object({
          code: param,
          state: param,
          iss: param,
          error: param,
          error_description: param,
          session_state: param,
        }),
      },
    },
    async (request, reply) => {
      const queryAt = request.url.indexOf('?');
      const query = queryAt === -1 ? '' : request.url.slice(queryAt);
      const session = await request.loadSession();
      const pending = readPendingOidc(session?.data);
      if (session && pending) {
        // One use: a replayed callback finds nothing to finish.
        delete session.data[SESSION_KEYS.oidc];
        await request.saveSession();
      }
      const next = pending?.next ?? '';
      reply.header('cache-control', 'no-store');

      let identity;
      try {
        identity = await oidc.finish(query, pending);
      } catch (error) {
        if (!(error instanceof OidcError)) throw error;
        const level = error.failure === 'unreachable' || error.failure === 'failed' ? 'error' : 'warn';
        request.log[level](
          { err: error.cause ?? error, failure: error.failure, reason: error.message },
          'OpenID Connect sign-in refused',
        );
        return problemPage(request, reply, error.failure, next);
      }

      const place = await newAccountPlace();
      if (place === 'missing') {
        request.log.error(
          { body: settings.newAccounts?.bodyCode, team: settings.newAccounts?.teamCode },
          'CIVICDESK_OIDC_NEW_ACCOUNT_BODY or _TEAM names no body or team: cannot create accounts',
        );
        return problemPage(request, reply, 'misconfigured');
      }
      const { claims } = identity;
      const email = typeof claims.email === 'string' ? claims.email : undefined;
      const result = await staffService.signIn.signInWithOidc(
        {
          issuer: identity.issuer,
          subject: identity.subject,
          email,
          emailVerified: emailIsVerified(claims),
          name: displayName(claims, email ?? ''),
          role: roleFromClaims(claims, settings.roleClaim, settings.roleMap),
        },
        place,
      );
      if (result.outcome !== 'ok') {
        request.log.warn(
          { outcome: result.outcome, issuer: identity.issuer, subject: identity.subject },
          'OpenID Connect sign-in refused',
        );
        return problemPage(request, reply, result.outcome);
      }

      const { staff, created, linked, previousRole } = result;
      await startSignedInSession(request, staff.id, {
        via: 'oidc',
        detail: {
          method: 'oidc',
          issuer: identity.issuer,
          subject: identity.subject,
          role: staff.role,
          ...(previousRole ? { previousRole } : {}),
          ...(created ? { accountCreated: true } : {}),
          ...(linked ? { linked: true } : {}),
        },
      });
      request.log.info(
        { staffId: staff.id, role: staff.role, how: 'oidc', created, previousRole },
        'staff signed in',
      );
      return reply.redirect(safeNext(next, staff), 303);
    },
  );
}
