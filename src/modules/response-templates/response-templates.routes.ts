/**
 * Admin pages for response templates, inside the admin layout (registered by the module's plugin,
 * index.ts):
 *
 *   GET       /admin/response-templates              the list
 *   GET, POST /admin/response-templates/new          add one
 *   GET, POST /admin/response-templates/:id          change one
 *   POST      /admin/response-templates/:id/delete   delete one
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { boundedField } from '../../infra/admin/index.js';
import { buttonForm, typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import {
  RESPONSE_PLACEHOLDERS,
  type ResponseTemplateInput,
  type TemplateAdmin,
} from './response-templates.service.js';

const VIEWS = 'response-templates/views/';
const templateForm = Type.Object({
  name: boundedField,
  setsStatus: boundedField,
  body: Type.Optional(Type.String({ maxLength: 20_000 })),
});
const idParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const SAVED: Record<string, string> = {
  added: 'Template added',
  changed: 'Changes to the template saved',
  deleted: 'Template deleted',
};

function actorOf(request: FastifyRequest): TemplateAdmin {
  return { id: request.staff!.id, role: request.staff!.role, ip: request.ip };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const placeholderHint =
  'You can use: ' +
  Object.entries(RESPONSE_PLACEHOLDERS)
    .map(([name, meaning]) => `<code>{{${name}}}</code> (${escapeHtml(meaning)})`)
    .join(', ');

export async function registerResponseTemplateRoutes(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const render = app.renderAdminPage;
  const templates = app.responseTemplates;

  function formView(values: ResponseTemplateInput, extra: Record<string, unknown>, errors?: FormErrors) {
    return {
      ...extra,
      values,
      placeholderHint,
      statusItems: [
        { value: '', text: 'Leave the status as it is', selected: !values.setsStatus },
        ...Object.entries(STATUS_LABELS).map(([value, text]) => ({
          value,
          text,
          selected: value === values.setsStatus,
        })),
      ],
      ...(errors ? errors.view() : {}),
    };
  }

  function readForm(body: Static<typeof templateForm>): ResponseTemplateInput {
    return {
      name: asText(body.name),
      setsStatus: asText(body.setsStatus),
      body: typeof body.body === 'string' ? body.body : '',
    };
  }

  function formErrors(error: unknown): FormErrors {
    if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
    const errors = new FormErrors();
    for (const problem of error.fieldErrors) errors.add(problem.field, problem.message);
    return errors;
  }

  app.get(
    '/admin/response-templates',
    {
      schema: { querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 20 })) }) },
    },
    async (request, reply) => {
      const list = await templates.list();
      return render(request, reply, `${VIEWS}templates.njk`, {
        saved: SAVED[request.query.saved ?? ''],
        rows: list.map((t) => [
          {
            html: `<a class="govuk-link" href="/admin/response-templates/${t.id}">${escapeHtml(t.name)}</a>`,
          },
          { text: t.setsStatus ? STATUS_LABELS[t.setsStatus] : 'Unchanged' },
          { text: t.body.length > 80 ? `${t.body.slice(0, 80)}…` : t.body },
        ]),
      });
    },
  );

  app.get('/admin/response-templates/new', async (request, reply) =>
    render(
      request,
      reply,
      `${VIEWS}template-form.njk`,
      formView({ name: '', setsStatus: '', body: '' }, { isNew: true }),
    ),
  );

  app.post('/admin/response-templates/new', { schema: { body: templateForm } }, async (request, reply) => {
    const values = readForm(request.body);
    try {
      await templates.save(actorOf(request), undefined, values);
      return reply.redirect('/admin/response-templates?saved=added', 303);
    } catch (error) {
      const errors = formErrors(error);
      reply.status(400);
      return render(request, reply, `${VIEWS}template-form.njk`, formView(values, { isNew: true }, errors));
    }
  });

  app.get('/admin/response-templates/:id', { schema: { params: idParams } }, async (request, reply) => {
    const id = request.params.id;
    const template = await templates.get(id);
    if (!template) throw new AppError('not_found', 'There is no such response template');
    return render(
      request,
      reply,
      `${VIEWS}template-form.njk`,
      formView(
        { name: template.name, setsStatus: template.setsStatus ?? '', body: template.body },
        { isNew: false, templateId: id },
      ),
    );
  });

  app.post(
    '/admin/response-templates/:id',
    { schema: { params: idParams, body: templateForm } },
    async (request, reply) => {
      const id = request.params.id;
      const values = readForm(request.body);
      try {
        await templates.save(actorOf(request), id, values);
        return reply.redirect('/admin/response-templates?saved=changed', 303);
      } catch (error) {
        const errors = formErrors(error);
        reply.status(400);
        return render(
          request,
          reply,
          `${VIEWS}template-form.njk`,
          formView(values, { isNew: false, templateId: id }, errors),
        );
      }
    },
  );

  app.post(
    '/admin/response-templates/:id/delete',
    { schema: { params: idParams, body: buttonForm } },
    async (request, reply) => {
      await templates.remove(actorOf(request), request.params.id);
      return reply.redirect('/admin/response-templates?saved=deleted', 303);
    },
  );
}
