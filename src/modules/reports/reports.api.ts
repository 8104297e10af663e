/**
 * The reports JSON API (/api/v1): the same intake as the web journey, for apps and other systems, plus
 * the public read endpoints the map uses. Errors are RFC 9457 problem details from the app's one error
 * handler; field errors carry JSON pointers to what was wrong.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import type { ApiClient, ApiClientsService } from '../api-clients/index.js';
import { bearerKey, IdempotencyHeaders } from '../api-clients/index.js';
import type { IntakeService, SubmitResult } from '../cases/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiClient: ApiClient | undefined;
  }
}

const Answer = Type.Union([
  Type.String({ maxLength: 2000 }),
  Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 }),
]);

export const ReportRequest = Type.Object(
  {
    service_code: Type.String({
      minLength: 1,
      maxLength: 63,
      description: 'The service code, from GET /api/v1/services',
    }),
    lat: Type.Number({ minimum: -90, maximum: 90, description: 'Latitude, WGS84' }),
    lon: Type.Number({ minimum: -180, maximum: 180, description: 'Longitude, WGS84' }),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    location_detail: Type.Optional(
      Type.String({
        maxLength: 1000,
        description: 'The exact spot in words, e.g. "outside the post office"',
      }),
    ),
    answers: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }), Answer, {
        description: 'Answers to the service’s questions, by question code; lists as arrays of option keys',
      }),
    ),
    reporter: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(Type.String({ maxLength: 200 })),
          email: Type.Optional(Type.String({ maxLength: 254 })),
          phone: Type.Optional(Type.String({ maxLength: 50 })),
          wants_updates: Type.Optional(
            Type.Boolean({ description: 'Email a receipt and updates (default true)' }),
          ),
          show_name_publicly: Type.Optional(Type.Boolean({ default: false })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const ReportResponse = Type.Object({
  reference: Type.String(),
  status: Type.String(),
  service_code: Type.String(),
  handled_by: Type.Object({ body: Type.String(), team: Type.Union([Type.String(), Type.Null()]) }),
  contact: Type.Union([
    Type.Object({
      name: Type.String(),
      email: Type.Union([Type.String(), Type.Null()]),
      phone: Type.Union([Type.String(), Type.Null()]),
      website: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  due_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  what_happens_next: Type.String(),
  location_description: Type.String(),
  public_url: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

function toResponse(result: SubmitResult, baseUrl: string) {
  const c = result.case;
  return {
    reference: c.reference,
    status: c.status,
    service_code: c.serviceCode,
    handled_by: { body: c.bodyName, team: c.teamName },
    contact: c.contact,
    due_at: c.dueAt ? c.dueAt.toISOString() : null,
    what_happens_next: c.whatHappensNext,
    location_description: c.locationDescription,
    public_url: `${baseUrl}/reports/${c.reference}`,
    created_at: c.createdAt.toISOString(),
  };
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

export default async function reportsApi(
  instance: FastifyInstance,
  opts: { intake: IntakeService; apiClients: ApiClientsService },
): Promise<void> {
  const app = typed(instance);
  const { intake, apiClients } = opts;
  app.decorateRequest('apiClient', undefined);

  /**
   * An API key, or else this site's own pages calling with the visitor's session: then the session's
   * CSRF token must come in the X-CSRF-Token header, exactly as a form would send it.
   */
  const requireKeyOrSession = (scope: string) => async (request: FastifyRequest) => {
    const key = bearerKey(request);
    if (!key) {
      const session = await request.loadSession();
      const sent = request.headers['x-csrf-token'];
      if (session && typeof sent === 'string' && sameToken(sent, session.csrfToken)) return;
      throw new AppError('unauthorized', 'Send an API key in the Authorization header: "Bearer cdk_..."');
    }
    const client = await apiClients.authenticate(key);
    if (!client) throw new AppError('unauthorized', 'That API key is not valid or has been revoked');
    if (!client.scopes.includes(scope))
      throw new AppError('forbidden', `This API key does not have the ${scope} scope`);
    request.apiClient = client;
  };

  app.post(
    '/api/v1/reports',
    {
      // Authenticated by API key, never by cookie, so cross-site forgery has nothing to ride on.
      config: { csrf: false, rateLimit: { max: 120, timeWindow: '1 minute' } },
      preHandler: requireKeyOrSession('reports:write'),
      schema: {
        summary: 'Report a problem',
        description:
          'Creates a case through the same intake as the website: routing, due date, receipt email. Send an Idempotency-Key header to make retries safe: the same key returns the same case.',
        tags: ['reports'],
        security: [{ apiKey: [] }],
        headers: IdempotencyHeaders,
        body: ReportRequest,
        response: { 200: ReportResponse, 201: ReportResponse },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const client = request.apiClient;
      if (client?.serviceCodes.length && !client.serviceCodes.includes(body.service_code)) {
        throw new AppError('forbidden', `This API key may not report to the service "${body.service_code}"`);
      }
      const key = request.headers['idempotency-key'];
      const result = await intake.submit({
        serviceCode: body.service_code,
        lat: body.lat,
        lon: body.lon,
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.location_detail !== undefined ? { locationDetail: body.location_detail } : {}),
        answers: body.answers ?? {},
        ...(body.reporter
          ? {
              reporter: {
                ...(body.reporter.name !== undefined ? { name: body.reporter.name } : {}),
                ...(body.reporter.email !== undefined ? { email: body.reporter.email } : {}),
                ...(body.reporter.phone !== undefined ? { phone: body.reporter.phone } : {}),
                wantsUpdates: body.reporter.wants_updates !== false,
                showNamePublicly: body.reporter.show_name_publicly === true,
              },
            }
          : {}),
        // Without a key, it is the site's own page speaking for a resident: a web report.
        channel: client ? 'api' : 'web',
        ...(client ? { apiClientId: client.id } : {}),
        ...(typeof key === 'string'
          ? {
              idempotencyKey: client
                ? `api:${client.id}:${key}`
                : `session:${(await request.loadSession())!.csrfToken}:${key}`,
            }
          : {}),
      });
      reply.header('location', `/api/v1/reports/${result.case.reference}`);
      if (!result.created) reply.header('idempotent-replayed', 'true');
      return reply.status(result.created ? 201 : 200).send(toResponse(result, app.config.baseUrl));
    },
  );

  app.get(
    '/api/v1/services',
    {
      config: { rateLimit: { max: 240, timeWindow: '1 minute' } },
      schema: {
        summary: 'What can be reported, with each service’s questions',
        description:
          'Services residents can report now. Use a service’s questions to fill in answers for POST /api/v1/reports.',
        tags: ['reports'],
      },
    },
    async (_request, reply) => {
      const services = await app.domain.services.list();
      reply.header('cache-control', 'public, max-age=300');
      return {
        services: services.map((s) => ({
          code: s.code,
          name: s.name,
          group: s.group,
          description: s.description,
          keywords: s.keywords,
          anonymous_allowed: s.definition.anonymousAllowed,
          photos: s.definition.photos,
          questions: s.definition.questions
            .filter((q) => !q.automated)
            .map((q) => ({
              code: q.code,
              text: q.text,
              datatype: q.datatype,
              required: q.required,
              ...(q.options
                ? {
                    options: q.options.map((o) => ({
                      key: o.key,
                      name: o.name,
                      ends_report: Boolean(o.stop),
                    })),
                  }
                : {}),
            })),
        })),
      };
    },
  );

  app.get(
    '/api/v1/reports/nearby',
    {
      config: { rateLimit: { max: 240, timeWindow: '1 minute' } },
      schema: {
        summary: 'Open public reports near a point',
        description: 'For "already reported?": open public reports, nearest first, with distance in metres.',
        tags: ['reports'],
        querystring: Type.Object({
          lat: Type.Number({ minimum: -90, maximum: 90 }),
          lon: Type.Number({ minimum: -180, maximum: 180 }),
          service: Type.Optional(Type.String({ maxLength: 63 })),
          radius: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const reports = await app.domain.reports.nearbyOpen(
        { lat: q.lat, lon: q.lon },
        q.radius ?? app.config.CIVICDESK_DUPLICATE_RADIUS_METRES,
        q.service ? { serviceCode: q.service } : {},
      );
      reply.header('cache-control', 'public, max-age=30');
      return {
        reports: reports.map((r) => ({
          reference: r.reference,
          service_code: r.serviceCode,
          service_name: r.serviceName,
          status: r.statusLabel,
          lat: r.lat,
          lon: r.lon,
          location_description: r.locationDescription,
          distance_metres: r.distanceMetres,
          reported_at: r.reportedAt.toISOString(),
          url: `/reports/${r.reference}`,
        })),
      };
    },
  );

  app.get(
    '/api/v1/reports',
    {
      config: { rateLimit: { max: 240, timeWindow: '1 minute' } },
      schema: {
        summary: 'Open public reports in a box (map pins)',
        tags: ['reports'],
        querystring: Type.Object({
          bbox: Type.String({
            pattern: '^-?\\d+(\\.\\d+)?(,-?\\d+(\\.\\d+)?){3}$',
            description: 'minLon,minLat,maxLon,maxLat',
          }),
        }),
      },
    },
    async (request, reply) => {
      const [minLon, minLat, maxLon, maxLat] = request.query.bbox.split(',').map(Number) as [
        number,
        number,
        number,
        number,
      ];
      if (!(minLon < maxLon && minLat < maxLat) || maxLat - minLat > 1 || maxLon - minLon > 2) {
        throw new AppError(
          'validation_failed',
          'bbox must be minLon,minLat,maxLon,maxLat spanning at most 1° of latitude and 2° of longitude',
        );
      }
      reply.header('cache-control', 'public, max-age=30');
      return { reports: await app.domain.reports.publicInBox({ minLon, minLat, maxLon, maxLat }) };
    },
  );

  app.get(
    '/api/v1/reports/:reference',
    {
      schema: {
        summary: 'A public report',
        tags: ['reports'],
        params: Type.Object({ reference: Type.String({ maxLength: 20 }) }),
      },
    },
    async (request) => {
      const view = await app.domain.reports.publicView(request.params.reference.toUpperCase());
      if (!view) throw new AppError('not_found', 'There is no public report with that reference');
      return {
        reference: view.reference,
        service: view.serviceName,
        status: view.statusLabel,
        outcome: view.outcome,
        handled_by: view.handledBy,
        due_at: view.dueAt?.toISOString() ?? null,
        reported_at: view.reportedAt.toISOString(),
        closed_at: view.closedAt?.toISOString() ?? null,
        lat: view.lat,
        lon: view.lon,
        location_description: view.locationDescription,
        description: view.description,
        timeline: view.timeline.map((t) => ({ kind: t.kind, text: t.text, at: t.at.toISOString() })),
      };
    },
  );
}
