/**
 * The case queues: my cases, my team's, unassigned, due soon, overdue and all, with filters, counts and
 * pages of 50.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CasePriority } from '../../db/database.js';
import { typed } from '../../infra/typed-routes.js';
import { fromLocal } from '../../lib/working-time.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { applyBulkAction, BULK_LIMIT, type BulkAction } from './casework.bulk.js';
import {
  actorOf,
  formChoices,
  formField,
  formText,
  renderForStaff,
  staffForm,
  STATUSES,
} from './casework.routes-support.js';
import {
  channelOf,
  FILTER_KEYS,
  PRIORITY_NAMES,
  queueHref,
  queuePageView,
  queueViewOf,
  sortOf,
  type QueueQuery,
} from './queue.view-models.js';

const queueQuery = Type.Object({
  view: Type.Optional(Type.String({ maxLength: 20 })),
  service: Type.Optional(Type.String({ maxLength: 63 })),
  status: Type.Optional(Type.String({ maxLength: 30 })),
  ward: Type.Optional(Type.String({ maxLength: 64 })),
  priority: Type.Optional(Type.String({ maxLength: 10 })),
  channel: Type.Optional(Type.String({ maxLength: 10 })),
  from: Type.Optional(Type.String({ maxLength: 10 })),
  to: Type.Optional(Type.String({ maxLength: 10 })),
  sort: Type.Optional(Type.String({ maxLength: 10 })),
  q: Type.Optional(Type.String({ maxLength: 100 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  changed: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
});

/**
 * The bulk form: the ticked cases, what to do with them, and the queue's filters as hidden fields (which
 * the queue's own page checks again, as it does the address's).
 */
const bulkForm = staffForm({
  cases: formChoices(BULK_LIMIT * 4, 20),
  bulkAction: formField,
  assignTo: formField,
  newStatus: formField,
  publicUpdate: formText(),
  view: formField,
  page: formField,
  ...Object.fromEntries(FILTER_KEYS.map((key) => [key, formField])),
});

const TIME_ZONE = 'Europe/London';

const PRIORITIES = Object.keys(PRIORITY_NAMES) as CasePriority[];

type BulkValues = { assignTo?: string; newStatus?: string; publicUpdate?: string; cases?: string[] };

/** "Reported to" includes that whole day: cases before the start of the next one. */
function dayAfter(isoDate: string): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** A YYYY-MM-DD from a date field, if it is a real day. */
function isoDay(text: string | undefined): string | undefined {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const date = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text ? undefined : text;
}

export function registerQueueRoutes(instance: FastifyInstance): void {
  const app = typed(instance);
  const staffOnly = { preHandler: app.requireStaff() };

  app.get(
    '/staff/cases',
    {
      ...staffOnly,
      schema: { querystring: queueQuery },
    },
    async (request, reply) => queuePage(request, reply, request.query),
  );

  /**
   * Bulk actions from the queue table (a POST form around it, so ticking cases works without
   * JavaScript). The filters come back as hidden fields so the officer returns to the same queue.
   */
  app.post('/staff/cases/bulk', { ...staffOnly, schema: { body: bulkForm } }, async (request, reply) => {
    const body: Record<string, unknown> = request.body;
    const pageNumber = Number(asText(body.page));
    const query: QueueQuery = {
      view: asText(body.view),
      ...Object.fromEntries(FILTER_KEYS.map((key) => [key, asText(body[key])])),
      ...(Number.isInteger(pageNumber) && pageNumber >= 1 ? { page: pageNumber } : {}),
    };
    const references = asList(body.cases);
    const kind = asText(body.bulkAction);
    const assignTo = asText(body.assignTo);
    const newStatus = asText(body.newStatus);
    const publicUpdate = asText(body.publicUpdate);
    const errors = new FormErrors();
    try {
      let action: BulkAction;
      if (kind === 'assign') {
        // "me", a colleague ("staff:<id>"), a team ("team:<id>") or nobody ("nobody").
        const [what, id] = assignTo.split(':');
        action =
          assignTo === 'me'
            ? { kind: 'assign', staffId: request.staff!.id }
            : assignTo === 'nobody'
              ? { kind: 'assign', staffId: null }
              : what === 'staff' && id
                ? { kind: 'assign', staffId: id }
                : what === 'team' && id
                  ? { kind: 'assign', teamId: id }
                  : { kind: 'assign' };
      } else if (kind === 'status') {
        const status = STATUSES.find((s) => s === newStatus);
        if (!status) {
          throw new AppError('validation_failed', 'Choose the new status', [
            { field: 'newStatus', message: 'Choose the new status' },
          ]);
        }
        action = { kind: 'status', status, publicUpdate };
      } else {
        throw new AppError('validation_failed', 'Choose what to do with the selected cases', [
          { field: 'bulkAction', message: 'Choose what to do with the selected cases' },
        ]);
      }
      const { changed } = await applyBulkAction(app.cases, actorOf(request), references, action);
      // Back to the queue the officer was on (its view as sent, its filters, its first page), saying how many
      // cases changed.
      return reply.redirect(queueHref(queueViewOf(query.view), query, { view: query.view, changed }), 303);
    } catch (error) {
      // Refusals a person can act on go to the error summary above the table; anything else is an error page.
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'forbidden') errors.add('bulkAction', error.message);
      else if (error.code === 'not_found')
        errors.add('cases', 'One or more of the selected cases is not yours to change');
      else if (error.code === 'validation_failed') {
        for (const problem of error.fieldErrors.length
          ? error.fieldErrors
          : [{ field: 'cases', message: error.message }])
          errors.add(problem.field, problem.message);
      } else throw error;
      reply.status(400);
      return queuePage(request, reply, query, {
        bulkValues: { assignTo, newStatus, publicUpdate, cases: references },
        errors,
      });
    }
  });

  async function queuePage(
    request: FastifyRequest,
    reply: FastifyReply,
    query: QueueQuery,
    bulk: { bulkValues?: BulkValues; errors?: FormErrors } = {},
  ) {
    const view = queueViewOf(query.view);
    const status =
      query.status === 'open' || query.status === 'closed'
        ? query.status
        : STATUSES.find((s) => s === query.status);
    const priority = PRIORITIES.find((p) => p === query.priority);
    const channel = channelOf(query.channel);
    const sort = sortOf(query.sort);
    // Dates the officer typed that are not days are said so, and the queue is shown without them.
    const filterErrors = new FormErrors();
    const from = isoDay(query.from);
    const to = isoDay(query.to);
    if (query.from && !from) filterErrors.add('from', 'Reported from must be a real date, like 2026-11-24');
    if (query.to && !to) filterErrors.add('to', 'Reported to must be a real date, like 2026-11-30');
    if (from && to && from > to)
      filterErrors.add('to', 'Reported to must be the same as or after reported from');
    const useDates = !filterErrors.any;
    const page = query.page ?? 1;
    const result = await app.casework.queue(actorOf(request), {
      view,
      ...(query.service ? { serviceCode: query.service } : {}),
      ...(status ? { status } : {}),
      ...(query.ward ? { wardCode: query.ward } : {}),
      ...(priority ? { priority } : {}),
      ...(channel ? { channel } : {}),
      ...(useDates && from ? { reportedFrom: fromLocal(from, 0, TIME_ZONE) } : {}),
      ...(useDates && to ? { reportedBefore: fromLocal(dayAfter(to), 0, TIME_ZONE) } : {}),
      ...(query.q?.trim() ? { text: query.q.trim() } : {}),
      sort,
      page,
    });
    const staff = request.staff!;
    const [services, colleagues, teams, areas] = await Promise.all([
      app.domain.services.list({ activeOnly: false }),
      app.staffDirectory.ofBody(staff.bodyId),
      app.domain.organisations.teams(),
      app.domain.areasSummary(),
    ]);
    return renderForStaff(request, reply, 'casework/views/queue.njk', {
      ...queuePageView({
        view,
        query,
        sort,
        page,
        rows: result.rows,
        counts: result.counts,
        staff,
        services,
        wards: areas.filter((a) => a.kind === 'ward').sort((x, y) => x.name.localeCompare(y.name)),
        colleagues,
        teams: teams.filter((t) => t.bodyId === staff.bodyId),
        bulkValues: bulk.bulkValues,
      }),
      // The bulk form's problems, else the filters'.
      ...(bulk.errors ? bulk.errors.view() : filterErrors.any ? filterErrors.view() : {}),
    });
  }
}
