/**
 * The case core: every change to a case goes through this service, each in its own transaction that
 * writes the change, its timeline entry, its audit record and the case events subscribers hear of
 * (case-events.ts): the resident's emails, webhooks and delivery to the body are subscribers. Front doors (resident pages, the back office, the contact centre,
 * the CRM API, the Open311 server) call it; it calls no integration.
 *
 * Access: staff see and act on cases of their own body (and bodies an admin granted theirs); contact-
 * centre agents can view, add notes, set the priority and change the service, but not change status,
 * close or mark a duplicate.
 */
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { CLOSING_STATUSES, isPriority, PRIORITY_LABELS, STATUS_LABELS } from '../../lib/case-status.js';
import { AppError } from '../../lib/errors.js';
import { formatDateTime } from '../../lib/dates.js';
import { dueDate } from '../../lib/working-time.js';
import type { CalendarsService } from '../calendars/index.js';
import type { ContactsService } from '../contacts/index.js';
import type { OrganisationsService } from '../organisations/index.js';
import type { RoutingService } from '../routing/index.js';
import type { ServicesService } from '../services/index.js';
import type { StaffDirectory } from '../staff/index.js';
import { audit } from '../audit/index.js';
import { CaseDuplicates } from './case-duplicates.js';
import { changedBy, updateEvents, type CaseEvents } from './case-events.js';
import { CaseReroute } from './case-reroute.js';
import { mayAssign, type Actor, type QueuedEmail } from './case-types.js';
import * as repo from './cases.repository.js';
import type { WorkflowService } from './workflow.js';

type MergeArgs =
  Parameters<ContactsService['merge']> extends [infer A, infer B, infer C, infer D, unknown]
    ? [A, B, C, D]
    : never;

export interface CasesDeps {
  services: ServicesService;
  organisations: OrganisationsService;
  routing: RoutingService;
  contacts: ContactsService;
  calendars: CalendarsService;
  workflow: WorkflowService;
  staff: StaffDirectory;
  jobs: Jobs;
  events: CaseEvents;
  baseUrl: string;
  councilName: string;
}

/** A timeline entry another part of the system records on a case (a delivery, a reply by email). */
export interface TimelineEntryInput {
  kind: string;
  isPublic: boolean;
  body?: string;
  data?: Record<string, unknown>;
  actor: repo.CaseEventRow['actor'];
  actorStaffId?: string | null;
}

export class CasesService {
  readonly #reroute: CaseReroute;
  readonly #duplicates: CaseDuplicates;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: CasesDeps,
  ) {
    this.#reroute = new CaseReroute(db, deps, this);
    this.#duplicates = new CaseDuplicates(db, deps, this);
  }

  /**
   * The case for this member of staff, or a 404 that does not say whether it exists in another body.
   * The one access rule for a single case: their own body's cases, and those of bodies an admin granted
   * their body (OrganisationsService.caseBodiesFor, which the queues use too).
   */
  async caseFor(actor: Pick<Actor, 'bodyId'>, reference: string) {
    const row = await repo.findByReference(this.db, reference);
    if (!row || !(await this.deps.organisations.caseBodiesFor(actor.bodyId)).includes(row.body_id))
      throw new AppError('not_found', 'There is no case with that reference');
    return row;
  }

  /** A case by reference with no access check: for the resident's pages and integrations that check their own. */
  byReference(reference: string, executor: Executor = this.db) {
    return repo.findByReference(executor, reference);
  }

  byId(id: string, executor: Executor = this.db) {
    return repo.findById(executor, id);
  }

  /** A body's cases by when they last changed, a page at a time (see repo.changedInBody). */
  changedInBody(bodyId: string, filter: Parameters<typeof repo.changedInBody>[2]) {
    return repo.changedInBody(this.db, bodyId, filter);
  }

  /** Who a case can be assigned to: the staff of the case's body, and the actor's own colleagues. */
  async assignableStaff(actor: Actor, caseBodyId: string) {
    const own = await this.deps.staff.ofBody(caseBodyId);
    return caseBodyId === actor.bodyId ? own : [...own, ...(await this.deps.staff.ofBody(actor.bodyId))];
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
      await repo.insertEvent(trx, {
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
      await repo.insertEvent(trx, {
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
   * Changes status and/or posts a public update. A public update appears on the tracking page; the
   * resident's emails (a case-event subscriber) send it to the reporter and followers who asked for
   * updates, and a summary of what was done when it closes. Agents may not change status.
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
        await repo.insertEvent(trx, {
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
        await repo.insertEvent(trx, {
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
      await this.deps.events.publish(
        trx,
        ...updateEvents(row, { status, publicUpdate, closing, reopening }, changedBy(actor)),
      );
    });
    this.deps.jobs.wake();
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
      await repo.insertEvent(trx, {
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
      await this.deps.events.publish(trx, {
        type: 'case.priority_changed',
        caseId: row.id,
        from: row.priority,
        to: priority,
        by: changedBy(actor),
      });
    });
  }

  changeService(actor: Actor, reference: string, serviceCode: string) {
    return this.#reroute.changeService(actor, reference, serviceCode);
  }

  markDuplicate(actor: Actor, reference: string, originalReference: string) {
    return this.#duplicates.markDuplicate(actor, reference, originalReference);
  }

  /**
   * "Bad news is better than no news": for each open case past its due date, once, say on its public
   * timeline that the date was missed and when to expect a response now (the service's timescale counted
   * again from now), and publish case.overdue so the resident, followers and team lead are told. Safe to
   * run from any number of workers: each case is claimed by a guarded update before anything is written.
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
        await repo.insertEvent(trx, {
          case_id: row.id,
          kind: 'overdue',
          is_public: true,
          body: overdueMessage(revised),
          data: { revisedDueAt: revised.toISOString() },
          actor: 'system',
        });
        await this.deps.events.publish(trx, {
          type: 'case.overdue',
          caseId: row.id,
          revisedDueAt: revised.toISOString(),
          by: { kind: 'system' },
        });
        return true;
      });
      if (told) sent++;
    }
    if (sent) this.deps.jobs.wake();
    return sent;
  }

  /** The addresses to email about a case: the reporter if they asked for updates, and followers who did. */
  async peopleToEmail(caseId: string, executor: Executor = this.db): Promise<string[]> {
    const row = await repo.findById(executor, caseId);
    if (!row) return [];
    const recipients = new Set<string>();
    if (row.updates_by_email && row.reporter_contact_id) {
      const reporter = await this.deps.contacts.get(executor, row.reporter_contact_id);
      if (reporter?.email) recipients.add(reporter.email);
    }
    for (const follower of await repo.followersToEmail(executor, caseId))
      if (follower.email) recipients.add(follower.email);
    return [...recipients];
  }

  /**
   * Notes on the timeline (internal) that emails were queued, with their outbox jobs, so the case page
   * can say whether each one went. Bookkeeping, not a change to the case: it leaves updated_at alone.
   */
  async recordEmailsQueued(
    executor: Executor,
    caseId: string,
    body: string,
    emails: QueuedEmail[],
  ): Promise<void> {
    await repo.insertEvent(
      executor,
      { case_id: caseId, kind: 'email_queued', is_public: false, body, data: { emails }, actor: 'system' },
      { touch: false },
    );
  }

  /**
   * Records something on a case's timeline inside the caller's transaction: a delivery to the body's
   * inbox or system, a reply that came back by email, another system's reference.
   */
  async addTimelineEntry(executor: Executor, caseId: string, entry: TimelineEntryInput): Promise<void> {
    await repo.insertEvent(executor, {
      case_id: caseId,
      kind: entry.kind,
      is_public: entry.isPublic,
      body: entry.body ?? '',
      data: entry.data ?? {},
      actor: entry.actor,
      actor_staff_id: entry.actorStaffId ?? null,
    });
  }

  /** Another system's own reference for a case (a CRM's case number), on the timeline and audited. */
  async setExternalReference(
    client: { id: string; name: string },
    caseId: string,
    value: string,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await repo.setExternalReference(trx, caseId, client.id, value);
      await repo.insertEvent(trx, {
        case_id: caseId,
        kind: 'external_reference',
        is_public: false,
        body: `${client.name} recorded its reference: ${value}`,
        data: { apiClientId: client.id, externalReference: value },
        actor: 'integration',
      });
      await audit(trx, {
        staffId: null,
        action: 'case.external_reference_set',
        caseId,
        detail: { apiClientId: client.id, apiClient: client.name, externalReference: value },
      });
    });
  }

  /**
   * Merges two records of one resident (ContactsService.merge decides whose details to keep); the case
   * core moves the other record's cases and follows to the kept one in the same transaction.
   */
  mergeContacts(...[scope, keepId, otherId, choices]: MergeArgs) {
    return this.deps.contacts.merge(scope, keepId, otherId, choices, (trx, fromId, intoId) =>
      repo.moveReporter(trx, fromId, intoId),
    );
  }

  /** The case as other systems see it (the CRM API's view; what webhooks send). */
  snapshot(caseId: string, executor: Executor = this.db) {
    return repo.caseSnapshot(executor, caseId);
  }

  /** The case's public timeline, oldest first (for an email's "what we did"). */
  publicTimeline(executor: Executor, caseId: string) {
    return repo.listEvents(executor, caseId, { publicOnly: true });
  }
}

/** What the timeline and the resident are told when a case misses its date. */
export function overdueMessage(revised: Date): string {
  return `We have not dealt with this by the date we gave, and we are sorry. We now expect to respond by ${formatDateTime(revised)}.`;
}
