/**
 * The CRM API on /api/v1/cases (scopes cases:read and cases:write, a key tied to a body) and the
 * readable API documentation at /api/docs, rendered on the server from the OpenAPI document, so it
 * needs no script and nothing from another site.
 *
 *   GET  /api/v1/cases                                  cases of the key's body, by last change, paged
 *   GET  /api/v1/cases/{reference}                      a case with its public timeline
 *   POST /api/v1/cases/{reference}/status               change status (optionally with a public update)
 *   POST /api/v1/cases/{reference}/updates              post a public update
 *   PUT  /api/v1/cases/{reference}/external-reference   record the CRM's id for the case
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { authenticateKey, IdempotencyHeaders, idempotentWrite } from '../api-clients/index.js';
import type { ApiClient } from '../api-clients/index.js';
import { MAX_PAGE, type CrmApiService } from './crm-api.service.js';
import { apiDocsView } from './api-docs.js';

const Status = Type.Union(
  [
    Type.Literal('received'),
    Type.Literal('in_progress'),
    Type.Literal('action_scheduled'),
    Type.Literal('fixed'),
    Type.Literal('closed_not_fixed'),
    Type.Literal('not_responsible'),
    Type.Literal('duplicate'),
    Type.Literal('cancelled'),
  ],
  { description: 'fixed, closed_not_fixed, not_responsible, duplicate and cancelled close the case' },
);

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const Named = Type.Object({ code: Type.String(), name: Type.String() });

const CrmCase = Type.Object({
  reference: Type.String(),
  status: Type.String(),
  status_label: Type.String(),
  priority: Type.String(),
  channel: Type.String(),
  service: Named,
  body: Named,
  team: Type.Union([Named, Type.Null()]),
  description: Type.String(),
  location: Type.Object({
    lat: Type.Number(),
    lon: Type.Number(),
    description: Type.String(),
    detail: Type.String(),
  }),
  due_at: Nullable(Type.String({ format: 'date-time' })),
  closed_at: Nullable(Type.String({ format: 'date-time' })),
  outcome: Nullable(Type.String()),
  is_public: Type.Boolean(),
  external_reference: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  staff_url: Type.String(),
  public_url: Nullable(Type.String()),
});
const CrmCaseWithTimeline = Type.Object({
  ...CrmCase.properties,
  timeline: Type.Array(Type.Object({ kind: Type.String(), text: Type.String(), at: Type.String() })),
});

const ReferenceParams = Type.Object({ reference: Type.String({ minLength: 1, maxLength: 20 }) });
const StatusBody = Type.Object(
  {
    status: Status,
    public_update: Type.Optional(
      Type.String({
        maxLength: 5000,
        description: 'Shown on the tracking page and emailed to the resident; required when closing',
      }),
    ),
    outcome: Type.Optional(
      Type.String({ maxLength: 500, description: 'The outcome in words, when closing' }),
    ),
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 5000, description: 'The update the resident will see' }) },
  { additionalProperties: false },
);
const ExternalReferenceBody = Type.Object(
  { external_reference: Type.String({ minLength: 1, maxLength: 200, description: 'The CRM’s own id' }) },
  { additionalProperties: false },
);

declare module 'fastify' {
  interface FastifyRequest {
    crmClient: ApiClient | undefined;
  }
  interface FastifyInstance {
    /** Built by the composition root (src/services.ts). */
    crmApi: CrmApiService;
  }
}

/**
 * The case view types its team's name as nullable (it comes through a left join), though a team always
 * has a name; the response schema, which the type provider checks replies against, says string.
 */
function teamNamed<T extends { team: { code: string; name: string | null } | null }>(view: T) {
  return { ...view, team: view.team ? { code: view.team.code, name: view.team.name ?? '' } : null };
}

export default async function crmApi(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const service = app.crmApi;
  app.decorateRequest('crmClient', undefined);
  const requireScope = (scope: string) => async (request: FastifyRequest) => {
    request.crmClient = await authenticateKey(app.apiClients, request, scope);
  };
  // Keyed, never cookie-authenticated: no CSRF to ride on. Limits are per client address.
  const read = { config: { csrf: false, rateLimit: { max: 600, timeWindow: '1 minute' } } };
  const write = { config: { csrf: false, rateLimit: { max: 240, timeWindow: '1 minute' } } };
  const security = [{ apiKey: [] }];

  app.get(
    '/api/v1/cases',
    {
      ...read,
      preHandler: requireScope('cases:read'),
      schema: {
        summary: 'Cases of your body, oldest change first',
        description:
          'For a CRM to catch up: pass updated_since (the updated_at of the last case you have, less a minute to be safe) and follow next_cursor until it is null. Needs the cases:read scope.',
        tags: ['cases'],
        security,
        querystring: Type.Object({
          updated_since: Type.Optional(Type.String({ format: 'date-time' })),
          status: Type.Optional(Status),
          service: Type.Optional(Type.String({ maxLength: 63, description: 'A service code' })),
          cursor: Type.Optional(Type.String({ maxLength: 500 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50 })),
        }),
        response: {
          200: Type.Object({ cases: Type.Array(CrmCase), next_cursor: Nullable(Type.String()) }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const since = q.updated_since ? new Date(q.updated_since) : undefined;
      if (since && Number.isNaN(since.getTime()))
        throw new AppError('validation_failed', 'updated_since must be a date and time', [
          { field: '/updated_since', message: 'Give a date and time like 2026-11-24T09:00:00Z' },
        ]);
      const page = await service.list(request.crmClient!, {
        ...(since ? { updatedSince: since } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.service ? { serviceCode: q.service } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        limit: q.limit ?? 50,
      });
      return { ...page, cases: page.cases.map(teamNamed) };
    },
  );

  app.get(
    '/api/v1/cases/:reference',
    {
      ...read,
      preHandler: requireScope('cases:read'),
      schema: {
        summary: 'A case, with its public timeline',
        description: 'Needs the cases:read scope. A case of another body is 404.',
        tags: ['cases'],
        security,
        params: ReferenceParams,
        response: { 200: CrmCaseWithTimeline },
      },
    },
    async (request) => teamNamed(await service.get(request.crmClient!, request.params.reference)),
  );

  app.post(
    '/api/v1/cases/:reference/status',
    {
      ...write,
      preHandler: requireScope('cases:write'),
      schema: {
        summary: 'Change a case’s status',
        description:
          'As an officer would: the resident is emailed, closing needs a public_update. Send an Idempotency-Key to make retries safe. Needs the cases:write scope.',
        tags: ['cases'],
        security,
        params: ReferenceParams,
        headers: IdempotencyHeaders,
        body: StatusBody,
        response: { 200: CrmCaseWithTimeline },
      },
    },
    async (request, reply) => {
      const { body } = request;
      // idempotentWrite sends the reply itself (the answer, or the stored one for a replayed key).
      await idempotentWrite(app.db, request.crmClient!, request, reply, async () => ({
        status: 200,
        body: await service.changeStatus(request.crmClient!, request.params.reference, {
          status: body.status,
          ...(body.public_update !== undefined ? { publicUpdate: body.public_update } : {}),
          ...(body.outcome !== undefined ? { outcome: body.outcome } : {}),
        }),
      }));
      return reply;
    },
  );

  app.post(
    '/api/v1/cases/:reference/updates',
    {
      ...write,
      preHandler: requireScope('cases:write'),
      schema: {
        summary: 'Post a public update on a case',
        description:
          'Shown on the tracking page and emailed to the resident and followers. Send an Idempotency-Key to make retries safe. Needs the cases:write scope.',
        tags: ['cases'],
        security,
        params: ReferenceParams,
        headers: IdempotencyHeaders,
        body: UpdateBody,
        response: { 200: CrmCaseWithTimeline },
      },
    },
    async (request, reply) => {
      const { body } = request;
      // idempotentWrite sends the reply itself (the answer, or the stored one for a replayed key).
      await idempotentWrite(app.db, request.crmClient!, request, reply, async () => ({
        status: 200,
        body: await service.addPublicUpdate(request.crmClient!, request.params.reference, body.text),
      }));
      return reply;
    },
  );

  app.put(
    '/api/v1/cases/:reference/external-reference',
    {
      ...write,
      preHandler: requireScope('cases:write'),
      schema: {
        summary: 'Record the CRM’s own id for a case',
        description:
          'It comes back as external_reference in the API and in webhook events. Needs the cases:write scope.',
        tags: ['cases'],
        security,
        params: ReferenceParams,
        headers: IdempotencyHeaders,
        body: ExternalReferenceBody,
        response: { 200: CrmCaseWithTimeline },
      },
    },
    async (request, reply) => {
      const { body } = request;
      // idempotentWrite sends the reply itself (the answer, or the stored one for a replayed key).
      await idempotentWrite(app.db, request.crmClient!, request, reply, async () => ({
        status: 200,
        body: await service.setExternalReference(
          request.crmClient!,
          request.params.reference,
          body.external_reference,
        ),
      }));
      return reply;
    },
  );

  app.get(
    '/api/docs',
    { config: { rateLimit: { max: 120, timeWindow: '1 minute' } } },
    async (_request, reply) =>
      reply.view('crm-api/views/api-docs.njk', apiDocsView(app.swagger() as OpenApiDocument)),
  );
}

export type OpenApiDocument = Parameters<typeof apiDocsView>[0];
