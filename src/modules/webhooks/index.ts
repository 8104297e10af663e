/**
 * The webhooks module: buildApp calls `createWebhooks` once (it registers the delivery job on the
 * outbox); its case-event subscriber (webhooks.jobs.ts) turns case events into webhook events; its plugin
 * registers the admin pages (webhooks.routes.ts). Receivers check signatures with
 * `verifyWebhookSignature` (signature.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import { registerWebhookRoutes } from './webhooks.routes.js';
import { DEFAULT_WEBHOOK_SETTINGS, WebhooksService, type WebhookSettings } from './webhooks.service.js';

export { verifyWebhookSignature, signWebhook, SIGNATURE_HEADER } from './signature.js';
export { webhooksSubscriber } from './webhooks.jobs.js';
export { crmCaseView, WebhooksService } from './webhooks.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Outbound webhooks to CRMs and other systems. */
    webhooks: WebhooksService;
  }
}

export function createWebhooks(parts: {
  db: Kysely<Database>;
  jobs: Jobs;
  config: Config;
  settings?: Partial<Pick<WebhookSettings, 'timeoutMs' | 'maxAttempts'>>;
}): WebhooksService {
  const service = new WebhooksService(
    parts.db,
    parts.jobs,
    {
      ...DEFAULT_WEBHOOK_SETTINGS,
      ...parts.settings,
      isProduction: parts.config.isProduction,
      baseUrl: parts.config.baseUrl,
    },
    parts.config.sessionSecret,
  );
  service.register();
  return service;
}

const webhooksModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({ label: 'Webhooks', href: '/admin/webhooks', order: 90 });
  await registerWebhookRoutes(app);
};

export default fp(webhooksModule, { name: 'webhooks', dependencies: ['admin-shell'] });
