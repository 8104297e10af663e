/**
 * The catalogue module: export and all-or-nothing import of the whole configuration (ADR 0006), from the
 * command line (catalogue.cli.ts) and the admin page.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { catalogueAdminRoutes } from './catalogue.routes.js';

export { CatalogueInvalidError, CatalogueService, parseCatalogueText } from './catalogue.service.js';

const catalogueModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({
    label: 'Catalogue file',
    href: '/admin/catalogue',
    order: 130,
    dashboard: { describe: () => 'download or upload the whole configuration.' },
  });
  await app.register(catalogueAdminRoutes);
};

export default fp(catalogueModule, { name: 'catalogue', dependencies: ['admin-shell'] });
