/**
 * Back-office case work: the queues (queue.routes.ts), the case page with its actions (case.routes.ts)
 * and the admin page of the case workflow (workflow.routes.ts). Every page is for signed-in staff; every form follows the GOV.UK pattern.
 */
import type { FastifyInstance } from 'fastify';
import { registerCaseRoutes } from './case.routes.js';
import { registerQueueRoutes } from './queue.routes.js';
import { registerWorkflowRoutes } from './workflow.routes.js';
export {
  actorOf,
  formChoices,
  formField,
  formText,
  renderForStaff,
  staffForm,
} from './casework.routes-support.js';

export default async function caseworkModule(app: FastifyInstance): Promise<void> {
  app.get('/staff', { preHandler: app.requireStaff() }, async (_request, reply) =>
    reply.redirect('/staff/cases', 303),
  );
  registerQueueRoutes(app);
  registerCaseRoutes(app);
  app.adminNavigation.add({ label: 'Case workflow', href: '/admin/workflow', order: 70 });
  registerWorkflowRoutes(app);
}
