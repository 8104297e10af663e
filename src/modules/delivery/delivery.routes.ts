/**
 * Admin: where bodies' cases are delivered, deliveries that failed, and replies that could not be
 * matched to a case. Registered by the delivery module's plugin (index.ts), inside the admin layout.
 *
 *   GET       /admin/delivery                          targets, failing deliveries with "Retry now"
 *   GET, POST /admin/delivery/new                      add an email target
 *   GET, POST /admin/delivery/targets/:id              change or turn off a target
 *   POST      /admin/delivery/deliveries/:id/retry     send a failed delivery again now
 *   GET       /admin/delivery/inbound                  email to the reply address that was not threaded
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { boundedField } from '../../infra/admin/index.js';
import { buttonForm, typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { open311Settings } from './open311/open311-delivery.js';
import { emailSettings, METHOD_LABELS, type Admin, type TargetInput } from './delivery.service.js';

const targetForm = Type.Object({
  bodyCode: boundedField,
  serviceCode: boundedField,
  email: boundedField,
  options: Type.Optional(
    Type.Union([
      Type.String({ maxLength: 100 }),
      Type.Array(Type.String({ maxLength: 100 }), { maxItems: 5 }),
    ]),
  ),
});
const idParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const VIEWS = 'delivery/views/';

const SAVED: Record<string, string> = {
  added: 'Delivery target added',
  changed: 'Changes to the delivery target saved',
  retried: 'Sending again now. Refresh the page in a moment to see whether it went.',
};

function actorOf(request: FastifyRequest): Admin {
  const staff = request.staff!;
  return { id: staff.id, role: staff.role, ip: request.ip };
}

function readTargetForm(body: Static<typeof targetForm>): TargetInput {
  const options = asList(body.options);
  return {
    bodyCode: asText(body.bodyCode),
    serviceCode: asText(body.serviceCode),
    email: asText(body.email),
    includeReporterContact: options.includes('includeReporterContact'),
    attachPhotos: options.includes('attachPhotos'),
    active: options.includes('active'),
  };
}

function formErrorsFrom(error: unknown): FormErrors {
  if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
  const errors = new FormErrors();
  for (const problem of error.fieldErrors) errors.add(problem.field, problem.message);
  if (!error.fieldErrors.length) errors.add('bodyCode', error.message);
  return errors;
}

export async function registerDeliveryRoutes(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const render = app.renderAdminPage;
  const { service: delivery } = app.delivery;
  const { domain } = app;

  async function formView(values: TargetInput, errors?: FormErrors) {
    const [bodies, services] = await Promise.all([
      domain.organisations.bodies(),
      domain.services.list({ activeOnly: false }),
    ]);
    return {
      values,
      bodyItems: [
        { value: '', text: 'Choose a body' },
        ...bodies.map((b) => ({ value: b.code, text: b.name, selected: b.code === values.bodyCode })),
      ],
      serviceItems: [
        { value: '', text: 'All the body’s services', selected: !values.serviceCode },
        ...services.map((s) => ({ value: s.code, text: s.name, selected: s.code === values.serviceCode })),
      ],
      optionItems: [
        {
          value: 'attachPhotos',
          text: 'Attach the resident’s photos',
          checked: values.attachPhotos,
        },
        {
          value: 'includeReporterContact',
          text: 'Include the resident’s name, email address and phone number',
          hint: {
            text: 'Only if the body needs to contact residents itself and residents are told so. Otherwise the body replies to us and we pass it on.',
          },
          checked: values.includeReporterContact,
        },
        {
          value: 'active',
          text: 'Send new cases to this address',
          hint: { text: 'Untick to stop sending without deleting the target' },
          checked: values.active,
        },
      ],
      ...(errors ? errors.view() : {}),
    };
  }

  app.get(
    '/admin/delivery',
    {
      schema: { querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 20 })) }) },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const [targets, troubled] = await Promise.all([delivery.targets(actor), delivery.troubled(actor)]);
      const saved = SAVED[request.query.saved ?? ''];
      return render(request, reply, `${VIEWS}targets.njk`, {
        saved,
        methods: delivery.methods,
        targetRows: targets.map((t) => [
          {
            html: `<a class="govuk-link" href="/admin/delivery/${t.method === 'open311' ? 'open311' : 'targets'}/${t.id}">${escape(t.body_name)}</a>`,
          },
          { text: t.service_name ?? 'All services' },
          { text: METHOD_LABELS[t.method] },
          { text: t.method === 'email' ? t.email.email : open311Settings(t.settings).endpoint },
          { text: t.active ? 'Sending' : 'Turned off' },
        ]),
        troubled: troubled.map((d) => ({
          id: d.id,
          reference: d.reference,
          bodyName: d.body_name,
          attempts: d.attempts,
          updatedAt: d.updated_at,
          lastError: d.last_error,
          stateLabel: d.state === 'failed' ? 'Failed' : 'Retrying',
          destination:
            d.method === 'email' ? emailSettings(d.target_settings).email : METHOD_LABELS[d.method],
        })),
      });
    },
  );

  app.get('/admin/delivery/new', async (request, reply) =>
    render(request, reply, `${VIEWS}target-form.njk`, {
      isNew: true,
      ...(await formView({
        bodyCode: '',
        serviceCode: '',
        email: '',
        includeReporterContact: false,
        attachPhotos: true,
        active: true,
      })),
    }),
  );

  app.post('/admin/delivery/new', { schema: { body: targetForm } }, async (request, reply) => {
    const values = readTargetForm(request.body);
    try {
      await delivery.saveEmailTarget(actorOf(request), undefined, values);
      return reply.redirect('/admin/delivery?saved=added', 303);
    } catch (error) {
      const errors = formErrorsFrom(error);
      reply.status(400);
      return render(request, reply, `${VIEWS}target-form.njk`, {
        isNew: true,
        ...(await formView(values, errors)),
      });
    }
  });

  app.get('/admin/delivery/targets/:id', { schema: { params: idParams } }, async (request, reply) => {
    const target = await delivery.target(actorOf(request), request.params.id);
    const [bodies, services] = await Promise.all([
      domain.organisations.bodies(),
      domain.services.list({ activeOnly: false }),
    ]);
    const settings = emailSettings(target.settings);
    return render(request, reply, `${VIEWS}target-form.njk`, {
      isNew: false,
      target,
      ...(await formView({
        bodyCode: bodies.find((b) => b.id === target.body_id)?.code ?? '',
        serviceCode: services.find((s) => s.id === target.service_id)?.code ?? '',
        email: settings.email,
        includeReporterContact: settings.includeReporterContact,
        attachPhotos: settings.attachPhotos,
        active: target.active,
      })),
    });
  });

  app.post(
    '/admin/delivery/targets/:id',
    { schema: { params: idParams, body: targetForm } },
    async (request, reply) => {
      const target = await delivery.target(actorOf(request), request.params.id);
      const values = readTargetForm(request.body);
      try {
        await delivery.saveEmailTarget(actorOf(request), target.id, values);
        return reply.redirect('/admin/delivery?saved=changed', 303);
      } catch (error) {
        const errors = formErrorsFrom(error);
        reply.status(400);
        return render(request, reply, `${VIEWS}target-form.njk`, {
          isNew: false,
          target,
          ...(await formView(values, errors)),
        });
      }
    },
  );

  app.post(
    '/admin/delivery/deliveries/:id/retry',
    { schema: { params: idParams, body: buttonForm } },
    async (request, reply) => {
      await delivery.retryNow(actorOf(request), request.params.id);
      return reply.redirect('/admin/delivery?saved=retried', 303);
    },
  );

  app.get('/admin/delivery/inbound', async (request, reply) => {
    const rows = await delivery.unmatchedInbound(actorOf(request));
    return render(request, reply, `${VIEWS}inbound.njk`, {
      rows: rows.map((r) => ({
        receivedAt: r.received_at,
        mailFrom: r.mail_from,
        subject: r.subject,
        recipients: r.recipients,
        reason: r.reason,
        excerpt: r.excerpt,
      })),
      replyAddress: `${app.delivery.replies.local}+…@${app.delivery.replies.domain}`,
    });
  });
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
