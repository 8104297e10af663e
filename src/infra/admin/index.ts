/**
 * The administration shell: what every admin page shares, and nothing about any one feature.
 *
 * - One guard for the whole /admin scope. Every route whose URL is /admin or under /admin/ gets the
 *   guard it is given (the staff module's `requireStaff(['admin'])`) before its own handlers, whichever
 *   module registers it, so no admin page can forget it.
 * - The navigation registry (`app.adminNavigation`): modules add their sections; the admin layout's MOJ
 *   sub navigation and the /admin dashboard are built from it.
 * - `app.renderAdminPage(request, reply, template, context)`: renders a template (its path under
 *   src/modules, like reply.view) extending "admin-layout.njk" (src/views) with who is signed in, the staff
 *   navigation and the admin sections.
 * - Form schema helpers (./forms.ts).
 *
 * Modules register their own admin pages in their own plugins:
 *   app.adminNavigation.add({ label: 'Calendars', href: '/admin/calendars', order: 110 });
 *   app.get('/admin/calendars', async (request, reply) =>
 *     app.renderAdminPage(request, reply, 'calendars/views/calendars.njk', { ... }));
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { AdminNavigation } from './navigation.js';

export { AdminNavigation, type AdminNavigationItem, type AdminSection } from './navigation.js';
export { adminForm, boundedChoices, boundedField, boundedText, buttonForm } from './forms.js';

/** Renders an admin page: a template under src/modules in the admin layout. */
export type RenderAdminPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  context?: object,
) => Promise<FastifyReply>;

export interface AdminShellOptions {
  /** The preHandler every /admin route runs first: admin role only. Made once, on the first request. */
  guard: () => preHandlerAsyncHookHandler;
  /**
   * What the staff layout needs that the shell does not know about (who is signed in, their role, the
   * staff navigation), for the page at `path`.
   */
  layoutContext: (request: FastifyRequest, path: string) => object;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The administration sections, which modules add to (src/infra/admin/navigation.ts). */
    adminNavigation: AdminNavigation;
    /** Renders a template under src/modules in the admin layout. */
    renderAdminPage: RenderAdminPage;
  }
}

/** Whether a route's URL is in the /admin scope. */
export function isAdminUrl(url: string): boolean {
  return url === '/admin' || url.startsWith('/admin/');
}

export default fp(
  async (app, opts: AdminShellOptions) => {
    const navigation = new AdminNavigation();
    app.decorate('adminNavigation', navigation);

    let guard: preHandlerAsyncHookHandler | undefined;
    const adminGuard: preHandlerAsyncHookHandler = function (request, reply) {
      guard ??= opts.guard();
      return guard.call(this, request, reply);
    };
    app.addHook('onRoute', (route: RouteOptions) => {
      if (!isAdminUrl(route.url)) return;
      const own = route.preHandler ? [route.preHandler].flat() : [];
      route.preHandler = [adminGuard, ...own];
    });

    app.decorate(
      'renderAdminPage',
      async function renderAdminPage(
        request: FastifyRequest,
        reply: FastifyReply,
        template: string,
        context: object = {},
      ) {
        await request.ensureSession(); // every admin page has the sign-out form, so a CSRF token
        const path = request.url.split('?')[0] ?? '';
        return reply.view(template, {
          ...opts.layoutContext(request, path),
          adminNavigation: navigation.items(path),
          ...context,
        });
      },
    );
  },
  { name: 'admin-shell', dependencies: ['views', 'session'] },
);
