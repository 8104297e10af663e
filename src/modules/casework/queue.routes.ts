/**
 * The case queues: my cases, my team's, unassigned, due soon, overdue and all, with filters, counts and
 * pages of 50.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { CaseStatus } from '../../db/database.js';
import { STATUS_LABELS } from '../reports/reports.service.js';
import type { QueueView } from './casework.repository.js';
import { QUEUE_VIEWS, PAGE_SIZE } from './casework.service.js';
import { actorOf, renderCasework, STATUSES } from './casework.routes-support.js';

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
        }),
      },
    },
    async (request, reply) => {
      const query = request.query as {
        view?: string;
        service?: string;
        status?: string;
        ward?: string;
        q?: string;
        page?: number;
      };
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
      });
    },
  );
}
