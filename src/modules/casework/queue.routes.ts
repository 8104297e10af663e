/**
 * The case queues: my cases, my team's, unassigned, due soon, overdue and all, with filters, counts and
 * pages of 50.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CaseStatus } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { applyBulkAction, type BulkAction } from './casework.bulk.js';
import { STATUS_LABELS } from '../reports/reports.service.js';
import { staffOfBody, type QueueView } from './casework.repository.js';
import { QUEUE_VIEWS, PAGE_SIZE } from './casework.service.js';
import { actorOf, renderCasework, STATUSES } from './casework.routes-support.js';

interface QueueQuery {
  view?: string;
  service?: string;
  status?: string;
  ward?: string;
  q?: string;
  page?: number;
  changed?: number;
}

export function registerQueueRoutes(app: FastifyInstance): void {
  const staffOnly = { preHandler: app.requireStaff() };

  app.get(
    '/staff/cases',
    {
      ...staffOnly,
      schema: {
        querystring: Type.Object({
          view: Type.Optional(Type.String({ maxLength: 20 })),
          service: Type.Optional(Type.String({ maxLength: 63 })),
          status: Type.Optional(Type.String({ maxLength: 30 })),
          ward: Type.Optional(Type.String({ maxLength: 64 })),
          q: Type.Optional(Type.String({ maxLength: 100 })),
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          changed: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
        }),
      },
    },
    async (request, reply) => queuePage(request, reply, request.query as QueueQuery),
  );

  /**
   * Bulk actions from the queue table (a POST form around it, so ticking cases works without
   * JavaScript). The filters come back as hidden fields so the officer returns to the same queue.
   */
  app.post('/staff/cases/bulk', staffOnly, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const pageNumber = Number(asText(body.page));
    const query: QueueQuery = {
      view: asText(body.view),
      service: asText(body.service),
      status: asText(body.status),
      ward: asText(body.ward),
      q: asText(body.q),
      ...(Number.isInteger(pageNumber) && pageNumber >= 1 ? { page: pageNumber } : {}),
    };
    const references = asList(body.cases);
    const kind = asText(body.bulkAction);
    const assignTo = asText(body.assignTo);
    const newStatus = asText(body.newStatus) as CaseStatus;
    const publicUpdate = typeof body.publicUpdate === 'string' ? body.publicUpdate.trim() : '';
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
        if (!STATUSES.includes(newStatus)) {
          throw new AppError('validation_failed', 'Choose the new status', [
            { field: 'newStatus', message: 'Choose the new status' },
          ]);
        }
        action = { kind: 'status', status: newStatus, publicUpdate };
      } else {
        throw new AppError('validation_failed', 'Choose what to do with the selected cases', [
          { field: 'bulkAction', message: 'Choose what to do with the selected cases' },
        ]);
      }
      const { changed } = await applyBulkAction(app.casework, actorOf(request), references, action);
      const search = new URLSearchParams(
        Object.entries({ ...query, page: undefined, changed })
          .filter(([, v]) => v !== undefined && v !== '')
          .map(([k, v]): [string, string] => [k, String(v)]),
      );
      return reply.redirect(`/staff/cases?${search}`, 303);
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
        bulkValues: { bulkAction: kind, assignTo, newStatus, publicUpdate, cases: references },
        ...errors.view(),
      });
    }
  });

  async function queuePage(
    request: FastifyRequest,
    reply: FastifyReply,
    query: QueueQuery,
    extra: Record<string, unknown> = {},
  ) {
    {
      const view = (QUEUE_VIEWS.some((v) => v.view === query.view) ? query.view : 'team') as QueueView;
      const status =
        query.status === 'open' || query.status === 'closed' || STATUSES.includes(query.status as CaseStatus)
          ? (query.status as 'open')
          : undefined;
      const page = query.page ?? 1;
      const result = await app.casework.queue(actorOf(request), {
        view,
        ...(query.service ? { serviceCode: query.service } : {}),
        ...(status ? { status } : {}),
        ...(query.ward ? { wardCode: query.ward } : {}),
        ...(query.q?.trim() ? { text: query.q.trim() } : {}),
        page,
      });
      const services = await app.domain.services.list({ activeOnly: false });
      const staffMembers = await staffOfBody(app.db, request.staff!.bodyId);
      const teams = (await app.domain.organisations.teams()).filter(
        (t) => t.bodyId === request.staff!.bodyId,
      );
      const bulkValues = (extra.bulkValues ?? {}) as {
        assignTo?: string;
        newStatus?: string;
        cases?: string[];
      };
      const params = (changes: Record<string, string | number | undefined>) => {
        const merged = {
          view,
          service: query.service,
          status: query.status,
          ward: query.ward,
          q: query.q,
          page: undefined,
          ...changes,
        };
        const search = new URLSearchParams(
          Object.entries(merged)
            .filter(([, v]) => v !== undefined && v !== '')
            .map(([k, v]): [string, string] => [k, String(v)]),
        );
        return `/staff/cases?${search}`;
      };
      const total = result.counts[view];
      return renderCasework(request, reply, 'queue.njk', {
        view,
        viewLabel: QUEUE_VIEWS.find((v) => v.view === view)!.label,
        tabs: QUEUE_VIEWS.map((v) => ({
          ...v,
          count: result.counts[v.view],
          href: params({ view: v.view }),
          current: v.view === view,
        })),
        rows: result.rows,
        total,
        filters: {
          service: query.service ?? '',
          status: query.status ?? '',
          ward: query.ward ?? '',
          q: query.q ?? '',
        },
        serviceOptions: [
          { value: '', text: 'Any service' },
          ...services.map((s) => ({ value: s.code, text: s.name, selected: s.code === query.service })),
        ],
        statusOptions: [
          { value: '', text: view === 'all' ? 'Any status' : 'Open' },
          { value: 'open', text: 'Open', selected: query.status === 'open' },
          { value: 'closed', text: 'Closed', selected: query.status === 'closed' },
          ...STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s], selected: s === query.status })),
        ],
        pagination: {
          ...(page > 1 ? { previous: { href: params({ page: page - 1 }) } } : {}),
          ...(page * PAGE_SIZE < total ? { next: { href: params({ page: page + 1 }) } } : {}),
        },
        firstRow: total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1,
        lastRow: Math.min(page * PAGE_SIZE, total),
        changed: query.changed,
        page,
        canChangeStatus: request.staff!.role !== 'agent',
        selectedCases: bulkValues.cases ?? [],
        assignToOptions: [
          { value: '', text: 'Choose' },
          { value: 'me', text: 'Me' },
          { value: 'nobody', text: 'Nobody (unassign)' },
          ...staffMembers
            .filter((s) => s.id !== request.staff!.id)
            .map((s) => ({ value: `staff:${s.id}`, text: s.name })),
          ...teams.map((t) => ({ value: `team:${t.id}`, text: `${t.name} (team)` })),
        ].map((o) => ({ ...o, selected: o.value !== '' && o.value === bulkValues.assignTo })),
        newStatusOptions: [
          { value: '', text: 'Choose' },
          ...STATUSES.map((s) => ({
            value: s,
            text: STATUS_LABELS[s],
            selected: s === bulkValues.newStatus,
          })),
        ],
        ...extra,
      });
    }
  }
}
