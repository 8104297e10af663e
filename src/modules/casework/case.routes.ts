/**
 * The case page and the actions taken from it (assign, note, status and public update). Each action
 * is a POST that redirects back to the case (303), or shows the page again with an error summary.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CaseStatus } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { formatDate, formatDateTime } from '../../lib/dates.js';
import { normaliseReference } from '../../lib/reference.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { actorOf, renderCasework, STATUSES } from './casework.routes-support.js';
import { PRIORITY_LABELS, type Priority } from '../../lib/case-status.js';

type Values = Record<string, string> | undefined;

const PRIORITIES = Object.keys(PRIORITY_LABELS) as Priority[];

/** MOJ badge modifier per priority: only what needs attention stands out. */
const PRIORITY_BADGES: Record<Priority, { text: string; classes: string }> = {
  low: { text: 'Low priority', classes: 'moj-badge--grey' },
  normal: { text: 'Normal priority', classes: 'moj-badge--blue' },
  high: { text: 'High priority', classes: 'moj-badge--purple' },
  urgent: { text: 'Urgent', classes: 'moj-badge--red' },
};

export function registerCaseRoutes(app: FastifyInstance): void {
  const staffOnly = { preHandler: app.requireStaff() };

  const caseParams = { schema: { params: Type.Object({ reference: Type.String({ maxLength: 20 }) }) } };
  const referenceOf = (request: FastifyRequest) =>
    normaliseReference((request.params as { reference: string }).reference);

  async function casePage(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
    const view = await app.casework.casePage(actorOf(request), referenceOf(request));
    const templates = await app.responseTemplates.list();
    // "Use template" (a GET, so it works without JavaScript): the update form comes back filled in
    // for this case and officer, to be edited before it is sent.
    const chosenId = (request.query as { template?: string } | undefined)?.template;
    const chosen = chosenId ? templates.find((t) => t.id === chosenId) : undefined;
    const filled = chosen
      ? {
          values: {
            publicUpdate: app.responseTemplates.fill(chosen, {
              reference: view.row.reference,
              service: view.service.name,
              location: view.row.location_description || 'the place you marked on the map',
              status: view.statusLabel,
              due_date: view.row.due_at ? formatDateTime(view.row.due_at) : 'as soon as we can',
              officer_name: request.staff!.name,
              council: app.config.CIVICDESK_COUNCIL_NAME,
              today: formatDate(new Date()),
              track_url: `${app.config.baseUrl}/reports/${view.row.reference}`,
            }),
          },
        }
      : {};
    const selectedStatus = chosen?.setsStatus ?? view.row.status;
    const photos = await app.photos.listForCase(view.row.id, { publicOnly: false });
    return renderCasework(request, reply, 'case.njk', {
      ...view,
      photos,
      ...filled,
      canChangeStatus: request.staff!.role !== 'agent',
      priorityBadge: PRIORITY_BADGES[view.row.priority],
      serviceItems: [
        { value: '', text: 'Choose a service' },
        ...view.services
          .filter((s) => s.code !== view.service.code)
          .map((s) => ({
            value: s.code,
            text: s.name,
            selected: s.code === (extra.values as Values)?.service,
          })),
      ],
      priorityItems: PRIORITIES.map((p) => ({
        value: p,
        text: PRIORITY_LABELS[p],
        checked: p === ((extra.values as Values)?.priority ?? view.row.priority),
      })),
      templateItems: [
        { value: '', text: 'Choose a template' },
        ...templates.map((t) => ({ value: t.id, text: t.name, selected: t.id === chosen?.id })),
      ],
      statusItems: view.statusChoices.map((s) => ({
        value: s,
        text: STATUS_LABELS[s],
        selected: s === selectedStatus,
      })),
      assigneeOptions: [
        { value: '', text: 'Nobody' },
        ...view.colleagues.map((s) => ({
          value: s.id,
          text: s.id === request.staff!.id ? `${s.name} (you)` : s.name,
          selected: s.id === view.row.assignee_staff_id,
        })),
      ],
      teamOptions: view.teams.map((t) => ({
        value: t.id,
        text: t.name,
        selected: t.id === view.row.team_id,
      })),
      saved: (request.query as { saved?: string } | undefined)?.saved,
      ...extra,
    });
  }

  app.get(
    '/staff/cases/:reference',
    {
      ...staffOnly,
      schema: {
        ...caseParams.schema,
        querystring: Type.Object({
          saved: Type.Optional(Type.String({ maxLength: 20 })),
          template: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
    },
    async (request, reply) => casePage(request, reply),
  );

  async function act(
    request: FastifyRequest,
    reply: FastifyReply,
    action: () => Promise<void>,
    what: string,
    values: Record<string, string>,
    /** false: the action succeeded but the caller answers itself (the case is no longer visible). */
    redirect: () => boolean = () => true,
  ) {
    try {
      await action();
      if (!redirect()) return undefined;
      return reply.redirect(`/staff/cases/${referenceOf(request)}?saved=${what}`, 303);
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
      return casePage(request, reply, { values, ...errors.view() });
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
      const { id, variant } = request.params as { id: string; variant: 'full' | 'thumbnail' };
      const row = await app.casework.caseFor(actorOf(request), referenceOf(request));
      const photos = await app.photos.listForCase(row.id, { publicOnly: false });
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

  app.post('/staff/cases/:reference/assign', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const assignee = asText(body.assignee);
    const team = asText(body.team);
    return act(
      request,
      reply,
      () =>
        app.cases.assign(actorOf(request), referenceOf(request), {
          staffId: assignee === 'me' ? request.staff!.id : assignee || null,
          ...(team ? { teamId: team } : {}),
        }),
      'assigned',
      {},
    );
  });

  app.post('/staff/cases/:reference/note', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const note = asText((request.body as Record<string, unknown>).note);
    return act(
      request,
      reply,
      () => app.cases.addNote(actorOf(request), referenceOf(request), note),
      'note',
      {
        note,
      },
    );
  });

  app.post('/staff/cases/:reference/update', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const status = asText(body.status) as CaseStatus;
    const publicUpdate = typeof body.publicUpdate === 'string' ? body.publicUpdate.trim() : '';
    return act(
      request,
      reply,
      () =>
        app.cases.update(actorOf(request), referenceOf(request), {
          ...(STATUSES.includes(status) ? { status } : {}),
          publicUpdate,
        }),
      'updated',
      { publicUpdate },
    );
  });

  app.post('/staff/cases/:reference/service', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const service = asText((request.body as Record<string, unknown>).service);
    let moved: Awaited<ReturnType<typeof app.cases.changeService>> | undefined;
    const result = await act(
      request,
      reply,
      async () => {
        moved = await app.cases.changeService(actorOf(request), referenceOf(request), service);
      },
      'service',
      { service },
      () => moved?.stillVisible !== false,
    );
    if (moved && !moved.stillVisible) {
      // The case now belongs to a body this officer cannot see: say where it went instead of a 404.
      return renderCasework(request, reply, 'case-moved.njk', {
        reference: referenceOf(request),
        ...moved,
      });
    }
    return result;
  });

  app.post('/staff/cases/:reference/priority', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const priority = asText((request.body as Record<string, unknown>).priority);
    return act(
      request,
      reply,
      () => app.cases.setPriority(actorOf(request), referenceOf(request), priority),
      'priority',
      { priority },
    );
  });

  app.post('/staff/cases/:reference/duplicate', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const raw = asText((request.body as Record<string, unknown>).original);
    return act(
      request,
      reply,
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
  });
}
