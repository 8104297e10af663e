/**
 * Changing a case's service: the case is filed under the other service and routed again, as the intake
 * would have routed it, and the team it now sits with is told.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import { formatDateTime } from '../../lib/dates.js';
import { textToHtml } from '../../lib/email-template.js';
import { AppError } from '../../lib/errors.js';
import { audit } from '../audit/index.js';
import { changedBy } from './case-events.js';
import type { Actor } from './case-types.js';
import type { CasesDeps, CasesService } from './cases.service.js';
import * as repo from './cases.repository.js';

export class CaseReroute {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: CasesDeps,
    private readonly cases: Pick<CasesService, 'caseFor'>,
  ) {}

  /**
   * Files the case under another service and routes it again, as the intake would have had it been
   * reported under that service: same point, the answers the new service also asks, and the time it was
   * reported (so the due date counts from when the resident told us, not from when it was re-filed).
   * Body, team and due date follow the new decision; the case is delivered to the new body's target if
   * it has one. The result says whether the case is still the officer's to see.
   */
  async changeService(
    actor: Actor,
    reference: string,
    serviceCode: string,
  ): Promise<{ stillVisible: boolean; bodyName: string; teamName: string | null; serviceName: string }> {
    const row = await this.cases.caseFor(actor, reference);
    const fail = (message: string): never => {
      throw new AppError('validation_failed', message, [{ field: 'service', message }]);
    };
    if (row.closed_at !== null) fail('Reopen the case before changing its service');
    if (!serviceCode) fail('Choose a service');
    const services = await this.deps.services.list({ activeOnly: false });
    const from = services.find((s) => s.id === row.service_id)!;
    const to = services.find((s) => s.code === serviceCode && s.active);
    if (!to) return fail('Choose a service from the list');
    if (to.id === from.id) fail(`The case is already filed under ${from.name}: choose another service`);

    const questionCodes = new Set(to.definition.questions.map((q) => q.code));
    const answers = Object.fromEntries(
      Object.entries(row.answers).filter(([code]) => questionCodes.has(code)),
    );
    const decision = await this.deps.routing.route({
      lat: row.lat,
      lon: row.lon,
      serviceCode: to.code,
      answers,
      at: row.created_at,
    });
    if (decision.outcome !== 'routed') {
      fail(
        decision.outcome === 'stop'
          ? `${to.name}: ${decision.message}`
          : `${to.name} cannot be reported at this case's location`,
      );
    }
    const routed = decision as Extract<typeof decision, { outcome: 'routed' }>;
    const [teams, bodies, staff] = await Promise.all([
      this.deps.organisations.teams(),
      this.deps.organisations.bodies(),
      this.deps.staff.ofBody(row.body_id),
    ]);
    const fromBody = bodies.find((b) => b.id === row.body_id);
    const fromTeam = teams.find((t) => t.id === row.team_id);
    // The assignee keeps the case only if it stays with their organisation and their team.
    const assignee = staff.find((s) => s.id === row.assignee_staff_id);
    const keepAssignee =
      assignee !== undefined &&
      routed.body.id === row.body_id &&
      (routed.team === null || routed.team.id === assignee.team_id);
    const where = (body: { name: string } | undefined, team: { name: string } | null | undefined) =>
      team ? `${body?.name ?? ''}: ${team.name}` : (body?.name ?? '');
    const why = [
      routed.decidedBy.kind === 'rule'
        ? `Rule “${routed.decidedBy.name}”`
        : 'No rule matched: the service’s default',
      ...routed.trace.map((step) => `${step.rule.name}: ${step.reason}`),
    ].join('\n');

    await this.db.transaction().execute(async (trx) => {
      await repo.reroute(trx, row.id, {
        service_id: to.id,
        body_id: routed.body.id,
        team_id: routed.team?.id ?? null,
        assignee_staff_id: keepAssignee ? row.assignee_staff_id : null,
        due_at: routed.dueAt,
        is_public: to.isPublic,
        areas: routed.areas.map((a) => ({ kind: a.kind, code: a.code, name: a.name })),
        routing: {
          decidedBy: routed.decidedBy,
          trace: routed.trace,
          outOfHours: routed.outOfHours,
          contact: routed.contact,
          timescale: routed.timescale,
        },
      });
      await repo.insertEvent(trx, {
        case_id: row.id,
        kind: 'service_changed',
        is_public: true,
        body: `Service changed from ${from.name} to ${to.name}; sent to ${where(routed.body, routed.team)}`,
        data: { from: from.code, to: to.code },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      // Why it went there is for staff: the rules are internal.
      await repo.insertEvent(trx, {
        case_id: row.id,
        kind: 'routed',
        is_public: false,
        body: [
          `Routed again: from ${where(fromBody, fromTeam)} to ${where(routed.body, routed.team)}, due ${formatDateTime(routed.dueAt)}`,
          why,
          row.assignee_staff_id && !keepAssignee ? `No longer assigned to ${assignee?.name ?? 'anyone'}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
        data: {
          bodyCode: routed.body.code,
          teamCode: routed.team?.code ?? null,
          decidedBy: routed.decidedBy,
          trace: routed.trace,
        },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await audit(trx, {
        staffId: actor.id,
        action: 'case.service_changed',
        caseId: row.id,
        detail: {
          from: from.code,
          to: to.code,
          fromBodyId: row.body_id,
          bodyId: routed.body.id,
          fromTeamId: row.team_id,
          teamId: routed.team?.id ?? null,
          decidedBy: routed.decidedBy,
        },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
      // Subscribers hear of it: webhooks (also those of where it was), the new body's inbox or system.
      await this.deps.events.publish(trx, {
        type: 'case.rerouted',
        caseId: row.id,
        from: {
          serviceId: from.id,
          serviceCode: from.code,
          bodyId: row.body_id,
          bodyCode: fromBody?.code ?? '',
          teamCode: fromTeam?.code ?? null,
        },
        by: changedBy(actor),
      });
      // The team it now sits with hears of it, as a team hears of a new case from the intake.
      const notify = routed.team?.email ?? routed.body.email;
      if (notify && (routed.team?.id ?? null) !== row.team_id) {
        const subject = `Case ${row.reference} moved to you: ${to.name}`;
        const text = [
          `${actor.name} changed case ${row.reference} from ${from.name} to ${to.name}, and it was routed to ${where(routed.body, routed.team)}.`,
          `Where: ${row.location_description || `${row.lat}, ${row.lon}`}`,
          `Due: ${formatDateTime(routed.dueAt)}`,
          `${this.deps.baseUrl}/staff/cases/${row.reference}`,
        ].join('\n\n');
        await enqueueEmail(this.deps.jobs, trx, {
          to: notify,
          subject,
          text,
          html: textToHtml(text, { title: subject }),
        });
      }
    });
    this.deps.jobs.wake();
    return {
      stillVisible: (await this.deps.organisations.caseBodiesFor(actor.bodyId)).includes(routed.body.id),
      bodyName: routed.body.name,
      teamName: routed.team?.name ?? null,
      serviceName: to.name,
    };
  }
}
