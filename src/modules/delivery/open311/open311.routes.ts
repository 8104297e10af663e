/**
 * Admin pages for Open311 targets, inside the admin layout (registered by the delivery module's plugin
 * beside its own pages, which list every target and failed delivery):
 *
 *   GET, POST /admin/delivery/open311/new    add an Open311 target
 *   GET, POST /admin/delivery/open311/:id    change or turn off one (a new API key, or keep the old)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { boundedField } from '../../../infra/admin/index.js';
import { typed } from '../../../infra/typed-routes.js';
import { AppError } from '../../../lib/errors.js';
import { asList, asText, FormErrors } from '../../../lib/forms.js';
import { formatServiceCodes, type Open311TargetInput, type TargetAdmin } from './open311-targets.js';

const VIEW = 'delivery/views/open311-target-form.njk';
const targetForm = Type.Object({
  bodyCode: boundedField,
  serviceCode: boundedField,
  endpoint: boundedField,
  jurisdictionId: boundedField,
  apiKey: boundedField,
  format: boundedField,
  serviceCodes: Type.Optional(Type.String({ maxLength: 10_000 })),
  options: Type.Optional(
    Type.Union([
      Type.String({ maxLength: 100 }),
      Type.Array(Type.String({ maxLength: 100 }), { maxItems: 10 }),
    ]),
  ),
});
const idParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

function actorOf(request: FastifyRequest): TargetAdmin {
  return { id: request.staff!.id, role: request.staff!.role, ip: request.ip };
}

function readForm(body: Static<typeof targetForm>): Open311TargetInput {
  const options = asList(body.options);
  return {
    bodyCode: asText(body.bodyCode),
    serviceCode: asText(body.serviceCode),
    endpoint: asText(body.endpoint),
    jurisdictionId: asText(body.jurisdictionId),
    apiKey: asText(body.apiKey),
    format: asText(body.format) === 'json' ? 'json' : 'xml',
    serviceCodes: typeof body.serviceCodes === 'string' ? body.serviceCodes : '',
    extendedStatuses: options.includes('extendedStatuses'),
    includeReporterContact: options.includes('includeReporterContact'),
    pollUpdates: options.includes('pollUpdates'),
    active: options.includes('active'),
  };
}

export async function registerOpen311TargetRoutes(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const render = app.renderAdminPage;
  const { domain } = app;
  const targets = app.delivery.open311Targets;

  async function page(values: Open311TargetInput, extra: Record<string, unknown>, errors?: FormErrors) {
    const [bodies, services] = await Promise.all([
      domain.organisations.bodies(),
      domain.services.list({ activeOnly: false }),
    ]);
    return {
      ...extra,
      values,
      bodyItems: [
        { value: '', text: 'Choose a body' },
        ...bodies.map((b) => ({ value: b.code, text: b.name, selected: b.code === values.bodyCode })),
      ],
      serviceItems: [
        { value: '', text: 'All the body’s services', selected: !values.serviceCode },
        ...services.map((s) => ({ value: s.code, text: s.name, selected: s.code === values.serviceCode })),
      ],
      formatItems: [
        { value: 'xml', text: 'XML', checked: values.format === 'xml' },
        { value: 'json', text: 'JSON', checked: values.format === 'json' },
      ],
      optionItems: [
        {
          value: 'pollUpdates',
          text: 'Fetch updates from the endpoint',
          hint: {
            text: 'Needs the servicerequestupdates extension (FixMyStreet’s), which most UK systems have',
          },
          checked: values.pollUpdates,
        },
        {
          value: 'extendedStatuses',
          text: 'Send detailed statuses (FIXED, IN_PROGRESS...) rather than only OPEN and CLOSED',
          checked: values.extendedStatuses,
        },
        {
          value: 'includeReporterContact',
          text: 'Include the resident’s name, email address and phone number',
          hint: { text: 'Only if the body contacts residents itself and residents are told so' },
          checked: values.includeReporterContact,
        },
        { value: 'active', text: 'Send new cases to this endpoint', checked: values.active },
      ],
      ...(errors ? errors.view() : {}),
    };
  }

  function formErrors(error: unknown): FormErrors {
    if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
    const errors = new FormErrors();
    for (const problem of error.fieldErrors) errors.add(problem.field, problem.message);
    return errors;
  }

  app.get('/admin/delivery/open311/new', async (request, reply) =>
    render(
      request,
      reply,
      VIEW,
      await page(
        {
          bodyCode: '',
          serviceCode: '',
          endpoint: '',
          jurisdictionId: '',
          apiKey: '',
          format: 'xml',
          serviceCodes: '',
          extendedStatuses: true,
          includeReporterContact: false,
          pollUpdates: true,
          active: true,
        },
        { isNew: true },
      ),
    ),
  );

  app.post('/admin/delivery/open311/new', { schema: { body: targetForm } }, async (request, reply) => {
    const values = readForm(request.body);
    try {
      await targets.save(actorOf(request), undefined, values);
      return reply.redirect('/admin/delivery?saved=added', 303);
    } catch (error) {
      const errors = formErrors(error);
      reply.status(400);
      return render(request, reply, VIEW, await page(values, { isNew: true }, errors));
    }
  });

  app.get('/admin/delivery/open311/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { row, settings } = await targets.get(actorOf(request), request.params.id);
    const [bodies, services, poll] = await Promise.all([
      domain.organisations.bodies(),
      domain.services.list({ activeOnly: false }),
      targets.lastPoll(row.id),
    ]);
    return render(
      request,
      reply,
      VIEW,
      await page(
        {
          bodyCode: bodies.find((b) => b.id === row.body_id)?.code ?? '',
          serviceCode: services.find((s) => s.id === row.service_id)?.code ?? '',
          endpoint: settings.endpoint,
          jurisdictionId: settings.jurisdictionId,
          apiKey: '',
          format: settings.format,
          serviceCodes: formatServiceCodes(settings.serviceCodes),
          extendedStatuses: settings.extendedStatuses,
          includeReporterContact: settings.includeReporterContact,
          pollUpdates: settings.pollUpdates,
          active: row.active,
        },
        {
          isNew: false,
          targetId: row.id,
          pollStatus: poll
            ? [
                {
                  key: { text: 'Updates fetched up to' },
                  value: { text: app.views.getFilter('date')(poll.polled_until) },
                },
                {
                  key: { text: 'Last fetch' },
                  value: { text: poll.last_error ? `Failed: ${poll.last_error}` : 'Worked' },
                },
              ]
            : undefined,
        },
      ),
    );
  });

  app.post(
    '/admin/delivery/open311/:id',
    { schema: { params: idParams, body: targetForm } },
    async (request, reply) => {
      const id = request.params.id;
      const values = readForm(request.body);
      try {
        await targets.save(actorOf(request), id, values);
        return reply.redirect('/admin/delivery?saved=changed', 303);
      } catch (error) {
        const errors = formErrors(error);
        reply.status(400);
        return render(request, reply, VIEW, await page(values, { isNew: false, targetId: id }, errors));
      }
    },
  );
}
