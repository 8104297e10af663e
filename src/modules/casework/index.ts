/**
 * Back-office pages: the case queues and the case page with its actions. Every page is for signed-in
 * staff; every form follows the GOV.UK pattern.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CaseStatus } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { normaliseReference } from '../../lib/reference.js';
import { STATUS_LABELS } from '../reports/reports.service.js';
import { ROLE_LABELS } from '../staff/staff.service.js';
import type { QueueView } from './casework.repository.js';
import { QUEUE_VIEWS, PAGE_SIZE, type Actor } from './casework.service.js';

const STATUSES = Object.keys(STATUS_LABELS) as CaseStatus[];

export default async function caseworkModule(app: FastifyInstance): Promise<void> {
  const { casework } = app;
  const staffOnly = { preHandler: app.requireStaff() };

  function actorOf(request: FastifyRequest): Actor {
    const staff = request.staff!;
    return {
      id: staff.id,
      name: staff.name,
      role: staff.role,
      bodyId: staff.bodyId,
      teamId: staff.teamId,
      ip: request.ip,
    };
  }

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    context: Record<string, unknown>,
  ) {
    await request.ensureSession();
    const staff = request.staff!;
    return reply.view(`casework/views/${template}`, {
      staff,
      staffRoleLabel: ROLE_LABELS[staff.role],
      staffNavigation: [
        { href: '/staff/cases', text: 'Cases', active: true },
        ...(staff.role === 'admin' ? [{ href: '/admin', text: 'Administration' }] : []),
        { href: '/staff/account', text: 'Your account' },
      ],
      ...context,
    });
  }

  app.get('/staff', staffOnly, async (_request, reply) => reply.redirect('/staff/cases', 303));

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
      const result = await casework.queue(actorOf(request), {
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
      return render(request, reply, 'queue.njk', {
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

  const caseParams = { schema: { params: Type.Object({ reference: Type.String({ maxLength: 20 }) }) } };
  const referenceOf = (request: FastifyRequest) =>
    normaliseReference((request.params as { reference: string }).reference);

  async function casePage(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
    const view = await casework.casePage(actorOf(request), referenceOf(request));
    return render(request, reply, 'case.njk', {
      ...view,
      canChangeStatus: request.staff!.role !== 'agent',
      statusItems: STATUSES.map((s) => ({
        value: s,
        text: STATUS_LABELS[s],
        selected: s === view.row.status,
      })),
      assigneeOptions: [
        { value: '', text: 'Nobody' },
        ...view.staff.map((s) => ({
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

  app.get('/staff/cases/:reference', { ...staffOnly, ...caseParams }, async (request, reply) =>
    casePage(request, reply),
  );

  async function act(
    request: FastifyRequest,
    reply: FastifyReply,
    action: () => Promise<void>,
    what: string,
    values: Record<string, string>,
  ) {
    try {
      await action();
      return reply.redirect(`/staff/cases/${referenceOf(request)}?saved=${what}`, 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      const errors = new FormErrors();
      for (const problem of error.fieldErrors.length
        ? error.fieldErrors
        : [{ field: what, message: error.message }]) {
        errors.add(problem.field, problem.message);
      }
      reply.status(400);
      return casePage(request, reply, { values, ...errors.view() });
    }
  }

  app.post('/staff/cases/:reference/assign', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const assignee = asText(body.assignee);
    const team = asText(body.team);
    return act(
      request,
      reply,
      () =>
        casework.assign(actorOf(request), referenceOf(request), {
          staffId: assignee === 'me' ? request.staff!.id : assignee || null,
          ...(team ? { teamId: team } : {}),
        }),
      'assigned',
      {},
    );
  });

  app.post('/staff/cases/:reference/note', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const note = asText((request.body as Record<string, unknown>).note);
    return act(request, reply, () => casework.addNote(actorOf(request), referenceOf(request), note), 'note', {
      note,
    });
  });

  app.post('/staff/cases/:reference/update', { ...staffOnly, ...caseParams }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const status = asText(body.status) as CaseStatus;
    const publicUpdate = typeof body.publicUpdate === 'string' ? body.publicUpdate.trim() : '';
    return act(
      request,
      reply,
      () =>
        casework.update(actorOf(request), referenceOf(request), {
          ...(STATUSES.includes(status) ? { status } : {}),
          publicUpdate,
        }),
      'updated',
      { publicUpdate },
    );
  });
}
