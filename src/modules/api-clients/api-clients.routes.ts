/**
 * Admin pages for API clients (other systems that call the JSON API or Open311), inside the admin layout
 * (registered by the module's plugin, index.ts):
 *
 *   GET       /admin/api-clients              named clients: what each may do, services, body, last use
 *   GET, POST /admin/api-clients/new          add a client (its key is shown once)
 *   POST      /admin/api-clients/:id/revoke   revoke a client's key (it stops working at once)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { boundedField } from '../../infra/admin/index.js';
import { buttonForm, typed } from '../../infra/typed-routes.js';
import { formatDateTime } from '../../lib/dates.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { SCOPE_LABELS, SCOPES, type ClientInput, type KeyAdmin } from './api-clients.service.js';

const VIEWS = 'api-clients/views/';
const list = Type.Optional(
  Type.Union([
    Type.String({ maxLength: 100 }),
    Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200 }),
  ]),
);
const clientForm = Type.Object({
  name: boundedField,
  scopes: list,
  serviceCodes: list,
  bodyCode: boundedField,
  open311Tokens: Type.Optional(Type.String({ maxLength: 10 })),
  rateLimit: boundedField,
});
const idParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

function actorOf(request: FastifyRequest): KeyAdmin {
  const staff = request.staff!;
  return { id: staff.id, role: staff.role, ip: request.ip };
}

function readForm(body: Static<typeof clientForm>): ClientInput {
  return {
    name: asText(body.name),
    scopes: asList(body.scopes),
    serviceCodes: asList(body.serviceCodes),
    bodyCode: asText(body.bodyCode),
    open311Tokens: body.open311Tokens === 'yes',
    rateLimit: asText(body.rateLimit),
  };
}

export async function registerApiClientRoutes(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const render = app.renderAdminPage;
  const { apiClients, domain } = app;

  async function formView(values: ClientInput, errors?: FormErrors) {
    const [bodies, services] = await Promise.all([
      domain.organisations.bodies(),
      domain.services.list({ activeOnly: false }),
    ]);
    return {
      values,
      scopeItems: SCOPES.map((scope) => ({
        value: scope,
        text: SCOPE_LABELS[scope],
        hint: { text: scope },
        checked: values.scopes.includes(scope),
      })),
      serviceItems: services.map((s) => ({
        value: s.code,
        text: s.name,
        checked: values.serviceCodes.includes(s.code),
      })),
      bodyItems: [
        { value: '', text: 'None', selected: !values.bodyCode },
        ...bodies.map((b) => ({ value: b.code, text: b.name, selected: b.code === values.bodyCode })),
      ],
      tokenItems: [
        {
          value: 'yes',
          text: 'Answer its Open311 reports with a token',
          hint: { text: 'Only for systems written for “batch” Open311 endpoints, which poll tokens/{token}' },
          checked: values.open311Tokens,
        },
      ],
      ...(errors ? errors.view() : {}),
    };
  }

  app.get(
    '/admin/api-clients',
    {
      schema: { querystring: Type.Object({ revoked: Type.Optional(Type.String({ maxLength: 64 })) }) },
    },
    async (request, reply) => {
      const [clients, bodies, services] = await Promise.all([
        apiClients.list(),
        domain.organisations.bodies(),
        domain.services.list({ activeOnly: false }),
      ]);
      const revokedId = request.query.revoked;
      const revoked = clients.find((c) => c.id === revokedId);
      return render(request, reply, `${VIEWS}clients.njk`, {
        revoked: revoked ? `The key for ${revoked.name} is revoked: it no longer works` : undefined,
        clients: clients.map((c) => ({
          id: c.id,
          name: c.name,
          prefix: c.keyPrefix,
          scopes: c.scopes.join(', ') || 'none',
          services: c.serviceCodes.length
            ? c.serviceCodes.map((code) => services.find((s) => s.code === code)?.name ?? code).join(', ')
            : 'All services',
          body: bodies.find((b) => b.id === c.bodyId)?.name ?? '',
          tokens: c.open311Tokens,
          rateLimit: c.rateLimitPerMinute,
          lastUsed: c.lastUsedAt ? formatDateTime(c.lastUsedAt) : 'Never',
          created: formatDateTime(c.createdAt),
          revokedAt: c.revokedAt ? formatDateTime(c.revokedAt) : null,
        })),
      });
    },
  );

  app.get('/admin/api-clients/new', async (request, reply) =>
    render(
      request,
      reply,
      `${VIEWS}client-form.njk`,
      await formView({
        name: '',
        scopes: ['open311:write'],
        serviceCodes: [],
        bodyCode: '',
        open311Tokens: false,
        rateLimit: '',
      }),
    ),
  );

  app.post('/admin/api-clients/new', { schema: { body: clientForm } }, async (request, reply) => {
    const values = readForm(request.body);
    try {
      const { client, key } = await apiClients.createByAdmin(actorOf(request), values);
      // Shown in this response only: not in a URL, not kept in the session, not cached.
      reply.header('cache-control', 'no-store');
      return render(request, reply, `${VIEWS}key.njk`, { client, key });
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      const errors = new FormErrors();
      for (const problem of error.fieldErrors) errors.add(problem.field, problem.message);
      reply.status(400);
      return render(request, reply, `${VIEWS}client-form.njk`, await formView(values, errors));
    }
  });

  app.post(
    '/admin/api-clients/:id/revoke',
    { schema: { params: idParams, body: buttonForm } },
    async (request, reply) => {
      const client = await apiClients.revokeByAdmin(actorOf(request), request.params.id);
      return reply.redirect(`/admin/api-clients?revoked=${client.id}`, 303);
    },
  );
}
