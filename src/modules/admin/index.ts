/**
 * The administration dashboard (/admin), built from the sections modules add to the admin shell's
 * navigation (src/infra/admin). Every other admin page is registered by its own module, except, for
 * now, the case workflow page (casework/workflow.routes.ts), whose route file still takes a renderer
 * and names its template relative to admin/views. When the casework module registers that page
 * itself, this file keeps only the dashboard.
 */
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerWorkflowRoutes } from '../casework/workflow.routes.js';

export default async function adminModule(app: FastifyInstance): Promise<void> {
  app.get('/admin', async (request, reply) =>
    app.renderAdminPage(request, reply, 'admin/views/dashboard.njk', {
      sections: await app.adminNavigation.dashboard(),
    }),
  );

  app.adminNavigation.add({ label: 'Case workflow', href: '/admin/workflow', order: 70 });
  const legacy = {
    render: (request: FastifyRequest, reply: FastifyReply, template: string, context?: object) =>
      app.renderAdminPage(request, reply, path.posix.join('admin/views', template), context),
    // The admin shell guards every /admin route already.
    adminOnly: {},
  };
  await registerWorkflowRoutes(app, legacy);
}
