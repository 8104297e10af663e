/**
 * Admin: the case workflow (the casework module registers it; the admin shell gives it its layout).
 *
 *   GET, POST /admin/workflow   which statuses are in use, and which each may move to
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { CaseStatus } from '../../db/database.js';
import { ALL_STATUSES, FIRST_STATUS, type Workflow } from '../cases/index.js';
import { typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { asList, FormErrors } from '../../lib/forms.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { CLOSING_STATUSES } from '../../lib/case-status.js';
import { actorOf, formChoices, staffForm } from './casework.routes-support.js';
import { workflowRows } from './workflow.view-models.js';

const VIEW = 'casework/views/workflow.njk';

/** For each status, its "in use" box and the boxes of the statuses a case may move to from it. */
const workflowForm = staffForm(
  Object.fromEntries(
    ALL_STATUSES.flatMap((status) => [
      [`enabled-${status}`, formChoices(1, 10)],
      [`next-${status}`, formChoices(ALL_STATUSES.length, 30)],
    ]),
  ),
);

function isStatus(text: string): text is CaseStatus {
  return ALL_STATUSES.some((s) => s === text);
}

/** The case workflow's admin page; the admin shell guards every /admin route. */
export function registerWorkflowRoutes(instance: FastifyInstance): void {
  const app = typed(instance);
  const render = app.renderAdminPage;
  const workflow = app.workflow;

  app.get(
    '/admin/workflow',
    {
      schema: { querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 10 })) }) },
    },
    async (request, reply) =>
      render(request, reply, VIEW, {
        rows: workflowRows(await workflow.get()),
        saved: request.query.saved === 'yes',
      }),
  );

  app.post('/admin/workflow', { schema: { body: workflowForm } }, async (request, reply) => {
    const body: Record<string, unknown> = request.body;
    const submitted = ALL_STATUSES.map((status) => ({
      status,
      enabled: status === FIRST_STATUS || asList(body[`enabled-${status}`]).includes('yes'),
      next: asList(body[`next-${status}`]).filter(isStatus),
    }));
    // A box that is not one of the statuses listed (no browser sends one) is refused on the page.
    const unknown = ALL_STATUSES.filter((status) =>
      asList(body[`next-${status}`]).some((next) => !isStatus(next)),
    ).map((status) => ({ field: `next-${status}`, message: 'Choose from the statuses listed' }));
    try {
      if (unknown.length) throw new AppError('validation_failed', 'The workflow cannot be saved', unknown);
      await workflow.save(submitted);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      const errors = new FormErrors();
      for (const p of error.fieldErrors) errors.add(p.field, p.message);
      const shown: Workflow = submitted.map((w) => ({
        ...w,
        label: STATUS_LABELS[w.status],
        closes: CLOSING_STATUSES.has(w.status),
      }));
      reply.status(400);
      return render(request, reply, VIEW, { rows: workflowRows(shown, errors.byField), ...errors.view() });
    }
    request.log.info({ staffId: request.staff?.id }, 'case workflow changed');
    await app.casework.recordAudit(actorOf(request), 'workflow.changed', { workflow: submitted });
    return reply.redirect('/admin/workflow?saved=yes', 303);
  });
}
