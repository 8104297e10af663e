/**
 * The organisations module: bodies (the council, parishes, contractors) and their teams,
 * OrganisationsService, and the admin pages for bodies and teams.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { organisationAdminRoutes } from './organisations.routes.js';

export {
  OrganisationsService,
  type Body,
  type BodyRef,
  type Team,
  type TeamRef,
} from './organisations.service.js';
export { emailProblem } from './organisations.service.js';

const organisationsModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({
    label: 'Bodies and teams',
    href: '/admin/organisations',
    order: 40,
    dashboard: {
      describe: async () => `${(await app.domain.organisations.bodies()).length} bodies.`,
    },
  });
  await app.register(organisationAdminRoutes);
};

export default fp(organisationsModule, { name: 'organisations', dependencies: ['admin-shell'] });
