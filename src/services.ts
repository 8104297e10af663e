/**
 * The composition root: every service built once, in dependency order, and every job handler and
 * case-event subscriber registered once. buildApp (the web app and `civicdesk worker`) and tests use it;
 * CLI commands that need only the database use buildDomain (src/domain.ts), the part of it without jobs.
 *
 * This is the one place that knows which module listens to which: the case core publishes case events
 * and imports no subscriber; the subscribers are wired here.
 */
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Jobs } from './infra/jobs/jobs.js';
import { registerEmailJobs } from './infra/mailer/email.jobs.js';
import type { Mailer } from './infra/mailer/mailer.js';
import { buildDomain, type Domain } from './domain.js';
import { ApiClientsService } from './modules/api-clients/api-clients.service.js';
import { AuditService } from './modules/audit/index.js';
import { CrmApiService } from './modules/crm-api/crm-api.service.js';
import { Open311ServerService } from './modules/open311-server/open311-server.service.js';
import { StaffAdminService } from './modules/staff/staff-admin.service.js';
import { StaffService, staffSecuritySettings } from './modules/staff/staff.service.js';
import { CaseworkService } from './modules/casework/casework.service.js';
import {
  CaseEvents,
  CaseQueries,
  CasesService,
  IntakeService,
  WorkflowService,
} from './modules/cases/index.js';
import {
  caseDeliverySubscriber,
  createDelivery,
  open311UpdatesSubscriber,
  type Delivery,
} from './modules/delivery/index.js';
import { notificationsSubscriber } from './modules/notifications/index.js';
import { filePhotoStore } from './modules/photos/photo-store.js';
import { PhotoService, photoServiceOptions } from './modules/photos/photos.service.js';
import { ResponseTemplatesService } from './modules/response-templates/response-templates.service.js';
import { StaffDirectory } from './modules/staff/staff-directory.js';
import { createWebhooks, webhooksSubscriber, type WebhooksService } from './modules/webhooks/index.js';

export interface ServiceParts {
  db: Kysely<Database>;
  jobs: Jobs;
  mailer: Mailer;
  config: Config;
  log: Logger;
  /** Override webhook delivery settings (tests shorten the receiver's time limit). */
  webhooks?: { timeoutMs?: number; maxAttempts?: number };
  /** The clock for staff lockouts, link expiry and TOTP steps (tests move it instead of sleeping). */
  clock?: () => Date;
}

export interface Services {
  domain: Domain;
  /** The case core: every change to a case. */
  cases: CasesService;
  /** Reads of cases for the back office's pages. */
  caseQueries: CaseQueries;
  caseEvents: CaseEvents;
  /** The one intake every front (web, API, contact centre, Open311) submits reports through. */
  intake: IntakeService;
  casework: CaseworkService;
  workflow: WorkflowService;
  apiClients: ApiClientsService;
  photos: PhotoService;
  responseTemplates: ResponseTemplatesService;
  webhooks: WebhooksService;
  delivery: Delivery;
  /** Who works where: a body's staff, a team's leads. */
  staffDirectory: StaffDirectory;
  /** Staff identity and sign-in rules (the account, TOTP, lockout, password reset). */
  staffAccounts: StaffService;
  /** Staff accounts as administrators manage them (/admin/people). */
  staffAdmin: StaffAdminService;
  /** A council CRM's view of its body's cases, and its changes through the case core. */
  crmApi: CrmApiService;
  /** The Open311 GeoReport v2 server's answers and writes. */
  open311Server: Open311ServerService;
  /** The audit trail as administrators read it. */
  auditTrail: AuditService;
}

export function createServices(parts: ServiceParts): Services {
  const { db, jobs, mailer, config, log } = parts;
  registerEmailJobs(jobs, mailer);
  const domain = buildDomain(db);
  const caseEvents = new CaseEvents(jobs);
  const staffDirectory = new StaffDirectory(db);
  const workflow = new WorkflowService(db);
  const photos = new PhotoService(db, filePhotoStore(config.dataDir), photoServiceOptions(config));
  const cases = new CasesService(db, {
    services: domain.services,
    organisations: domain.organisations,
    routing: domain.routing,
    contacts: domain.contacts,
    calendars: domain.calendars,
    workflow,
    staff: staffDirectory,
    jobs,
    events: caseEvents,
    baseUrl: config.baseUrl,
    councilName: config.CIVICDESK_COUNCIL_NAME,
  });
  const caseQueries = new CaseQueries(db);
  const intake = new IntakeService(db, config, {
    services: domain.services,
    routing: domain.routing,
    organisations: domain.organisations,
    contacts: domain.contacts,
    jobs,
    events: caseEvents,
    describePoint: (lon, lat) => domain.gazetteer.describePoint(lon, lat),
    photos,
  });
  const webhooks = createWebhooks({ db, jobs, config, settings: parts.webhooks ?? {} });
  const delivery = createDelivery({
    db,
    jobs,
    mailer,
    config,
    photos,
    log,
    applyOpen311Update: (actor, reference, input) => cases.update(actor, reference, input),
    cases,
  });

  // Who hears of case events. A new subscriber is one more line here and its own *.jobs.ts.
  caseEvents.subscribe(
    notificationsSubscriber({
      db,
      jobs,
      cases,
      services: domain.services,
      organisations: domain.organisations,
      contacts: domain.contacts,
      staff: staffDirectory,
      baseUrl: config.baseUrl,
      councilName: config.CIVICDESK_COUNCIL_NAME,
    }),
  );
  caseEvents.subscribe(webhooksSubscriber(webhooks));
  caseEvents.subscribe(caseDeliverySubscriber(db, jobs));
  caseEvents.subscribe(open311UpdatesSubscriber(db, jobs));

  const apiClients = new ApiClientsService(db, domain);
  const staffAccounts = new StaffService(db, staffSecuritySettings(config), jobs, { now: parts.clock });
  return {
    domain,
    cases,
    caseQueries,
    caseEvents,
    intake,
    casework: new CaseworkService(db, {
      cases,
      queries: caseQueries,
      services: domain.services,
      organisations: domain.organisations,
      contacts: domain.contacts,
      workflow,
    }),
    workflow,
    apiClients,
    photos,
    responseTemplates: new ResponseTemplatesService(db),
    webhooks,
    delivery,
    staffDirectory,
    staffAccounts,
    staffAdmin: new StaffAdminService(db, {
      staff: staffAccounts,
      organisations: domain.organisations,
      jobs,
      councilName: config.CIVICDESK_COUNCIL_NAME,
      baseUrl: config.baseUrl,
    }),
    crmApi: new CrmApiService(db, cases, config.baseUrl),
    open311Server: new Open311ServerService(db, {
      services: domain.services,
      gazetteer: domain.gazetteer,
      intake,
      apiClients,
      updateCase: (actor, reference, input) => cases.update(actor, reference, input),
      photos,
      nearbyOpen: (point, serviceCode) =>
        domain.reports.nearbyOpen(point, config.CIVICDESK_DUPLICATE_RADIUS_METRES, { serviceCode, limit: 6 }),
      baseUrl: config.baseUrl,
      councilName: config.CIVICDESK_COUNCIL_NAME,
    }),
    auditTrail: new AuditService(db),
  };
}
