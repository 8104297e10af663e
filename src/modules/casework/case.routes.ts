/**
 * The case page and the actions taken from it (assign, note, status and public update). Each action
 * is a POST that redirects back to the case (303), or shows the page again with an error summary.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { formatDate, formatDateTime } from '../../lib/dates.js';
import { normaliseReference } from '../../lib/reference.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { casePageView } from './case.view-models.js';
import {
  actorOf,
  formField,
  formText,
  renderForStaff,
  staffForm,
  STATUSES,
} from './casework.routes-support.js';

const caseParams = Type.Object({ reference: Type.String({ maxLength: 20 }) });
const casePageQuery = Type.Object({
  saved: Type.Optional(Type.String({ maxLength: 20 })),
  template: Type.Optional(Type.String({ maxLength: 64 })),
});

/** The forms on the case page, each posted to its own action. */
const forms = {
  assign: staffForm({ assignee: formField, team: formField }),
  note: staffForm({ note: formText() }),
  update: staffForm({ status: formField, publicUpdate: formText() }),
  service: staffForm({ service: formField }),
  priority: staffForm({ priority: formField }),
  duplicate: staffForm({ original: formField }),
};

/** The case page's query: a banner after an action, or a template to start the update from. */
type CasePageQuery = Static<typeof casePageQuery>;

export function registerCaseRoutes(instance: FastifyInstance): void {
  const app = typed(instance);
  const staffOnly = { preHandler: app.requireStaff() };
  const referenceOf = (request: { params: { reference: string } }) =>
    normaliseReference(request.params.reference);

  async function casePage(
    request: FastifyRequest,
    reply: FastifyReply,
    reference: string,
    query: CasePageQuery,
    form: { values?: Record<string, string>; errors?: FormErrors } = {},
  ) {
    const data = await app.casework.casePage(actorOf(request), reference);
    const found = data.case;
    const templates = await app.responseTemplates.list();
    // "Use template" (a GET, so it works without JavaScript): the update form comes back filled in
    // for this case and officer, to be edited before it is sent.
    const chosenId = query.template;
    const chosen = chosenId ? templates.find((t) => t.id === chosenId) : undefined;
    const filled: Record<string, string> = chosen
      ? {
          publicUpdate: app.responseTemplates.fill(chosen, {
            reference: found.reference,
            service: data.service.name,
            location: found.locationDescription || 'the place you marked on the map',
            status: STATUS_LABELS[found.status],
            due_date: found.dueAt ? formatDateTime(found.dueAt) : 'as soon as we can',
            officer_name: request.staff!.name,
            council: app.config.CIVICDESK_COUNCIL_NAME,
            today: formatDate(new Date()),
            track_url: `${app.config.baseUrl}/reports/${found.reference}`,
          }),
        }
      : {};
    const photos = await app.photos.listForCase(found.id, { publicOnly: false });
    return renderForStaff(request, reply, 'casework/views/case.njk', {
      ...casePageView(data, {
        staff: request.staff!,
        photos,
        templates,
        chosenTemplateId: chosen?.id,
        selectedStatus: chosen?.setsStatus ?? found.status,
        values: form.values ?? filled,
        saved: query.saved,
      }),
      ...(form.errors ? form.errors.view() : {}),
    });
  }

  app.get(
    '/staff/cases/:reference',
    { ...staffOnly, schema: { params: caseParams, querystring: casePageQuery } },
    async (request, reply) => casePage(request, reply, referenceOf(request), request.query),
  );

  async function act(
    request: FastifyRequest,
    reply: FastifyReply,
    reference: string,
    action: () => Promise<void>,
    what: string,
    values: Record<string, string>,
    /** false: the action succeeded but the caller answers itself (the case is no longer visible). */
    redirect: () => boolean = () => true,
  ) {
    try {
      await action();
      if (!redirect()) return undefined;
      return reply.redirect(`/staff/cases/${reference}?saved=${what}`, 303);
    } catch (error) {
      // Refusals (not allowed for this role) are shown on the page like any other problem, as a 403.
      if (!(error instanceof AppError) || (error.code !== 'validation_failed' && error.code !== 'forbidden'))
        throw error;
      const errors = new FormErrors();
      for (const problem of error.fieldErrors.length
        ? error.fieldErrors
        : [{ field: what, message: error.message }]) {
        errors.add(problem.field, problem.message);
      }
      reply.status(error.code === 'forbidden' ? 403 : 400);
      // The action's own form comes back as it was sent; no banner, no template.
      return casePage(request, reply, reference, {}, { values, errors });
    }
  }

  // The case's photos for staff, private ones too (the public /photos route serves only public ones).
  app.get(
    '/staff/cases/:reference/photos/:id/:variant',
    {
      ...staffOnly,
      schema: {
        params: Type.Object({
          reference: Type.String({ maxLength: 20 }),
          id: Type.String({ maxLength: 36 }),
          variant: Type.Union([Type.Literal('full'), Type.Literal('thumbnail')]),
        }),
      },
    },
    async (request, reply) => {
      const { id, variant } = request.params;
      const found = await app.casework.caseFor(actorOf(request), referenceOf(request));
      const photos = await app.photos.listForCase(found.id, { publicOnly: false });
      const content = photos.some((p) => p.id === id) ? await app.photos.read(id, variant) : undefined;
      if (!content) throw new AppError('not_found', 'There is no such photo on this case');
      return reply
        .header('content-type', content.contentType)
        .header('content-length', content.size)
        .header('cache-control', 'private, max-age=300')
        .header('x-content-type-options', 'nosniff')
        .send(content.stream);
    },
  );

  app.post(
    '/staff/cases/:reference/assign',
    { ...staffOnly, schema: { params: caseParams, body: forms.assign } },
    async (request, reply) => {
      const assignee = asText(request.body.assignee);
      const team = asText(request.body.team);
      return act(
        request,
        reply,
        referenceOf(request),
        () =>
          app.cases.assign(actorOf(request), referenceOf(request), {
            staffId: assignee === 'me' ? request.staff!.id : assignee || null,
            ...(team ? { teamId: team } : {}),
          }),
        'assigned',
        {},
      );
    },
  );

  app.post(
    '/staff/cases/:reference/note',
    { ...staffOnly, schema: { params: caseParams, body: forms.note } },
    async (request, reply) => {
      const note = asText(request.body.note);
      return act(
        request,
        reply,
        referenceOf(request),
        () => app.cases.addNote(actorOf(request), referenceOf(request), note),
        'note',
        { note },
      );
    },
  );

  app.post(
    '/staff/cases/:reference/update',
    { ...staffOnly, schema: { params: caseParams, body: forms.update } },
    async (request, reply) => {
      const status = STATUSES.find((s) => s === asText(request.body.status));
      const publicUpdate = request.body.publicUpdate?.trim() ?? '';
      return act(
        request,
        reply,
        referenceOf(request),
        () =>
          app.cases.update(actorOf(request), referenceOf(request), {
            ...(status ? { status } : {}),
            publicUpdate,
          }),
        'updated',
        { publicUpdate },
      );
    },
  );

  app.post(
    '/staff/cases/:reference/service',
    { ...staffOnly, schema: { params: caseParams, body: forms.service } },
    async (request, reply) => {
      const service = asText(request.body.service);
      let moved: Awaited<ReturnType<typeof app.cases.changeService>> | undefined;
      const result = await act(
        request,
        reply,
        referenceOf(request),
        async () => {
          moved = await app.cases.changeService(actorOf(request), referenceOf(request), service);
        },
        'service',
        { service },
        () => moved?.stillVisible !== false,
      );
      if (moved && !moved.stillVisible) {
        // The case now belongs to a body this officer cannot see: say where it went instead of a 404.
        return renderForStaff(request, reply, 'casework/views/case-moved.njk', {
          reference: referenceOf(request),
          ...moved,
        });
      }
      return result;
    },
  );

  app.post(
    '/staff/cases/:reference/priority',
    { ...staffOnly, schema: { params: caseParams, body: forms.priority } },
    async (request, reply) => {
      const priority = asText(request.body.priority);
      return act(
        request,
        reply,
        referenceOf(request),
        () => app.cases.setPriority(actorOf(request), referenceOf(request), priority),
        'priority',
        { priority },
      );
    },
  );

  app.post(
    '/staff/cases/:reference/duplicate',
    { ...staffOnly, schema: { params: caseParams, body: forms.duplicate } },
    async (request, reply) => {
      const raw = asText(request.body.original);
      return act(
        request,
        reply,
        referenceOf(request),
        async () => {
          await app.cases.markDuplicate(
            actorOf(request),
            referenceOf(request),
            raw ? normaliseReference(raw) : '',
          );
        },
        'duplicate',
        { original: raw },
      );
    },
  );
}
