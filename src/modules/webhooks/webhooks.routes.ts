/**
 * Admin: webhook endpoints and their delivery logs. Registered by the webhooks module's
 * plugin (index.ts), inside the admin layout.
 *
 *   GET       /admin/webhooks                                   endpoints, with failures and backlog
 *   GET, POST /admin/webhooks/new                               add an endpoint (the secret is shown once)
 *   GET       /admin/webhooks/:id                               an endpoint and its delivery log
 *   GET, POST /admin/webhooks/:id/edit                          change events, filters, address; turn off
 *   POST      /admin/webhooks/:id/secret                        a new secret (shown once)
 *   POST      /admin/webhooks/:id/ping                          send a test event
 *   POST      /admin/webhooks/:id/deliveries/:delivery/redeliver send an event again
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { boundedField } from '../../infra/admin/index.js';
import { buttonForm, typed } from '../../infra/typed-routes.js';
import { formatDateTime } from '../../lib/dates.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { EVENT_LABELS, EVENT_TYPES, type Admin, type EndpointInput } from './webhooks.service.js';

const endpointForm = Type.Object({
  name: boundedField,
  url: Type.Optional(Type.String({ maxLength: 2100 })),
  bodyCode: boundedField,
  serviceCode: boundedField,
  events: Type.Optional(
    Type.Union([
      Type.String({ maxLength: 100 }),
      Type.Array(Type.String({ maxLength: 100 }), { maxItems: 10 }),
    ]),
  ),
  active: Type.Optional(Type.String({ maxLength: 10 })),
});
const idParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const deliveryParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  delivery: Type.String({ maxLength: 64 }),
});

const VIEWS = 'webhooks/views/';

const SAVED: Record<string, string> = {
  changed: 'Changes to the endpoint saved',
  pinged: 'A test event is on its way. Refresh the page in a moment to see the receiver’s answer.',
  redelivered: 'Sending the event again now. Refresh the page in a moment to see the receiver’s answer.',
};

const STATE_LABELS: Record<string, string> = {
  pending: 'Sending',
  waiting: 'Waiting for an earlier event',
  delivered: 'Delivered',
  failed: 'Failed',
};
const STATE_TAGS: Record<string, string> = {
  pending: 'govuk-tag--blue',
  waiting: 'govuk-tag--grey',
  delivered: 'govuk-tag--green',
  failed: 'govuk-tag--red',
};

function actorOf(request: FastifyRequest): Admin {
  const staff = request.staff!;
  return { id: staff.id, role: staff.role, ip: request.ip };
}

function readForm(body: Static<typeof endpointForm>): EndpointInput {
  return {
    name: asText(body.name),
    url: asText(body.url),
    bodyCode: asText(body.bodyCode),
    serviceCode: asText(body.serviceCode),
    events: asList(body.events),
    active: body.active === 'yes',
  };
}

function formErrorsFrom(error: unknown): FormErrors {
  if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
  const errors = new FormErrors();
  for (const problem of error.fieldErrors) errors.add(problem.field, problem.message);
  if (!error.fieldErrors.length) errors.add('name', error.message);
  return errors;
}

export async function registerWebhookRoutes(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const render = app.renderAdminPage;
  const { webhooks } = app;
  const { domain } = app;
  const pathOf = (id: string) => `/admin/webhooks/${id}`;

  async function formView(values: EndpointInput, errors?: FormErrors) {
    const [bodies, services] = await Promise.all([
      domain.organisations.bodies(),
      domain.services.list({ activeOnly: false }),
    ]);
    return {
      values,
      eventItems: EVENT_TYPES.map((type) => ({
        value: type,
        text: EVENT_LABELS[type],
        hint: { text: type },
        checked: values.events.includes(type),
      })),
      bodyItems: [
        { value: '', text: 'Every body', selected: !values.bodyCode },
        ...bodies.map((b) => ({ value: b.code, text: b.name, selected: b.code === values.bodyCode })),
      ],
      serviceItems: [
        { value: '', text: 'Every service', selected: !values.serviceCode },
        ...services.map((s) => ({ value: s.code, text: s.name, selected: s.code === values.serviceCode })),
      ],
      activeItems: [
        {
          value: 'yes',
          text: 'Send events to this endpoint',
          hint: { text: 'Untick to stop sending without deleting the endpoint or its log' },
          checked: values.active !== false,
        },
      ],
      ...(errors ? errors.view() : {}),
    };
  }

  function showSecret(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    name: string,
    secret: string,
  ) {
    // Shown in this response only: not in a URL, not kept in the session, not cached.
    reply.header('cache-control', 'no-store');
    return render(request, reply, `${VIEWS}secret.njk`, { endpoint: { id, name, href: pathOf(id) }, secret });
  }

  app.get('/admin/webhooks', async (request, reply) => {
    const endpoints = await webhooks.endpoints(actorOf(request));
    return render(request, reply, `${VIEWS}endpoints.njk`, {
      endpoints: endpoints.map((e) => ({
        href: pathOf(e.id),
        name: e.name,
        url: e.url,
        events: e.events.join(', '),
        filter: [e.body_name, e.service_name].filter(Boolean).join(', ') || 'All cases',
        state: e.active ? 'On' : 'Off',
        failed: Number(e.failed_count ?? 0),
        pending: Number(e.pending_count ?? 0),
      })),
    });
  });

  app.get('/admin/webhooks/new', async (request, reply) =>
    render(request, reply, `${VIEWS}endpoint-form.njk`, {
      isNew: true,
      ...(await formView({ name: '', url: '', bodyCode: '', serviceCode: '', events: [...EVENT_TYPES] })),
    }),
  );

  app.post('/admin/webhooks/new', { schema: { body: endpointForm } }, async (request, reply) => {
    const values = readForm(request.body);
    try {
      const { id, secret } = await webhooks.create(actorOf(request), values);
      return showSecret(request, reply, id, values.name, secret);
    } catch (error) {
      const errors = formErrorsFrom(error);
      reply.status(400);
      return render(request, reply, `${VIEWS}endpoint-form.njk`, {
        isNew: true,
        ...(await formView(values, errors)),
      });
    }
  });

  app.get(
    '/admin/webhooks/:id',
    {
      schema: {
        params: idParams,
        querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 20 })) }),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { endpoint, deliveries } = await webhooks.deliveryLog(actorOf(request), id);
      return render(request, reply, `${VIEWS}endpoint.njk`, {
        saved: SAVED[request.query.saved ?? ''],
        endpoint: { ...endpoint, href: pathOf(endpoint.id) },
        summaryRows: [
          { key: { text: 'Sends to' }, value: { text: endpoint.url } },
          { key: { text: 'Events' }, value: { text: endpoint.events.join(', ') } },
          { key: { text: 'Body' }, value: { text: endpoint.body_name ?? 'Every body' } },
          { key: { text: 'Service' }, value: { text: endpoint.service_name ?? 'Every service' } },
          {
            key: { text: 'State' },
            value: { text: endpoint.active ? 'On: sending events' : 'Off: not sending' },
          },
        ],
        deliveries: deliveries.map((d) => ({
          id: d.id,
          eventId: d.event_id,
          eventType: d.event_type,
          reference: d.reference,
          kind: d.kind === 'redelivery' ? 'Sent again' : d.kind === 'ping' ? 'Test' : '',
          stateLabel: STATE_LABELS[d.state] ?? d.state,
          stateTag: STATE_TAGS[d.state] ?? '',
          created: formatDateTime(d.created_at),
          redeliverable: d.state === 'delivered' || d.state === 'failed',
          attempts: d.attempts_made.map((a) => ({
            at: formatDateTime(a.attempted_at),
            status: a.status_code === null ? 'No answer' : String(a.status_code),
            duration: `${a.duration_ms} ms`,
            error: a.error ?? '',
            snippet: a.response_snippet,
          })),
        })),
      });
    },
  );

  app.get('/admin/webhooks/:id/edit', { schema: { params: idParams } }, async (request, reply) => {
    const endpoint = await webhooks.endpoint(actorOf(request), request.params.id);
    return render(request, reply, `${VIEWS}endpoint-form.njk`, {
      isNew: false,
      endpoint: { ...endpoint, href: pathOf(endpoint.id) },
      ...(await formView({
        name: endpoint.name,
        url: endpoint.url,
        bodyCode: endpoint.body_code ?? '',
        serviceCode: endpoint.service_code ?? '',
        events: endpoint.events,
        active: endpoint.active,
      })),
    });
  });

  app.post(
    '/admin/webhooks/:id/edit',
    { schema: { params: idParams, body: endpointForm } },
    async (request, reply) => {
      const actor = actorOf(request);
      const endpoint = await webhooks.endpoint(actor, request.params.id);
      const values = readForm(request.body);
      try {
        await webhooks.update(actor, endpoint.id, values);
        return reply.redirect(`${pathOf(endpoint.id)}?saved=changed`, 303);
      } catch (error) {
        const errors = formErrorsFrom(error);
        reply.status(400);
        return render(request, reply, `${VIEWS}endpoint-form.njk`, {
          isNew: false,
          endpoint: { ...endpoint, href: pathOf(endpoint.id) },
          ...(await formView(values, errors)),
        });
      }
    },
  );

  app.post(
    '/admin/webhooks/:id/secret',
    { schema: { params: idParams, body: buttonForm } },
    async (request, reply) => {
      const actor = actorOf(request);
      const endpoint = await webhooks.endpoint(actor, request.params.id);
      const secret = await webhooks.rollSecret(actor, endpoint.id);
      return showSecret(request, reply, endpoint.id, endpoint.name, secret);
    },
  );

  app.post(
    '/admin/webhooks/:id/ping',
    { schema: { params: idParams, body: buttonForm } },
    async (request, reply) => {
      const { id } = request.params;
      await webhooks.ping(actorOf(request), id);
      return reply.redirect(`${pathOf(id)}?saved=pinged#log`, 303);
    },
  );

  app.post(
    '/admin/webhooks/:id/deliveries/:delivery/redeliver',
    { schema: { params: deliveryParams, body: buttonForm } },
    async (request, reply) => {
      const { id, delivery } = request.params;
      await webhooks.redeliver(actorOf(request), id, delivery);
      return reply.redirect(`${pathOf(id)}?saved=redelivered#log`, 303);
    },
  );
}
