/**
 * The api-clients module: API keys for other systems (ApiClientsService, made in src/services.ts; the
 * key check for the JSON API and Open311 in api-auth.ts), and the admin pages for them.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { registerApiClientRoutes } from './api-clients.routes.js';

export { authenticateKey, bearerKey, IdempotencyHeaders, idempotentWrite } from './api-auth.js';
export type { ApiClient, ApiClientsService } from './api-clients.service.js';

const apiClientsModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({ label: 'API keys', href: '/admin/api-clients', order: 100 });
  await registerApiClientRoutes(app);
};

export default fp(apiClientsModule, { name: 'api-clients', dependencies: ['admin-shell'] });
