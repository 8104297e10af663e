/**
 * The delivery module: sending cases to bodies' own destinations (email now; Open311 plugs in as
 * another DeliveryMethod) and taking their email replies back. buildApp calls `createDelivery` once;
 * the background process calls `startInboundEmail`; the admin pages are in delivery.routes.ts.
 */
import type { FastifyBaseLogger as Logger, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { Mailer } from '../../infra/mailer/mailer.js';
import { DeliveryService } from './delivery.service.js';
import { EmailDelivery, type PhotoReader } from './email-delivery.js';
import { InboundEmail } from './inbound.js';
import { startImapPoller, startSmtpListener, type RunningTransport } from './inbound-transports.js';
import { ReplyAddresses } from './reply-token.js';

export interface Delivery {
  service: DeliveryService;
  inbound: InboundEmail;
  replies: ReplyAddresses;
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
}): Delivery {
  const { db, jobs, mailer, config } = parts;
  const replies = new ReplyAddresses(
    config.CIVICDESK_REPLY_ADDRESS,
    config.CIVICDESK_REPLY_TOKEN_SECRET ?? config.sessionSecret,
  );
  const service = new DeliveryService(db, jobs, {
    baseUrl: config.baseUrl,
    councilName: config.CIVICDESK_COUNCIL_NAME,
  });
  service.registerMethod(new EmailDelivery(db, mailer, replies, parts.photos, config.CIVICDESK_COUNCIL_NAME));
  const inbound = new InboundEmail(db, jobs, replies, {
    baseUrl: config.baseUrl,
    daysAfterClose: config.CIVICDESK_REPLY_TOKEN_DAYS_AFTER_CLOSE,
    maxBytes: config.CIVICDESK_INBOUND_MAX_BYTES,
    log: parts.log.child({ component: 'inbound-email' }),
  });
  return { service, inbound, replies };
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
