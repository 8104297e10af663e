/**
 * Admin: the case workflow (registered by the admin module, inside its layout).
 *
 *   GET, POST /admin/workflow   which statuses are in use, and which each may move to
 */
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import type { CaseStatus } from '../../db/database.js';
import type { RenderAdminPage } from '../../infra/admin/index.js';
import { AppError } from '../../lib/errors.js';
import { asList, FormErrors } from '../../lib/forms.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { CLOSING_STATUSES } from '../../lib/case-status.js';
import { ALL_STATUSES, FIRST_STATUS, type Workflow, WorkflowService } from '../cases/index.js';

const VIEW = '../../casework/views/workflow.njk';

export async function registerWorkflowRoutes(
  app: FastifyInstance,
  { render, adminOnly }: { render: RenderAdminPage; adminOnly: RouteShorthandOptions },
): Promise<void> {
  const workflow = new WorkflowService(app.db);

  function rowsFor(current: Workflow, errors: FormErrors) {
    return current.map((w) => ({
      ...w,
      // Every case starts in the first status, so it is always in use (said, not a disabled box).
      alwaysInUse: w.status === FIRST_STATUS,
      enabledItems: [
        {
          value: 'yes',
          text: `Use “${w.label}”`,
          checked: w.enabled,
          hint: { text: w.closes ? 'Closes the case' : 'Keeps the case open' },
        },
      ],
      nextItems: ALL_STATUSES.filter((s) => s !== w.status).map((s) => ({
        value: s,
        text: STATUS_LABELS[s],
        checked: w.next.includes(s),
      })),
      enabledError: errors.byField[`enabled-${w.status}`],
      nextError: errors.byField[`next-${w.status}`],
    }));
  }

  app.get('/admin/workflow', adminOnly, async (request, reply) => {
    const saved = (request.query as { saved?: string }).saved;
    return render(request, reply, VIEW, {
      rows: rowsFor(await workflow.get(), new FormErrors()),
      saved: saved === 'yes',
    });
  });

  app.post('/admin/workflow', adminOnly, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const submitted = ALL_STATUSES.map((status) => ({
      status,
      enabled: status === FIRST_STATUS || asList(body[`enabled-${status}`]).includes('yes'),
      next: asList(body[`next-${status}`]) as CaseStatus[],
    }));
    try {
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
      return render(request, reply, VIEW, { rows: rowsFor(shown, errors), ...errors.view() });
    }
    request.log.info({ staffId: request.staff?.id }, 'case workflow changed');
    await app.casework.recordAudit(
      {
        id: request.staff!.id,
        name: request.staff!.name,
        role: request.staff!.role,
        bodyId: request.staff!.bodyId,
        teamId: request.staff!.teamId,
        ip: request.ip,
      },
      'workflow.changed',
      { workflow: submitted },
    );
    return reply.redirect('/admin/workflow?saved=yes', 303);
  });
}
