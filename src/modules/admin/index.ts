/**
 * The administration dashboard (/admin), built from the sections modules add to the admin shell's
 * navigation (src/infra/admin), and, for now, the admin pages of modules that do not yet register their
 * own: delivery (and its Open311 targets), the case workflow, response templates, webhooks and API keys.
 * Those route files still take a renderer and route options; their templates are named relative to
 * admin/views, as they were when this module rendered every admin page. When each of those modules
 * registers its own pages from its index.ts, this file keeps only the dashboard.
 */
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerApiClientRoutes } from '../api-clients/api-clients.routes.js';
import { registerWorkflowRoutes } from '../casework/workflow.routes.js';
import { registerDeliveryRoutes } from '../delivery/delivery.routes.js';
import { registerOpen311TargetRoutes } from '../delivery/open311/open311.routes.js';
import { registerResponseTemplateRoutes } from '../response-templates/response-templates.routes.js';
import { registerWebhookRoutes } from '../webhooks/webhooks.routes.js';

export default async function adminModule(app: FastifyInstance): Promise<void> {
  app.get('/admin', async (request, reply) =>
    app.renderAdminPage(request, reply, 'admin/views/dashboard.njk', {
      sections: await app.adminNavigation.dashboard(),
    }),
  );

  for (const section of [
    { label: 'Delivery', href: '/admin/delivery', order: 60 },
    { label: 'Case workflow', href: '/admin/workflow', order: 70 },
    { label: 'Response templates', href: '/admin/response-templates', order: 80 },
    { label: 'Webhooks', href: '/admin/webhooks', order: 90 },
    { label: 'API keys', href: '/admin/api-clients', order: 100 },
  ]) {
    app.adminNavigation.add(section);
  }
  const legacy = {
    render: (request: FastifyRequest, reply: FastifyReply, template: string, context?: object) =>
      app.renderAdminPage(request, reply, path.posix.join('admin/views', template), context),
    // The admin shell guards every /admin route already.
    adminOnly: {},
  };
  await registerDeliveryRoutes(app, legacy);
  await registerOpen311TargetRoutes(app, legacy);
  await registerResponseTemplateRoutes(app, legacy);
  await registerWorkflowRoutes(app, legacy);
  await registerWebhookRoutes(app, legacy);
  await registerApiClientRoutes(app, legacy);
}
