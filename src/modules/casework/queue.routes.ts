/**
 * The case queues: my cases, my team's, unassigned, due soon, overdue and all, with filters, counts and
 * pages of 50.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CasePriority, CaseStatus } from '../../db/database.js';
import { fromLocal } from '../../lib/working-time.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { applyBulkAction, type BulkAction } from './casework.bulk.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { COUNT_CAP, type QueueSort, type QueueView } from '../cases/index.js';
import { QUEUE_VIEWS, PAGE_SIZE } from './casework.service.js';
import { actorOf, renderCasework, STATUSES } from './casework.routes-support.js';

/** The queue's filters and sort, as they travel in the address and in the bulk form's hidden fields. */
const FILTER_KEYS = ['service', 'status', 'ward', 'priority', 'channel', 'from', 'to', 'q', 'sort'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

type QueueQuery = Partial<Record<FilterKey, string>> & { view?: string; page?: number; changed?: number };

const PRIORITIES: Record<CasePriority, string> = {
  urgent: 'Urgent',
  high: 'High',
  normal: 'Normal',
  low: 'Low',
};

const CHANNELS: Record<string, string> = {
  web: 'Online',
  phone: 'Phone',
  email: 'Email',
  api: 'App (API)',
  open311: 'Open311',
  visit: 'In person',
  letter: 'Letter',
};

/** Sortable columns: the sort each header asks for, and how the table is sorted now (for aria-sort). */
const SORTS: Record<QueueSort, { column: string; ariaSort: 'ascending' | 'descending' }> = {
  due: { column: 'due', ariaSort: 'ascending' },
  newest: { column: 'reported', ariaSort: 'descending' },
  oldest: { column: 'reported', ariaSort: 'ascending' },
  priority: { column: 'priority', ariaSort: 'descending' },
  reference: { column: 'case', ariaSort: 'ascending' },
};

const TIME_ZONE = 'Europe/London';

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
          priority: Type.Optional(Type.String({ maxLength: 10 })),
          channel: Type.Optional(Type.String({ maxLength: 10 })),
          from: Type.Optional(Type.String({ maxLength: 10 })),
          to: Type.Optional(Type.String({ maxLength: 10 })),
          sort: Type.Optional(Type.String({ maxLength: 10 })),
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
      ...Object.fromEntries(FILTER_KEYS.map((key) => [key, asText(body[key])])),
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
      const { changed } = await applyBulkAction(app.cases, actorOf(request), references, action);
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
      const priority =
        query.priority && query.priority in PRIORITIES ? (query.priority as CasePriority) : undefined;
      const channel = query.channel && query.channel in CHANNELS ? query.channel : undefined;
      const sort: QueueSort = query.sort && query.sort in SORTS ? (query.sort as QueueSort) : 'due';
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
      const services = await app.domain.services.list({ activeOnly: false });
      const staffMembers = await app.staffDirectory.ofBody(request.staff!.bodyId);
      const teams = (await app.domain.organisations.teams()).filter(
        (t) => t.bodyId === request.staff!.bodyId,
      );
      const bulkValues = (extra.bulkValues ?? {}) as {
        assignTo?: string;
        newStatus?: string;
        cases?: string[];
      };
      const params = (changes: Record<string, string | number | undefined>) => {
        const merged: Record<string, string | number | undefined> = {
          view,
          ...Object.fromEntries(FILTER_KEYS.map((key) => [key, query[key]])),
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
      const capped = total > COUNT_CAP;
      const wards = (await app.domain.areasSummary())
        .filter((a) => a.kind === 'ward')
        .sort((x, y) => x.name.localeCompare(y.name));
      const sortHeader = (column: string, label: string, ascending: QueueSort, descending: QueueSort) => {
        const current = SORTS[sort].column === column ? SORTS[sort].ariaSort : undefined;
        const next = current === 'ascending' ? descending : current === 'descending' ? ascending : ascending;
        return { label, href: params({ sort: next }), ariaSort: current ?? 'none' };
      };
      return renderCasework(request, reply, 'queue.njk', {
        view,
        viewLabel: QUEUE_VIEWS.find((v) => v.view === view)!.label,
        tabs: QUEUE_VIEWS.map((v) => ({
          ...v,
          count:
            result.counts[v.view] > COUNT_CAP
              ? `${COUNT_CAP.toLocaleString('en-GB')}+`
              : result.counts[v.view],
          href: params({ view: v.view }),
          current: v.view === view,
        })),
        rows: result.rows,
        total,
        capped,
        filters: Object.fromEntries(FILTER_KEYS.map((key) => [key, query[key] ?? ''])),
        filterKeys: FILTER_KEYS,
        headers: {
          case: sortHeader('case', 'Case', 'reference', 'reference'),
          priority: sortHeader('priority', 'Priority', 'priority', 'priority'),
          reported: sortHeader('reported', 'Reported', 'oldest', 'newest'),
          due: sortHeader('due', 'Due', 'due', 'due'),
        },
        wardOptions: [
          { value: '', text: 'Any ward' },
          ...wards.map((w) => ({ value: w.code, text: w.name, selected: w.code === query.ward })),
          ...(query.ward && !wards.some((w) => w.code === query.ward)
            ? [{ value: query.ward, text: query.ward, selected: true }]
            : []),
        ],
        priorityOptions: [
          { value: '', text: 'Any priority' },
          ...Object.entries(PRIORITIES).map(([value, text]) => ({
            value,
            text,
            selected: value === query.priority,
          })),
        ],
        channelOptions: [
          { value: '', text: 'Any channel' },
          ...Object.entries(CHANNELS).map(([value, text]) => ({
            value,
            text,
            selected: value === query.channel,
          })),
        ],
        priorityLabels: PRIORITIES,
        channelLabels: CHANNELS,
        ...(filterErrors.any ? filterErrors.view() : {}),
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
          ...(page * PAGE_SIZE < total || (capped && result.rows.length === PAGE_SIZE)
            ? { next: { href: params({ page: page + 1 }) } }
            : {}),
        },
        firstRow: total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1,
        lastRow: capped ? (page - 1) * PAGE_SIZE + result.rows.length : Math.min(page * PAGE_SIZE, total),
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
