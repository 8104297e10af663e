/**
 * The areas module: boundaries (GeoJSON validation, versioned import, the spatial index) and the admin
 * pages that show them.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { areaAdminRoutes } from './areas.routes.js';

export { areaById, type AreaDetail } from './areas.service.js';

const areasModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({
    label: 'Areas',
    href: '/admin/areas',
    order: 120,
    dashboard: { describe: () => 'the boundaries reports are routed by.' },
  });
  await app.register(areaAdminRoutes);
};

export default fp(areasModule, { name: 'areas', dependencies: ['admin-shell'] });
