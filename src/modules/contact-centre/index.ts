/**
 * The contact centre: agents find a caller (or add one, after being shown who they may already be),
 * see everything about them on one page, log interactions, and take a report over the phone through
 * the same intake as the web; team leads merge two records of one person. Every page is for signed-in staff and works without JavaScript.
 */
import type { FastifyInstance } from 'fastify';
import { registerContactCentreRoutes } from './contact-centre.routes.js';
import { registerContactMergeRoutes } from './merge.routes.js';
import { registerPhoneReportRoutes } from './phone-report.routes.js';

export default async function contactCentreModule(app: FastifyInstance): Promise<void> {
  registerContactCentreRoutes(app);
  registerPhoneReportRoutes(app);
  registerContactMergeRoutes(app);
}
