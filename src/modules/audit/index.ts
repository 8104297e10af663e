/**
 * The audit module: the `audit_event` table, the closed set of actions it records, `audit()` for writers
 * (inside their own transactions) and the audit trail page for administrators (/admin/audit).
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { auditRoutes } from './audit.routes.js';
import type { AuditService } from './audit.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The audit trail as administrators read it (built by the composition root). */
    auditTrail: AuditService;
  }
}

export { AUDIT_ACTIONS, type AuditAction } from './audit.actions.js';
export { audit, AuditService, type AuditEntry, type AuditRecord } from './audit.service.js';

const auditModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({
    label: 'Audit trail',
    href: '/admin/audit',
    order: 140,
    dashboard: { describe: () => 'what staff have done, and which cases they have looked at.' },
  });
  await app.register(auditRoutes, { audit: app.auditTrail });
};

export default fp(auditModule, { name: 'audit', dependencies: ['admin-shell', 'staff'] });
