/**
 * The routing module: the rule engine, RoutingService, and the admin pages for the rules and the test
 * bench.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { routingAdminRoutes } from './routing.routes.js';

export {
  type AnswerCondition,
  type AreaMatch,
  type RoutingDecision,
  type RoutingRule,
} from './routing-engine.js';
export { RoutingService, RuleInvalidError, type Rule, type RuleInput } from './routing.service.js';

const routingModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({
    label: 'Routing rules',
    href: '/admin/routing',
    order: 20,
    // The test bench lives below it, and is its own section.
    coversSubpaths: false,
    dashboard: {
      describe: async () =>
        `${(await app.domain.routing.rules()).length}. Which body and team get each report, by place, answers and time.`,
    },
  });
  app.adminNavigation.add({
    label: 'Test bench',
    href: '/admin/routing/test',
    order: 30,
    dashboard: {
      label: 'Routing test bench',
      describe: () => 'try a place, a service and answers, and see which rule decides.',
    },
  });
  await app.register(routingAdminRoutes);
};

export default fp(routingModule, { name: 'routing', dependencies: ['admin-shell'] });
