/**
 * buildApp: the whole web application as a Fastify instance, from a config and (optionally) the parts
 * a test wants to supply itself. It registers infrastructure first, then modules; it never listens and
 * never reads the environment (src/cli.ts does that).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import type { Database } from './db/database.js';
import assets from './infra/assets.js';
import errors from './infra/errors.js';
import health from './infra/health.js';
import { Jobs } from './infra/jobs/jobs.js';
import { loggerOptions } from './infra/logging.js';
import { createMailer, type Mailer } from './infra/mailer/mailer.js';
import security from './infra/security.js';
import session from './infra/session.js';
import views from './infra/views.js';
import type { Domain } from './domain.js';
import { createServices } from './services.js';
import type { StaffDirectory } from './modules/staff/staff-directory.js';
import type { ApiClientsService } from './modules/api-clients/api-clients.service.js';
import type { CaseworkService } from './modules/casework/casework.service.js';
import type {
  CaseEvents,
  CaseQueries,
  CasesService,
  IntakeService,
  WorkflowService,
} from './modules/cases/index.js';
import type { PhotoService } from './modules/photos/photos.service.js';
import type { ResponseTemplatesService } from './modules/response-templates/response-templates.service.js';
import adminShell from './infra/admin/index.js';
import adminModule from './modules/admin/index.js';
import apiClientsModule from './modules/api-clients/index.js';
import areasModule from './modules/areas/index.js';
import auditModule from './modules/audit/index.js';
import calendarsModule from './modules/calendars/index.js';
import catalogueModule from './modules/catalogue/index.js';
import deliveryModule from './modules/delivery/index.js';
import organisationsModule from './modules/organisations/index.js';
import responseTemplatesModule from './modules/response-templates/index.js';
import routingModule from './modules/routing/index.js';
import servicesModule from './modules/services/index.js';
import webhooksModule from './modules/webhooks/index.js';
import devMailboxModule from './modules/dev-mailbox/index.js';
import placesRoutes from './modules/gazetteer/places.routes.js';
import homeModule from './modules/home/index.js';
import staffModule, { staffLayoutContext } from './modules/staff/index.js';
import swagger from '@fastify/swagger';
import reportsApi from './modules/reports/reports.api.js';
import crmApi from './modules/crm-api/index.js';
import open311Server from './modules/open311-server/index.js';
import reportsModule from './modules/reports/index.js';
import caseworkModule from './modules/casework/index.js';
import contactCentreModule from './modules/contact-centre/index.js';
import journeyRoutes, { photoOwnerKeyFor } from './modules/reports/journey.routes.js';
import multipart from '@fastify/multipart';
import photoRoutes from './modules/photos/photos.routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Kysely<Database>;
    database: DatabaseHandle;
    jobs: Jobs;
    mailer: Mailer;
    domain: Domain;
    /** The case core: every change to a case goes through it. */
    cases: CasesService;
    caseQueries: CaseQueries;
    caseEvents: CaseEvents;
    workflow: WorkflowService;
    staffDirectory: StaffDirectory;
    /** The one intake every front (web, API, contact centre, Open311) submits reports through. */
    intake: IntakeService;
    apiClients: ApiClientsService;
    photos: PhotoService;
    casework: CaseworkService;
    /** The words officers start public updates from. */
    responseTemplates: ResponseTemplatesService;
  }
}

export interface AppParts {
  /** An open database; when given, the caller closes it. Otherwise opened from config and closed with the app. */
  database?: DatabaseHandle;
  mailer?: Mailer;
  /** Fastify logger options; default from config (no pretty printing: that is the CLI's choice). */
  logger?: FastifyServerOptions['logger'];
  /** Override job settings (tests shorten retry delays). */
  jobSettings?: Partial<Jobs['settings']>;
  /** Override webhook delivery settings (tests shorten the receiver's time limit). */
  webhooks?: { timeoutMs?: number; maxAttempts?: number };
}

export function databaseTarget(config: Config) {
  return config.DATABASE_URL
    ? ({ engine: 'postgres', url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE } as const)
    : ({ engine: 'pglite', dataDir: `${config.dataDir}/pglite` } as const);
}

export async function buildApp(config: Config, parts: AppParts = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: parts.logger ?? loggerOptions(config, { pretty: false }),
    trustProxy: config.CIVICDESK_TRUST_PROXY,
    bodyLimit: 1024 * 1024,
    // removeAdditional: true drops unknown properties only where a schema says additionalProperties:
    // false ('all' would also strip every header a headers schema does not list, Authorization included).
    ajv: { customOptions: { removeAdditional: true, coerceTypes: 'array', allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const database = parts.database ?? (await openDatabase(databaseTarget(config)));
  const mailer =
    parts.mailer ??
    createMailer({ smtpUrl: config.SMTP_URL, from: config.CIVICDESK_MAIL_FROM, dataDir: config.dataDir });
  const jobs = new Jobs(database.db, {
    maxAttempts: config.CIVICDESK_JOB_MAX_ATTEMPTS,
    leaseSeconds: config.CIVICDESK_JOB_LEASE_SECONDS,
    concurrency: config.CIVICDESK_WORKER_CONCURRENCY,
    pollMs: config.CIVICDESK_WORKER_POLL_MS,
    ...parts.jobSettings,
  });

  app.decorate('config', config);
  app.decorate('database', database);
  app.decorate('db', database.db);
  app.decorate('jobs', jobs);
  app.decorate('mailer', mailer);
  const services = createServices({
    db: database.db,
    jobs,
    mailer,
    config,
    log: app.log,
    ...(parts.webhooks ? { webhooks: parts.webhooks } : {}),
  });
  for (const [name, service] of Object.entries(services)) app.decorate(name, service);
  const { photos } = services;
  app.addHook('onClose', async () => {
    if (!parts.mailer) await mailer.close();
    if (!parts.database) await database.close();
  });

  // Infrastructure, in dependency order.
  await app.register(cookie);
  await app.register(formbody);
  // Multipart bodies are read by the routes that take uploads (readMultipartForm), with their own limits.
  await app.register(multipart);
  await app.register(session, { config, db: database.db });
  await app.register(security, { config });
  await app.register(views, { config });
  await app.register(errors, { config });
  await app.register(assets, { config });
  await app.register(health, { db: database.db });
  // The OpenAPI document is built from the route schemas, so it cannot drift from what the API checks.
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Civicdesk API',
        version: '1',
        description:
          'Report problems and read public reports; for a council’s CRM, read and update its cases.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'cdk_... key' } },
      },
    },
    hideUntagged: true,
  });

  // Modules. The admin shell first: it guards every /admin route the modules below register.
  await app.register(adminShell, {
    guard: () => app.requireStaff(['admin']),
    layoutContext: staffLayoutContext,
  });
  await app.register(staffModule);
  await app.register(homeModule);
  await app.register(servicesModule);
  await app.register(routingModule);
  await app.register(organisationsModule);
  await app.register(calendarsModule);
  await app.register(areasModule);
  await app.register(catalogueModule);
  await app.register(auditModule);
  await app.register(deliveryModule);
  await app.register(responseTemplatesModule);
  await app.register(webhooksModule);
  await app.register(apiClientsModule);
  await app.register(adminModule);
  await app.register(caseworkModule);
  await app.register(contactCentreModule);
  await app.register(placesRoutes);
  await app.register(reportsApi, { intake: app.intake, apiClients: app.apiClients });
  await app.register(crmApi);
  await app.register(open311Server);
  await app.register(reportsModule);
  await app.register(journeyRoutes);
  await app.register(photoRoutes, { photos, ownerKeyFor: photoOwnerKeyFor });
  app.get('/api/openapi.json', { config: { csrf: false } }, async () => app.swagger());
  if (!config.isProduction) await app.register(devMailboxModule);

  return app;
}
