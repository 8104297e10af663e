/**
 * The services module: services as data (their questions, timescales, photo rules, receipt wording),
 * ServicesService, and the admin pages for services and their questions.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { serviceAdminRoutes } from './services.routes.js';

export { DEFAULT_RECEIPT, RECEIPT_PLACEHOLDERS, type ReceiptValues } from './receipt-template.js';
export { stopFor, type Question, type ServiceDefinition } from './service-definition.js';
export { ServicesService, type Service, type ServiceInput } from './services.service.js';
export { checkAnswers } from './answers.js';
export { answersFromForm, questionFieldId, questionItems } from './question-fields.js';

const servicesModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({
    label: 'Services',
    href: '/admin/services',
    order: 10,
    dashboard: {
      describe: async () =>
        `${(await app.domain.services.list({ activeOnly: false })).length} set up. What residents can report, the questions they are asked and the timescales.`,
    },
  });
  await app.register(serviceAdminRoutes);
};

export default fp(servicesModule, { name: 'services', dependencies: ['admin-shell'] });
