/**
 * The calendars module: working weeks, opening hours and closure days that timescales count on,
 * CalendarsService, and the admin pages for calendars.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { calendarAdminRoutes } from './calendars.routes.js';

export { CalendarsService, type CalendarSummary } from './calendars.service.js';

const calendarsModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({
    label: 'Calendars',
    href: '/admin/calendars',
    order: 110,
    dashboard: { describe: () => 'working days, opening hours and closures.' },
  });
  await app.register(calendarAdminRoutes);
};

export default fp(calendarsModule, { name: 'calendars', dependencies: ['admin-shell'] });
