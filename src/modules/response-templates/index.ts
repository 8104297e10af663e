/**
 * The response-templates module: the standard replies staff pick from when they update a case
 * (ResponseTemplatesService, made in src/services.ts), and the admin pages for them.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { registerResponseTemplateRoutes } from './response-templates.routes.js';

const responseTemplatesModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({ label: 'Response templates', href: '/admin/response-templates', order: 80 });
  await registerResponseTemplateRoutes(app);
};

export default fp(responseTemplatesModule, { name: 'response-templates', dependencies: ['admin-shell'] });
