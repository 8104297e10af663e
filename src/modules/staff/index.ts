/**
 * Staff sign-in, the account page, password reset, staff accounts as admins manage them (/admin/people),
 * and the guard other modules put on staff pages:
 *   app.get('/staff/cases', { preHandler: app.requireStaff() }, handler)
 * (the admin shell, src/infra/admin, puts requireStaff(['admin']) on every /admin page itself)
 * A signed-out visitor is sent to the sign-in page and brought back afterwards; a signed-in member of
 * staff without the role gets a 403 page; one who must use an authenticator app and has not set it up
 * yet is sent to set it up, from every staff page, and can reach nothing else until they have.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { StaffRole } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { registerAccountRoutes } from './account.routes.js';
import { registerPasswordResetRoutes } from './password-reset.routes.js';
import { registerSignInRoutes } from './sign-in.routes.js';
import type { StaffAdminService } from './staff-admin.service.js';
import { ROLE_LABELS, type StaffService, type StaffUser } from './staff.service.js';
import { registerOidcRoutes } from './oidc.routes.js';
import { peopleAdminRoutes } from './people.routes.js';
import { signedInThroughProvider, staffNavigation, TOTP_SETUP_PATH } from './staff.view-models.js';
export { type StaffDirectory } from './staff-directory.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in member of staff, once `requireStaff` or `loadStaff` has run. */
    staff: StaffUser | undefined;
    /**
     * The signed-in member of staff, or undefined: also undefined for someone who must set up an
     * authenticator app and has not yet (they are signed in only as far as the set-up page).
     */
    loadStaff(): Promise<StaffUser | undefined>;
  }
  interface FastifyInstance {
    requireStaff(roles?: StaffRole[], options?: RequireStaffOptions): preHandlerAsyncHookHandler;
    /** Staff identity and sign-in rules (the account, TOTP, lockout, password reset). */
    staffAccounts: StaffService;
    /** Staff accounts as administrators manage them (/admin/people). */
    staffAdmin: StaffAdminService;
  }
}

export interface RequireStaffOptions {
  /** For the authenticator app set-up page only: let in staff who have yet to set it up. */
  beforeTotpSetup?: boolean;
}

export default fp(
  async (app: FastifyInstance) => {
    const staffService = app.staffAccounts;

    // Who the session belongs to, whether or not they have finished setting up TOTP; once per request.
    const signedIn = new WeakMap<FastifyRequest, StaffUser | null>();
    async function sessionStaff(request: FastifyRequest): Promise<StaffUser | undefined> {
      const cached = signedIn.get(request);
      if (cached !== undefined) return cached ?? undefined;
      const session = await request.loadSession();
      const staff = session?.staffUserId ? await staffService.byId(session.staffUserId) : undefined;
      signedIn.set(request, staff ?? null);
      return staff;
    }

    // Only sessions signed in with a password need our TOTP: the identity provider does its own second
    // factor, so a session signed in through it is complete (see README.md, "OpenID Connect").
    const mustSetUpTotp = (request: FastifyRequest, staff: StaffUser) =>
      staffService.mustSetUpTotp(staff) && !signedInThroughProvider(request.session?.data);

    app.decorateRequest('staff', undefined);
    app.decorateRequest('loadStaff', async function (this: FastifyRequest) {
      if (this.staff) return this.staff;
      const staff = await sessionStaff(this);
      if (!staff || mustSetUpTotp(this, staff)) return undefined;
      this.staff = staff;
      return staff;
    });

    app.decorate('requireStaff', (roles?: StaffRole[], options: RequireStaffOptions = {}) => {
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const staff = await sessionStaff(request);
        if (!staff) {
          if (request.method === 'GET') {
            return reply.redirect(`/staff/sign-in?next=${encodeURIComponent(request.url)}`, 303);
          }
          throw new AppError('unauthorized', 'Your session has ended: sign in again');
        }
        if (mustSetUpTotp(request, staff) && !options.beforeTotpSetup) {
          if (request.method === 'GET') {
            return reply.redirect(`${TOTP_SETUP_PATH}?next=${encodeURIComponent(request.url)}`, 303);
          }
          throw new AppError('forbidden', 'Set up your authenticator app before you do anything else');
        }
        request.staff = staff;
        if (roles && !roles.includes(staff.role)) throw new AppError('forbidden');
      };
    });

    registerSignInRoutes(app, staffService);
    registerAccountRoutes(app, staffService);
    registerPasswordResetRoutes(app, staffService);
    if (app.config.oidc) registerOidcRoutes(app, staffService, app.config.oidc);

    app.adminNavigation.add({
      label: 'People',
      href: '/admin/people',
      order: 50,
      dashboard: { describe: () => 'staff accounts, their roles and how they sign in.' },
    });
    await app.register(peopleAdminRoutes);
  },
  { name: 'staff', dependencies: ['session', 'views', 'admin-shell'] },
);

/** What the staff layout needs about who is signed in, for the page at `path` (the admin shell's layoutContext). */
export function staffLayoutContext(request: FastifyRequest, path: string) {
  const staff = request.staff;
  return {
    staff,
    staffRoleLabel: staff ? ROLE_LABELS[staff.role] : '',
    staffNavigation: staff ? staffNavigation(staff, path) : [],
  };
}
