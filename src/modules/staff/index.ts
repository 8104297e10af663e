/**
 * Staff sign-in and sign-out, and the guard other modules put on staff pages:
 *   app.get('/admin', { preHandler: app.requireStaff(['admin']) }, handler)
 * A signed-out visitor is sent to the sign-in page and brought back afterwards; a signed-in member of
 * staff without the role gets a 403 page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import type { StaffRole } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { StaffService, type StaffUser } from './staff.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in member of staff, once `requireStaff` or `loadStaff` has run. */
    staff: StaffUser | undefined;
    loadStaff(): Promise<StaffUser | undefined>;
  }
  interface FastifyInstance {
    requireStaff(roles?: StaffRole[]): preHandlerAsyncHookHandler;
  }
}

/** Only paths on this site: never an open redirect. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/admin';
}

export default fp(
  async (app: FastifyInstance) => {
    const staffService = new StaffService(app.db);

    app.decorateRequest('staff', undefined);
    app.decorateRequest('loadStaff', async function (this: FastifyRequest) {
      if (this.staff) return this.staff;
      const session = await this.loadSession();
      if (!session?.staffUserId) return undefined;
      this.staff = await staffService.byId(session.staffUserId);
      return this.staff;
    });

    app.decorate('requireStaff', (roles?: StaffRole[]): preHandlerAsyncHookHandler => {
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const staff = await request.loadStaff();
        if (!staff) {
          if (request.method === 'GET') {
            return reply.redirect(`/staff/sign-in?next=${encodeURIComponent(request.url)}`, 303);
          }
          throw new AppError('unauthorized', 'Your session has ended: sign in again');
        }
        if (roles && !roles.includes(staff.role)) throw new AppError('forbidden');
      };
    });

    app.get(
      '/staff/sign-in',
      { schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) }) } },
      async (request, reply) => {
        await request.ensureSession();
        const { next } = request.query as { next?: string };
        return reply.view('staff/views/sign-in.njk', { next: safeNext(next), values: {} });
      },
    );

    app.post(
      '/staff/sign-in',
      {
        // Throttles password guessing per client address; lockout per account comes with the back office.
        config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
        schema: {
          body: Type.Object({
            email: Type.String({ maxLength: 254 }),
            password: Type.String({ maxLength: 500 }),
            next: Type.Optional(Type.String({ maxLength: 500 })),
          }),
        },
      },
      async (request, reply) => {
        const { email, password, next } = request.body as { email: string; password: string; next?: string };
        const errors: { text: string; href: string }[] = [];
        if (!email.trim()) errors.push({ text: 'Enter your email address', href: '#email' });
        if (!password) errors.push({ text: 'Enter your password', href: '#password' });
        const staff = errors.length ? undefined : await staffService.authenticate(email, password);
        if (!staff) {
          if (!errors.length)
            errors.push({ text: 'Enter a correct email address and password', href: '#email' });
          await request.ensureSession();
          return reply.status(400).view('staff/views/sign-in.njk', {
            next: safeNext(next),
            values: { email },
            errorSummary: errors,
            errors: Object.fromEntries(errors.map((e) => [e.href.slice(1), { text: e.text }])),
          });
        }
        // A new session on sign-in, so a session id planted before sign-in is worth nothing after it.
        await request.destroySession();
        const session = await request.ensureSession();
        session.staffUserId = staff.id;
        await request.saveSession();
        request.log.info({ staffId: staff.id, role: staff.role }, 'staff signed in');
        return reply.redirect(safeNext(next), 303);
      },
    );

    app.post('/staff/sign-out', async (request, reply) => {
      await request.destroySession();
      return reply.redirect('/staff/sign-in', 303);
    });
  },
  { name: 'staff', dependencies: ['session', 'views'] },
);
