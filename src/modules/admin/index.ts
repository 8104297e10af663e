/**
 * The administration dashboard (/admin), built from the sections modules add to the admin shell's
 * navigation (src/infra/admin). Every admin page is registered by its own module.
 */
import type { FastifyInstance } from 'fastify';

export default async function adminModule(app: FastifyInstance): Promise<void> {
  app.get('/admin', async (request, reply) =>
    app.renderAdminPage(request, reply, 'admin/views/dashboard.njk', {
      sections: await app.adminNavigation.dashboard(),
    }),
  );
}
