/**
 * Case work in the back office: queues, the case page, and the actions officers take on a case. Every
 * action writes its timeline event, its audit record and any email in one transaction; public updates
 * and closures are emailed to the reporter and the followers who asked for updates.
 *
 * Access: staff see and act on cases of their own body only; contact-centre agents can view, add
 * notes, set the priority and change the service, but not change status, close or mark a duplicate.
 */
import type { Kysely } from 'kysely';
import type { CaseStatus, Database, StaffRole } from '../../db/database.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { textToHtml } from '../../lib/email-template.js';
import { AppError } from '../../lib/errors.js';
import type { CalendarsService } from '../calendars/calendars.service.js';
import { INTERACTION_KINDS, type ContactsService } from '../contacts/contacts.service.js';
import { dueDate } from '../../lib/working-time.js';
import type { WorkflowService } from './workflow.js';
import { formatDateTime } from '../../lib/dates.js';
import type { OrganisationsService } from '../organisations/organisations.service.js';
import { STATUS_LABELS } from '../reports/reports.service.js';
import * as reportsRepo from '../reports/reports.repository.js';
import type { ServicesService } from '../services/services.service.js';
import * as repo from './casework.repository.js';
import { audit, type AuditAction } from '../audit/index.js';
import {
  recordCaseRerouted,
  recordCaseUpdated,
  recordPriorityChanged,
} from '../webhooks/webhooks.service.js';
import { enqueueOpen311Update } from '../delivery/open311/open311-updates.js';
import { enqueueCaseDelivery } from '../delivery/delivery.service.js';
import type { RoutingService } from '../routing/routing.service.js';

export interface Actor {
  id: string;
  name: string;
  role: StaffRole;
  bodyId: string;
  teamId: string | null;
  ip?: string;
  /** Another system (a CRM's API key, whose id and name these are), not a member of staff: update() only. */
  integration?: boolean;
}

/** Another system acting on a case (a CRM's key, an Open311 back office or client): update() only. */
export interface IntegrationActor {
  id: string;
  name: string;
  role: 'officer';
  bodyId: string;
  teamId: null;
  integration: true;
}

/** How another system's update reaches a case: CaseworkService.update, as an integration. */
export type IntegrationUpdate = (
  actor: IntegrationActor,
  reference: string,
  input: { status?: CaseStatus; publicUpdate: string },
) => Promise<void>;

/** Statuses that close a case; the others keep it open. */
export const CLOSING_STATUSES: ReadonlySet<CaseStatus> = new Set([
  'fixed',
  'closed_not_fixed',
  'not_responsible',
  'duplicate',
  'cancelled',
]);

/**
 * Who may change who has a case: anyone may take it themselves (or hand back their own); team leads
 * manage their own team's cases (and those with no team); admins any case they can see.
 */
export function mayAssign(
  actor: Actor,
  row: { team_id: string | null; assignee_staff_id: string | null },
  staffId: string | null,
): boolean {
  if (actor.role === 'admin') return true;
  if (staffId === actor.id) return true;
  if (staffId === null && row.assignee_staff_id === actor.id) return true;
  return actor.role === 'team_lead' && (row.team_id === null || row.team_id === actor.teamId);
}

/** "3 days 4 hours left", "5 hours overdue": how long until (or since) a case is due. */
export function timeLeft(due: Date | null, now: Date): string {
  if (!due) return 'no due date';
  const minutes = Math.round(Math.abs(due.getTime() - now.getTime()) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  const span =
    days > 0
      ? [plural(days, 'day'), hours ? plural(hours, 'hour') : ''].filter(Boolean).join(' ')
      : hours > 0
        ? plural(hours, 'hour')
        : plural(minutes % 60, 'minute');
  return due.getTime() >= now.getTime() ? `${span} left` : `${span} overdue`;
}

/** An email a timeline event says was sent: to whom, and the outbox job sending it. */
interface QueuedEmail {
  to: string;
  jobId: number;
}

/** What became of an email, in words for the timeline (the outbox job's state). */
export function emailDeliveryState(
  job: { status: string; attempts: number; last_error: string | null } | undefined,
) {
  if (!job) return { text: 'Sent (no longer tracked)', tag: 'govuk-tag--grey' };
  switch (job.status) {
    case 'done':
      return { text: 'Sent', tag: 'govuk-tag--green' };
    case 'dead':
      return { text: `Not sent: ${job.last_error ?? 'gave up'}`, tag: 'govuk-tag--red' };
    case 'running':
      return { text: 'Sending', tag: 'govuk-tag--grey' };
    default:
      // A pending job's attempts have all failed (a worker counts an attempt when it claims the job).
      return job.attempts > 0
        ? {
            text: `Retrying after ${job.attempts} failed ${job.attempts === 1 ? 'attempt' : 'attempts'}${job.last_error ? `: ${job.last_error}` : ''}`,
            tag: 'govuk-tag--yellow',
          }
        : { text: 'Waiting to send', tag: 'govuk-tag--grey' };
  }
}

export const QUEUE_VIEWS: { view: repo.QueueView; label: string }[] = [
  { view: 'mine', label: 'My cases' },
  { view: 'team', label: 'My team' },
  { view: 'unassigned', label: 'Unassigned' },
  { view: 'due-soon', label: 'Due soon' },
  { view: 'overdue', label: 'Overdue' },
  { view: 'all', label: 'All' },
];

export type Priority = 'low' | 'normal' | 'high' | 'urgent';

export const PRIORITY_LABELS: Record<Priority, string> = {
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  urgent: 'Urgent',
};

export function isPriority(value: string): value is Priority {
  return Object.hasOwn(PRIORITY_LABELS, value);
}

const DUE_SOON_MS = 2 * 86_400_000;
export const PAGE_SIZE = 50;

export class CaseworkService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: {
      services: ServicesService;
      organisations: OrganisationsService;
      routing: RoutingService;
      contacts: ContactsService;
      calendars: CalendarsService;
      workflow: WorkflowService;
      jobs: Jobs;
      baseUrl: string;
      councilName: string;
    },
  ) {}

  async queue(
    actor: Actor,
    query: {
      view: repo.QueueView;
      serviceCode?: string;
      status?: repo.QueueFilter['status'];
      wardCode?: string;
      priority?: repo.QueueFilter['priority'];
      channel?: string;
      reportedFrom?: Date;
      reportedBefore?: Date;
      text?: string;
      sort?: repo.QueueSort;
      page: number;
    },
  ) {
    const now = new Date();
    const filter: repo.QueueFilter = {
      bodyIds: await this.deps.organisations.caseBodiesFor(actor.bodyId),
      staffId: actor.id,
      teamId: actor.teamId,
      view: query.view,
      ...(query.serviceCode ? { serviceCode: query.serviceCode } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.wardCode ? { wardCode: query.wardCode } : {}),
      ...(query.priority ? { priority: query.priority } : {}),
      ...(query.channel ? { channel: query.channel } : {}),
      ...(query.reportedFrom ? { reportedFrom: query.reportedFrom } : {}),
      ...(query.reportedBefore ? { reportedBefore: query.reportedBefore } : {}),
      ...(query.text ? { text: query.text } : {}),
      now,
      dueSoonBefore: new Date(now.getTime() + DUE_SOON_MS),
    };
    const [rows, counts] = await Promise.all([
      repo.queuePage(this.db, filter, {
        limit: PAGE_SIZE,
        offset: (query.page - 1) * PAGE_SIZE,
        ...(query.sort ? { sort: query.sort } : {}),
      }),
      Promise.all(
        QUEUE_VIEWS.map(async ({ view }) => [view, await repo.queueCount(this.db, filter, view)] as const),
      ),
    ]);
    return {
      rows: rows.map((r) => ({
        ...r,
        statusLabel: STATUS_LABELS[r.status],
        overdue: r.closed_at === null && r.due_at !== null && r.due_at < now,
        dueSoon:
          r.closed_at === null &&
          r.due_at !== null &&
          r.due_at >= now &&
          r.due_at.getTime() < now.getTime() + DUE_SOON_MS,
      })),
      counts: Object.fromEntries(counts) as Record<repo.QueueView, number>,
    };
  }

  /**
   * The case for this member of staff, or a 404 that does not say whether it exists in another body.
   * The one access rule for a single case: their own body's cases, and those of bodies an admin granted
   * their body (OrganisationsService.caseBodiesFor, which the queues use too).
   */
  async caseFor(actor: Actor, reference: string) {
    const row = await repo.caseByReference(this.db, reference);
    if (!row || !(await this.deps.organisations.caseBodiesFor(actor.bodyId)).includes(row.body_id))
      throw new AppError('not_found', 'There is no case with that reference');
    return row;
  }

  /** Who a case can be assigned to: the staff of the case's body, and the actor's own colleagues. */
  private async assignableStaff(actor: Actor, caseBodyId: string) {
    const own = await repo.staffOfBody(this.db, caseBodyId);
    return caseBodyId === actor.bodyId ? own : [...own, ...(await repo.staffOfBody(this.db, actor.bodyId))];
  }

  /** Records something a member of staff did or saw that is not an action on a case (viewing a contact). */
  async recordAudit(actor: Actor, action: AuditAction, detail: Record<string, unknown>): Promise<void> {
    await audit(this.db, { staffId: actor.id, action, detail, ...(actor.ip ? { ip: actor.ip } : {}) });
  }

  /** A contact's cases (reported or followed) that this member of staff may see, newest first. */
  async casesOfContact(actor: Actor, contactId: string) {
    const rows = await repo.casesOfContact(
      this.db,
      contactId,
      await this.deps.organisations.caseBodiesFor(actor.bodyId),
    );
    return rows.map((r) => ({ ...r, statusLabel: STATUS_LABELS[r.status], isOpen: r.closed_at === null }));
  }

  /** The emails sent to this address about cases this member of staff may see, with what became of each. */
  async emailsTo(actor: Actor, email: string) {
    const events = await repo.emailEventsTo(
      this.db,
      email,
      await this.deps.organisations.caseBodiesFor(actor.bodyId),
    );
    const jobIds = events.flatMap((e) =>
      ((e.data as { emails?: QueuedEmail[] }).emails ?? []).filter((m) => m.to === email).map((m) => m.jobId),
    );
    const jobs = new Map((await repo.outboxJobStates(this.db, jobIds)).map((j) => [Number(j.id), j]));
    return events.map((e) => {
      const mine = ((e.data as { emails?: QueuedEmail[] }).emails ?? []).find((m) => m.to === email);
      return {
        reference: e.reference,
        what: e.body,
        at: e.created_at,
        state: emailDeliveryState(mine ? jobs.get(mine.jobId) : undefined),
      };
    });
  }

  /** Everything the case page shows. Viewing personal data is audited. */
  async casePage(actor: Actor, reference: string) {
    const row = await this.caseFor(actor, reference);
    const [services, teams, events, contact, staff] = await Promise.all([
      this.deps.services.list({ activeOnly: false }),
      this.deps.organisations.teams(),
      repo.timeline(this.db, row.id),
      row.reporter_contact_id ? this.deps.contacts.get(this.db, row.reporter_contact_id) : undefined,
      this.assignableStaff(actor, row.body_id),
    ]);
    const visibleBodies = await this.deps.organisations.caseBodiesFor(actor.bodyId);
    const [otherCases, interactions, duplicates] = await Promise.all([
      row.reporter_contact_id
        ? repo.otherCasesOf(this.db, row.reporter_contact_id, row.id, visibleBodies)
        : [],
      row.reporter_contact_id
        ? this.deps.contacts.interactions(
            { staffId: actor.id, bodyId: actor.bodyId },
            row.reporter_contact_id,
          )
        : [],
      repo.duplicateLinks(this.db, row.id, row.duplicate_of_case_id),
    ]);
    await audit(this.db, {
      staffId: actor.id,
      action: 'case.viewed',
      caseId: row.id,
      ...(actor.ip ? { ip: actor.ip } : {}),
    });
    const service = services.find((s) => s.id === row.service_id)!;
    const jobIds = events.flatMap((e) =>
      e.kind === 'email_queued'
        ? ((e.data as { emails?: QueuedEmail[] }).emails ?? []).map((m) => m.jobId)
        : [],
    );
    const jobs = new Map((await repo.outboxJobStates(this.db, jobIds)).map((j) => [Number(j.id), j]));
    return {
      row,
      service,
      statusLabel: STATUS_LABELS[row.status],
      priorityLabel: PRIORITY_LABELS[row.priority],
      isOpen: row.closed_at === null,
      /** Services the case can be moved to (active ones), for "Change service". */
      services: services.filter((s) => s.active).map((s) => ({ code: s.code, name: s.name })),
      duplicateOf: duplicates.original,
      duplicates: duplicates.duplicates,
      team: teams.find((t) => t.id === row.team_id),
      teams: teams.filter((t) => t.bodyId === row.body_id),
      colleagues: staff,
      assignee: staff.find((s) => s.id === row.assignee_staff_id),
      contact,
      otherCases: otherCases.map((c) => ({ ...c, statusLabel: STATUS_LABELS[c.status] })),
      // Anyone picking up the next call is caught up: the latest calls, visits, letters and emails.
      interactions: interactions.slice(0, 5).map((i) => ({ ...i, kindLabel: INTERACTION_KINDS[i.kind] })),
      answers: Object.entries(row.answers).map(([code, value]) => {
        const question = service.definition.questions.find((q) => q.code === code);
        const shown = (Array.isArray(value) ? value : [value])
          .map((v) => question?.options?.find((o) => o.key === v)?.name ?? v)
          .join(', ');
        return { question: question?.text ?? code, answer: shown };
      }),
      events: events.map((e) => ({
        ...e,
        emails:
          e.kind === 'email_queued'
            ? ((e.data as { emails?: QueuedEmail[] }).emails ?? []).map((m) => ({
                to: m.to,
                state: emailDeliveryState(jobs.get(m.jobId)),
              }))
            : [],
      })),
      overdue: row.closed_at === null && row.due_at !== null && row.due_at < new Date(),
      timeLeft: row.closed_at !== null ? 'closed' : timeLeft(row.due_at, new Date()),
      // The statuses the page offers: where it is now, and where the workflow lets it go from here.
      statusChoices: [row.status, ...(await this.deps.workflow.nextStatuses(row.status))],
    };
  }

  async assign(
    actor: Actor,
    reference: string,
    to: { staffId?: string | null; teamId?: string | null },
  ): Promise<void> {
    const row = await this.caseFor(actor, reference);
    if (
      to.staffId !== undefined &&
      to.staffId !== row.assignee_staff_id &&
      !mayAssign(actor, row, to.staffId)
    ) {
      throw new AppError(
        'forbidden',
        'Only a team lead can give their team’s cases to someone else: assign it to yourself, or ask your team lead',
        [
          {
            field: 'assignee',
            message:
              'Only a team lead can give their team’s cases to someone else: assign it to yourself, or ask your team lead',
          },
        ],
      );
    }
    const staff = await this.assignableStaff(actor, row.body_id);
    const teams = (await this.deps.organisations.teams()).filter((t) => t.bodyId === row.body_id);
    if (to.staffId && !staff.some((s) => s.id === to.staffId))
      throw new AppError('validation_failed', 'Choose someone from your organisation');
    if (to.teamId && !teams.some((t) => t.id === to.teamId))
      throw new AppError('validation_failed', 'Choose a team of your organisation');
    const person = staff.find((s) => s.id === to.staffId);
    const team = teams.find((t) => t.id === to.teamId);
    await this.db.transaction().execute(async (trx) => {
      await repo.updateCase(trx, row.id, {
        ...(to.staffId !== undefined ? { assignee_staff_id: to.staffId } : {}),
        ...(to.teamId ? { team_id: to.teamId } : {}),
      });
      const text = [
        to.teamId && team ? `Moved to ${team.name}` : '',
        to.staffId !== undefined ? (person ? `Assigned to ${person.name}` : 'Unassigned') : '',
      ]
        .filter(Boolean)
        .join('; ');
      await reportsRepo.insertEvent(trx, {
        case_id: row.id,
        kind: 'assigned',
        is_public: false,
        body: text,
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await audit(trx, {
        staffId: actor.id,
        action: 'case.assigned',
        caseId: row.id,
        detail: { staffId: to.staffId, teamId: to.teamId },
      });
    });
  }

  async addNote(actor: Actor, reference: string, text: string): Promise<void> {
    const row = await this.caseFor(actor, reference);
    const body = text.trim();
    if (!body)
      throw new AppError('validation_failed', 'Enter the note', [
        { field: 'note', message: 'Enter the note' },
      ]);
    if (body.length > 5000)
      throw new AppError('validation_failed', 'The note must be 5,000 characters or fewer', [
        { field: 'note', message: 'The note must be 5,000 characters or fewer' },
      ]);
    await this.db.transaction().execute(async (trx) => {
      await reportsRepo.insertEvent(trx, {
        case_id: row.id,
        kind: 'note',
        is_public: false,
        body,
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await audit(trx, { staffId: actor.id, action: 'case.note_added', caseId: row.id });
    });
  }

  /**
   * Changes status and/or posts a public update. A public update appears on the tracking page and is
   * emailed to the reporter and followers who asked for updates; closing a case emails them a summary
   * of what was done. Agents may not change status.
   */
  async update(
    actor: Actor,
    reference: string,
    input: { status?: CaseStatus; publicUpdate?: string; outcome?: string },
  ): Promise<void> {
    const row = await this.caseFor(actor, reference);
    const problems: { field: string; message: string }[] = [];
    const status = input.status && input.status !== row.status ? input.status : undefined;
    const publicUpdate = input.publicUpdate?.trim() ?? '';
    if (status && actor.role === 'agent')
      throw new AppError('forbidden', 'Contact-centre agents cannot change the status of a case');
    if (!status && !publicUpdate)
      problems.push({ field: 'publicUpdate', message: 'Choose a new status or write an update' });
    if (publicUpdate.length > 5000)
      problems.push({ field: 'publicUpdate', message: 'The update must be 5,000 characters or fewer' });
    const closing = status !== undefined && CLOSING_STATUSES.has(status);
    if (closing && !publicUpdate) {
      problems.push({
        field: 'publicUpdate',
        message: 'Tell the resident what was done before closing the case',
      });
    }
    if (problems.length) throw new AppError('validation_failed', problems[0]!.message, problems);
    // Staff move cases along the council's workflow; another system's status is its own to report.
    if (status && !actor.integration) await this.deps.workflow.check(row.status, status);
    const reopening = status !== undefined && !closing && row.closed_at !== null;
    const by = actor.integration
      ? { actor: 'integration' as const, actor_staff_id: null }
      : { actor: 'staff' as const, actor_staff_id: actor.id };

    await this.db.transaction().execute(async (trx) => {
      if (status) {
        await repo.updateCase(trx, row.id, {
          status,
          ...(closing
            ? { closed_at: new Date(), outcome: input.outcome?.trim() || STATUS_LABELS[status] }
            : {}),
          ...(reopening ? { closed_at: null, outcome: null } : {}),
        });
        await reportsRepo.insertEvent(trx, {
          case_id: row.id,
          kind: 'status_changed',
          is_public: true,
          body: reopening
            ? `Reopened: ${STATUS_LABELS[status]}`
            : `Status changed to ${STATUS_LABELS[status]}`,
          data: { from: row.status, to: status },
          ...by,
        });
      }
      if (publicUpdate) {
        await reportsRepo.insertEvent(trx, {
          case_id: row.id,
          kind: 'public_update',
          is_public: true,
          body: publicUpdate,
          ...by,
        });
      }
      await audit(trx, {
        staffId: by.actor_staff_id,
        action: 'case.updated',
        caseId: row.id,
        detail: {
          status: status ?? null,
          publicUpdate: Boolean(publicUpdate),
          ...(actor.integration ? { apiClientId: actor.id, apiClient: actor.name } : {}),
        },
      });
      await this.emailUpdate(trx, row, { status, publicUpdate, closing });
      await recordCaseUpdated(this.deps.jobs, trx, row.id, {
        from: row.status,
        status,
        publicUpdate,
        closing,
        by: actor,
      });
      // The body's own system, if the case was delivered to one by Open311, hears of it too.
      await enqueueOpen311Update(
        this.deps.jobs,
        trx,
        row.id,
        {
          status: status ?? row.status,
          isClosed: closing || (row.closed_at !== null && !reopening),
          description: publicUpdate,
        },
        actor,
      );
    });
    this.deps.jobs.wake();
  }

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
    const row = await this.caseFor(actor, reference);
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
      repo.staffOfBody(this.db, row.body_id),
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
      await reportsRepo.insertEvent(trx, {
        case_id: row.id,
        kind: 'service_changed',
        is_public: true,
        body: `Service changed from ${from.name} to ${to.name}; sent to ${where(routed.body, routed.team)}`,
        data: { from: from.code, to: to.code },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      // Why it went there is for staff: the rules are internal.
      await reportsRepo.insertEvent(trx, {
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
      await recordCaseRerouted(this.deps.jobs, trx, row.id, {
        from: {
          serviceId: from.id,
          serviceCode: from.code,
          bodyId: row.body_id,
          bodyCode: fromBody?.code ?? '',
          teamCode: fromTeam?.code ?? null,
        },
        by: actor,
      });
      await enqueueCaseDelivery(this.deps.jobs, trx, row.id); // the new body's inbox or system, if it has one
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

  /** Sets how urgent the case is for the team; recorded on the timeline (internal) and audited. */
  async setPriority(actor: Actor, reference: string, priority: string): Promise<void> {
    const row = await this.caseFor(actor, reference);
    if (!isPriority(priority))
      throw new AppError('validation_failed', 'Choose a priority', [
        { field: 'priority', message: 'Choose a priority' },
      ]);
    if (priority === row.priority) {
      const message = `The priority is already ${PRIORITY_LABELS[priority].toLowerCase()}: choose another`;
      throw new AppError('validation_failed', message, [{ field: 'priority', message }]);
    }
    await this.db.transaction().execute(async (trx) => {
      await repo.updateCase(trx, row.id, { priority });
      await reportsRepo.insertEvent(trx, {
        case_id: row.id,
        kind: 'priority_changed',
        is_public: false,
        body: `Priority changed from ${PRIORITY_LABELS[row.priority]} to ${PRIORITY_LABELS[priority]}`,
        data: { from: row.priority, to: priority },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await audit(trx, {
        staffId: actor.id,
        action: 'case.priority_set',
        caseId: row.id,
        detail: { from: row.priority, to: priority },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
      await recordPriorityChanged(this.deps.jobs, trx, row.id, {
        from: row.priority,
        to: priority,
        by: actor,
      });
    });
  }

  /**
   * Closes the case as a duplicate of an open case the officer can see. The reporter and followers of
   * the duplicate become followers of the original (once each, keeping whether they asked for updates);
   * both timelines say so; the duplicate's reporter and followers who asked for updates are emailed once,
   * with the original's page. Agents may not, as they may not change a status.
   */
  async markDuplicate(
    actor: Actor,
    reference: string,
    originalReference: string,
  ): Promise<{ original: string }> {
    if (actor.role === 'agent')
      throw new AppError('forbidden', 'Contact-centre agents cannot change the status of a case');
    const row = await this.caseFor(actor, reference);
    const fail = (message: string): never => {
      throw new AppError('validation_failed', message, [{ field: 'original', message }]);
    };
    if (row.duplicate_of_case_id) fail('This case is already marked as a duplicate');
    if (row.closed_at !== null) fail('Reopen the case before marking it as a duplicate');
    if (!originalReference) fail('Enter the reference of the original case');
    if (originalReference === row.reference)
      fail('A case cannot be a duplicate of itself: enter another reference');
    const original = await repo.caseByReference(this.db, originalReference);
    // Another body's case answers as an unknown one: the form must not tell who holds which reference.
    const visible = await this.deps.organisations.caseBodiesFor(actor.bodyId);
    if (!original || !visible.includes(original.body_id))
      return fail(`There is no case ${originalReference}`);
    if (original.duplicate_of_case_id) {
      const first = await reportsRepo.findById(this.db, original.duplicate_of_case_id);
      fail(
        `${original.reference} is itself a duplicate of ${first?.reference ?? 'another case'}: enter that reference`,
      );
    }
    if (original.closed_at !== null)
      fail(
        `${original.reference} is closed (${STATUS_LABELS[original.status]}): reopen it first, or choose an open case`,
      );

    const originalLink = original.is_public
      ? `${this.deps.baseUrl}/reports/${original.reference}`
      : `${this.deps.baseUrl}/track/${original.reference}`;
    const note = `This is the same problem as report ${original.reference}, so we have joined the two: follow ${original.reference} for updates.`;

    await this.db.transaction().execute(async (trx) => {
      // Checked again under row locks: two officers joining these cases the other way round at the same
      // moment must not make a loop, nor join into a case just closed.
      const locked = await repo.lockCases(trx, [row.id, original.id]);
      const now = {
        dup: locked.find((c) => c.id === row.id),
        orig: locked.find((c) => c.id === original.id),
      };
      if (!now.dup || now.dup.closed_at !== null || now.dup.duplicate_of_case_id)
        fail('This case was closed or marked as a duplicate a moment ago');
      if (!now.orig || now.orig.closed_at !== null || now.orig.duplicate_of_case_id)
        fail(`${original.reference} was closed or marked as a duplicate a moment ago`);
      // Who moves: the reporter (with the choice they made about updates) and the followers. Contacts
      // with an unverified address are not merged, so one person can be several contacts: the address
      // (or, without one, the contact) is who they are, and nobody follows the original twice.
      const contactEmail = async (id: string) =>
        (await this.deps.contacts.get(trx, id))?.email_normalised ?? null;
      const movers = new Map<string, { contactId: string; updates: boolean; email: string | null }>();
      const move = (contactId: string, email: string | null, updates: boolean) => {
        const key = email ?? `contact:${contactId}`;
        const seen = movers.get(key);
        movers.set(key, seen ? { ...seen, updates: seen.updates || updates } : { contactId, updates, email });
      };
      if (row.reporter_contact_id)
        move(row.reporter_contact_id, await contactEmail(row.reporter_contact_id), row.updates_by_email);
      for (const f of await repo.followersOf(trx, row.id))
        move(f.contact_id, f.email_normalised, f.updates_by_email);
      // The original's reporter already hears of it as its reporter.
      if (original.reporter_contact_id) {
        movers.delete(`contact:${original.reporter_contact_id}`);
        const email = await contactEmail(original.reporter_contact_id);
        if (email) movers.delete(email);
      }
      const already = await repo.followersOf(trx, original.id);
      let added = 0;
      for (const mover of movers.values()) {
        const existing = already.find(
          (f) =>
            f.contact_id === mover.contactId || (mover.email !== null && f.email_normalised === mover.email),
        );
        if (existing) {
          if (mover.updates && !existing.updates_by_email)
            await repo.wantUpdates(trx, original.id, existing.contact_id);
          continue;
        }
        await repo.addFollower(trx, original.id, mover.contactId, mover.updates);
        added++;
      }
      await repo.removeFollowers(trx, row.id);

      await repo.markDuplicate(trx, row.id, original.id, `Duplicate of ${original.reference}`);
      await reportsRepo.insertEvent(trx, {
        case_id: row.id,
        kind: 'status_changed',
        is_public: true,
        body: `Status changed to ${STATUS_LABELS.duplicate}`,
        data: { from: row.status, to: 'duplicate' },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await reportsRepo.insertEvent(trx, {
        case_id: row.id,
        kind: 'marked_duplicate',
        is_public: true,
        body: note,
        data: {
          reference: original.reference,
          linkedIsPublic: original.is_public,
          movedFollowers: movers.size,
        },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await reportsRepo.insertEvent(trx, {
        case_id: original.id,
        kind: 'duplicate_merged',
        is_public: true,
        body: `Report ${row.reference} is the same problem and was joined to this one${added ? `; ${added} ${added === 1 ? 'person' : 'people'} now follow it here` : ''}`,
        data: { reference: row.reference, linkedIsPublic: row.is_public, addedFollowers: added },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await audit(trx, {
        staffId: actor.id,
        action: 'case.marked_duplicate',
        caseId: row.id,
        detail: { originalId: original.id, original: original.reference, followersMoved: movers.size },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
      await audit(trx, {
        staffId: actor.id,
        action: 'case.duplicate_merged',
        caseId: original.id,
        detail: { duplicateId: row.id, duplicate: row.reference, followersAdded: added },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });

      // One email per person who asked for updates (the reporter among them), instead of the usual
      // closing summary: their report lives on as the original. Movers are already one per address.
      const recipients = new Set<string>();
      for (const mover of movers.values()) {
        if (!mover.updates) continue;
        const contact = await this.deps.contacts.get(trx, mover.contactId);
        if (contact?.email) recipients.add(contact.email);
      }
      const subject = `Report ${row.reference} was joined to report ${original.reference}`;
      const text = [
        `Thank you for your report ${row.reference}. Someone had already told us about the same problem, in report ${original.reference}, so we have joined your report to it.`,
        `We will email you when there is an update on ${original.reference}. See it here: ${originalLink}`,
      ].join('\n\n');
      const emails: QueuedEmail[] = [];
      for (const to of recipients) {
        const jobId = await enqueueEmail(
          this.deps.jobs,
          trx,
          {
            to,
            subject,
            text,
            html: textToHtml(text, { title: subject }),
            headers: { 'X-Civicdesk-Reference': row.reference },
          },
          { dedupeKey: `merged:${row.id}:${to.toLowerCase()}` },
        );
        if (jobId !== undefined) emails.push({ to, jobId });
      }
      if (recipients.size) {
        await reportsRepo.insertEvent(trx, {
          case_id: row.id,
          kind: 'email_queued',
          is_public: false,
          body: `Joined to ${original.reference}: emailed to ${recipients.size} ${recipients.size === 1 ? 'person' : 'people'}`,
          data: { emails },
          actor: 'system',
        });
      }
      await recordCaseUpdated(this.deps.jobs, trx, row.id, {
        from: row.status,
        status: 'duplicate',
        publicUpdate: note,
        closing: true,
        by: actor,
      });
      await enqueueOpen311Update(
        this.deps.jobs,
        trx,
        row.id,
        { status: 'duplicate', isClosed: true, description: note },
        actor,
      );
    });
    this.deps.jobs.wake();
    return { original: original.reference };
  }

  private async emailUpdate(
    trx: Executor,
    row: reportsRepo.CaseRow,
    change: { status: CaseStatus | undefined; publicUpdate: string; closing: boolean },
  ): Promise<void> {
    const recipients = new Set<string>();
    if (row.updates_by_email && row.reporter_contact_id) {
      const reporter = await this.deps.contacts.get(trx, row.reporter_contact_id);
      if (reporter?.email) recipients.add(reporter.email);
    }
    for (const follower of await repo.followersToEmail(trx, row.id))
      if (follower.email) recipients.add(follower.email);
    if (recipients.size === 0) return;

    const service = (await this.deps.services.list({ activeOnly: false }, trx)).find(
      (s) => s.id === row.service_id,
    );
    const publicTimeline = (await reportsRepo.listEvents(trx, row.id, { publicOnly: true }))
      .map(
        (e) =>
          `- ${e.created_at.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', timeZone: 'Europe/London' })}: ${e.body}`,
      )
      .join('\n');
    const link = `${this.deps.baseUrl}/reports/${row.reference}`;
    const subject = change.closing
      ? `Report ${row.reference} is closed: ${change.status ? STATUS_LABELS[change.status] : ''}`
      : `Update on report ${row.reference}: ${service?.name ?? ''}`;
    const text = change.closing
      ? [
          `Your report ${row.reference} (${service?.name ?? ''}, ${row.location_description || 'the place you marked'}) is now closed.`,
          `Outcome: ${change.status ? STATUS_LABELS[change.status] : ''}`,
          change.publicUpdate,
          `What we did:\n${publicTimeline}`,
          `If the problem is still there, reply to the council quoting ${row.reference} and we will reopen it. If you are unhappy with how we dealt with it, you can make a complaint to ${this.deps.councilName}.`,
          `See the report: ${link}`,
        ].join('\n\n')
      : [
          `There is an update on report ${row.reference} (${service?.name ?? ''}):`,
          change.publicUpdate || `Its status is now: ${change.status ? STATUS_LABELS[change.status] : ''}`,
          change.status && change.publicUpdate ? `Status: ${STATUS_LABELS[change.status]}` : '',
          `See the report: ${link}`,
        ]
          .filter(Boolean)
          .join('\n\n');
    const emails: QueuedEmail[] = [];
    for (const to of recipients) {
      const jobId = await enqueueEmail(this.deps.jobs, trx, {
        to,
        subject,
        text,
        html: textToHtml(text, { title: subject }),
        headers: { 'X-Civicdesk-Reference': row.reference },
      });
      if (jobId !== undefined) emails.push({ to, jobId });
    }
    await reportsRepo.insertEvent(trx, {
      case_id: row.id,
      kind: 'email_queued',
      is_public: false,
      body: `${change.closing ? 'Closing summary' : 'Update'} emailed to ${recipients.size} ${recipients.size === 1 ? 'person' : 'people'}`,
      // Which outbox jobs carry them, so the timeline can say whether each one went.
      data: { emails },
      actor: 'system',
    });
  }

  /**
   * "Bad news is better than no news": for each open case past its due date, once, tell the resident
   * (and followers) honestly that the date was missed and when to expect a response now, and tell the
   * team lead. The new date is the service's timescale counted again from now. Safe to run from any
   * number of workers: the notice is claimed by a guarded update before anything is written.
   */
  async sendOverdueNotices(now: Date = new Date(), batch = 100): Promise<number> {
    const cases = await repo.overdueUnnotified(this.db, now, batch);
    if (cases.length === 0) return 0;
    const services = await this.deps.services.list({ activeOnly: false });
    let sent = 0;
    for (const row of cases) {
      const service = services.find((s) => s.id === row.service_id);
      if (!service) continue;
      const calendar = await this.deps.calendars.workingCalendar(service.definition.calendar, now);
      const revised = dueDate(now, service.definition.timescale, calendar);
      const told = await this.db.transaction().execute(async (trx) => {
        if (!(await repo.markOverdueNotified(trx, row.id, revised))) return false;
        const when = formatDateTime(revised);
        const message = `We have not dealt with this by the date we gave, and we are sorry. We now expect to respond by ${when}.`;
        await reportsRepo.insertEvent(trx, {
          case_id: row.id,
          kind: 'overdue',
          is_public: true,
          body: message,
          data: { revisedDueAt: revised.toISOString() },
          actor: 'system',
        });
        const recipients = new Set<string>();
        if (row.updates_by_email && row.reporter_contact_id) {
          const reporter = await this.deps.contacts.get(trx, row.reporter_contact_id);
          if (reporter?.email) recipients.add(reporter.email);
        }
        for (const follower of await repo.followersToEmail(trx, row.id))
          if (follower.email) recipients.add(follower.email);
        const subject = `Report ${row.reference}: a new date`;
        const text = `About your report ${row.reference} (${service.name}, ${row.location_description || 'the place you marked'}):\n\n${message}\n\nSee the report: ${this.deps.baseUrl}/reports/${row.reference}`;
        for (const to of recipients) {
          await enqueueEmail(
            this.deps.jobs,
            trx,
            { to, subject, text, html: textToHtml(text, { title: subject }) },
            { dedupeKey: `overdue:${row.id}:${to}` },
          );
        }
        if (row.team_id) {
          for (const lead of await repo.teamLeadsOf(trx, row.team_id)) {
            const leadSubject = `Overdue: ${row.reference} (${service.name})`;
            const leadText = `Case ${row.reference} passed its due date. The resident has been told to expect a response by ${when}.\n\n${this.deps.baseUrl}/staff/cases/${row.reference}`;
            await enqueueEmail(
              this.deps.jobs,
              trx,
              {
                to: lead.email,
                subject: leadSubject,
                text: leadText,
                html: textToHtml(leadText, { title: leadSubject }),
              },
              { dedupeKey: `overdue-lead:${row.id}:${lead.email}` },
            );
          }
        }
        return true;
      });
      if (told) sent++;
    }
    if (sent) this.deps.jobs.wake();
    return sent;
  }
}
