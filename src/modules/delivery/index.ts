/**
 * The delivery module: sending cases to bodies' own destinations (email now; Open311 plugs in as
 * another DeliveryMethod) and taking their email replies back. buildApp calls `createDelivery` once;
 * the background process calls `startInboundEmail`; its plugin registers the admin pages
 * (delivery.routes.ts, and open311/open311.routes.ts for Open311 targets).
 */
import type { FastifyBaseLogger as Logger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { CasesService } from '../cases/index.js';
import type { Mailer } from '../../infra/mailer/mailer.js';
import { registerDeliveryRoutes } from './delivery.routes.js';
import { DeliveryService } from './delivery.service.js';
import { EmailDelivery, type PhotoReader } from './email-delivery.js';
import { InboundEmail } from './inbound.js';
import { startImapPoller, startSmtpListener, type RunningTransport } from './inbound-transports.js';
import { ReplyAddresses } from './reply-token.js';
import { SecretBox } from '../../lib/secret-box.js';
import { API_KEY_PURPOSE, Open311Delivery } from './open311/open311-delivery.js';
import { Open311Updates, type ApplyUpdate } from './open311/open311-updates.js';
import { registerOpen311TargetRoutes } from './open311/open311.routes.js';
import { Open311Targets } from './open311/open311-targets.js';

export interface Delivery {
  service: DeliveryService;
  inbound: InboundEmail;
  replies: ReplyAddresses;
  /** Updates to and from Open311 endpoints (open311/open311-updates.ts). */
  open311: Open311Updates;
  /** Seals Open311 targets' API keys (bound to the target's id). */
  open311Keys: SecretBox;
  /** Open311 endpoints as admins set them up (/admin/delivery/open311). */
  open311Targets: Open311Targets;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Delivery of cases to bodies' own inboxes and systems, and their replies. */
    delivery: Delivery;
  }
}

export function createDelivery(parts: {
  db: Kysely<Database>;
  jobs: Jobs;
  mailer: Mailer;
  config: Config;
  photos?: PhotoReader;
  log: Logger;
  /** Applies an Open311 endpoint's update to a case: the case core's update(), late-bound. */
  applyOpen311Update: ApplyUpdate;
  /** The case core, which records deliveries and replies on the case's timeline. */
  cases: Pick<CasesService, 'addTimelineEntry'>;
}): Delivery {
  const { db, jobs, mailer, config } = parts;
  const replies = new ReplyAddresses(
    config.CIVICDESK_REPLY_ADDRESS,
    config.CIVICDESK_REPLY_TOKEN_SECRET ?? config.sessionSecret,
  );
  const service = new DeliveryService(
    db,
    jobs,
    {
      baseUrl: config.baseUrl,
      councilName: config.CIVICDESK_COUNCIL_NAME,
    },
    parts.cases,
  );
  service.registerMethod(new EmailDelivery(db, mailer, replies, parts.photos, config.CIVICDESK_COUNCIL_NAME));
  const open311Keys = new SecretBox(config.sessionSecret, API_KEY_PURPOSE);
  const open311Options = {
    baseUrl: config.baseUrl,
    councilName: config.CIVICDESK_COUNCIL_NAME,
    timeoutMs: config.CIVICDESK_OPEN311_TIMEOUT_SECONDS * 1000,
  };
  service.registerMethod(
    new Open311Delivery(db, open311Keys, {
      ...open311Options,
      ...(parts.photos ? { photos: parts.photos } : {}),
    }),
  );
  const open311 = new Open311Updates(db, jobs, open311Keys, parts.applyOpen311Update, {
    timeoutMs: open311Options.timeoutMs,
    log: parts.log.child({ component: 'open311-updates' }),
  });
  const inbound = new InboundEmail(
    db,
    jobs,
    replies,
    {
      baseUrl: config.baseUrl,
      daysAfterClose: config.CIVICDESK_REPLY_TOKEN_DAYS_AFTER_CLOSE,
      maxBytes: config.CIVICDESK_INBOUND_MAX_BYTES,
      log: parts.log.child({ component: 'inbound-email' }),
    },
    parts.cases,
  );
  const open311Targets = new Open311Targets(db, open311Keys, config.isProduction);
  return { service, inbound, replies, open311, open311Keys, open311Targets };
}

/** Starts the configured inbound transport, if any. */
export async function startInboundEmail(app: FastifyInstance): Promise<RunningTransport | undefined> {
  const { config } = app;
  const log = app.log.child({ component: 'inbound-email' });
  switch (config.CIVICDESK_INBOUND_EMAIL) {
    case 'off':
      return undefined;
    case 'smtp':
      return startSmtpListener(app.delivery.inbound, {
        host: config.CIVICDESK_INBOUND_SMTP_HOST,
        port: config.CIVICDESK_INBOUND_SMTP_PORT,
        log,
      });
    case 'imap':
      return startImapPoller(app.delivery.inbound, {
        url: config.CIVICDESK_INBOUND_IMAP_URL!,
        everySeconds: config.CIVICDESK_INBOUND_IMAP_POLL_SECONDS,
        log,
      });
  }
}

export { caseDeliverySubscriber, open311UpdatesSubscriber } from './delivery.jobs.js';
/** How case statuses read in Open311, both ways (also used by the Open311 server). */
export { OUR_STATUS_TO_EXTENDED, ourStatusFor } from './open311/open311-client.js';

const deliveryModule: FastifyPluginAsync = async (app) => {
  app.adminNavigation.add({ label: 'Delivery', href: '/admin/delivery', order: 60 });
  await registerDeliveryRoutes(app);
  await registerOpen311TargetRoutes(app);
};

export default fp(deliveryModule, { name: 'delivery', dependencies: ['admin-shell'] });
