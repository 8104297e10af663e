/**
 * The back office's pages' data: the queues, the case page, a resident's cases and emails, and the audit
 * trail. Reads only: every action on a case is the case core's (CasesService), which the routes call.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { ContactsService } from '../contacts/index.js';
import type { OrganisationsService } from '../organisations/index.js';
import type { ServicesService } from '../services/index.js';
import {
  toCase,
  type Actor,
  type Case,
  type CaseQueries,
  type CasesService,
  type QueueFilter,
  type QueueSort,
  type QueueView,
  type QueuedEmail,
  type WorkflowService,
} from '../cases/index.js';
import { audit, type AuditAction } from '../audit/index.js';

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

export const QUEUE_VIEWS: { view: QueueView; label: string }[] = [
  { view: 'mine', label: 'My cases' },
  { view: 'team', label: 'My team' },
  { view: 'unassigned', label: 'Unassigned' },
  { view: 'due-soon', label: 'Due soon' },
  { view: 'overdue', label: 'Overdue' },
  { view: 'all', label: 'All' },
];

const DUE_SOON_MS = 2 * 86_400_000;
export const PAGE_SIZE = 50;

export class CaseworkService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: {
      cases: CasesService;
      queries: CaseQueries;
      services: ServicesService;
      organisations: OrganisationsService;
      contacts: ContactsService;
      workflow: WorkflowService;
    },
  ) {}

  async queue(
    actor: Actor,
    query: {
      view: QueueView;
      serviceCode?: string;
      status?: QueueFilter['status'];
      wardCode?: string;
      priority?: QueueFilter['priority'];
      channel?: string;
      reportedFrom?: Date;
      reportedBefore?: Date;
      text?: string;
      sort?: QueueSort;
      page: number;
    },
  ) {
    const now = new Date();
    const filter: QueueFilter = {
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
      this.deps.queries.queuePage(filter, {
        limit: PAGE_SIZE,
        offset: (query.page - 1) * PAGE_SIZE,
        ...(query.sort ? { sort: query.sort } : {}),
      }),
      Promise.all(
        QUEUE_VIEWS.map(
          async ({ view }) => [view, await this.deps.queries.queueCount(filter, view)] as const,
        ),
      ),
    ]);
    return {
      rows: rows.map((r) => ({
        ...r,
        overdue: r.closedAt === null && r.dueAt !== null && r.dueAt < now,
        dueSoon:
          r.closedAt === null &&
          r.dueAt !== null &&
          r.dueAt >= now &&
          r.dueAt.getTime() < now.getTime() + DUE_SOON_MS,
      })),
      counts: Object.fromEntries(counts) as Record<QueueView, number>,
    };
  }

  async caseFor(actor: Actor, reference: string): Promise<Case> {
    return toCase(await this.deps.cases.caseFor(actor, reference));
  }

  private assignableStaff(actor: Actor, caseBodyId: string) {
    return this.deps.cases.assignableStaff(actor, caseBodyId);
  }

  /** Records something a member of staff did or saw that is not an action on a case (viewing a contact). */
  async recordAudit(actor: Actor, action: AuditAction, detail: Record<string, unknown>): Promise<void> {
    await audit(this.db, {
      staffId: actor.id,
      action,
      detail,
      ...(actor.ip ? { ip: actor.ip } : {}),
    });
  }

  /** A contact's cases (reported or followed) that this member of staff may see, newest first. */
  async casesOfContact(actor: Actor, contactId: string) {
    const rows = await this.deps.queries.casesOfContact(
      contactId,
      await this.deps.organisations.caseBodiesFor(actor.bodyId),
    );
    return rows;
  }

  /** The emails sent to this address about cases this member of staff may see, with what became of each. */
  async emailsTo(actor: Actor, email: string) {
    const events = await this.deps.queries.emailEventsTo(
      email,
      await this.deps.organisations.caseBodiesFor(actor.bodyId),
    );
    const jobIds = events.flatMap((e) =>
      ((e.data as { emails?: QueuedEmail[] }).emails ?? []).filter((m) => m.to === email).map((m) => m.jobId),
    );
    const jobs = new Map((await this.deps.queries.outboxJobStates(jobIds)).map((j) => [Number(j.id), j]));
    return events.map((e) => {
      const mine = ((e.data as { emails?: QueuedEmail[] }).emails ?? []).find((m) => m.to === email);
      return {
        reference: e.reference,
        what: e.body,
        at: e.createdAt,
        state: emailDeliveryState(mine ? jobs.get(mine.jobId) : undefined),
      };
    });
  }

  /** Everything the case page shows, for its view model. Viewing personal data is audited. */
  async casePage(actor: Actor, reference: string) {
    const found = await this.caseFor(actor, reference);
    const [services, teams, events, contact, staff] = await Promise.all([
      this.deps.services.list({ activeOnly: false }),
      this.deps.organisations.teams(),
      this.deps.queries.timeline(found.id),
      found.reporterContactId ? this.deps.contacts.get(this.db, found.reporterContactId) : undefined,
      this.assignableStaff(actor, found.bodyId),
    ]);
    const visibleBodies = await this.deps.organisations.caseBodiesFor(actor.bodyId);
    const [otherCases, interactions, duplicates] = await Promise.all([
      found.reporterContactId
        ? this.deps.queries.otherCasesOf(found.reporterContactId, found.id, visibleBodies)
        : [],
      found.reporterContactId
        ? this.deps.contacts.interactions(
            { staffId: actor.id, bodyId: actor.bodyId },
            found.reporterContactId,
          )
        : [],
      this.deps.queries.duplicateLinks(found.id, found.duplicateOfCaseId),
    ]);
    await audit(this.db, {
      staffId: actor.id,
      action: 'case.viewed',
      caseId: found.id,
      ...(actor.ip ? { ip: actor.ip } : {}),
    });
    const service = services.find((s) => s.id === found.serviceId)!;
    const jobIds = events.flatMap((e) =>
      e.kind === 'email_queued'
        ? ((e.data as { emails?: QueuedEmail[] }).emails ?? []).map((m) => m.jobId)
        : [],
    );
    const jobs = new Map((await this.deps.queries.outboxJobStates(jobIds)).map((j) => [Number(j.id), j]));
    return {
      case: found,
      service,
      /** Services the case can be moved to (active ones), for "Change service". */
      services: services.filter((s) => s.active).map((s) => ({ code: s.code, name: s.name })),
      duplicateOf: duplicates.original,
      duplicates: duplicates.duplicates,
      team: teams.find((t) => t.id === found.teamId),
      teams: teams.filter((t) => t.bodyId === found.bodyId),
      colleagues: staff,
      contact,
      otherCases,
      // Anyone picking up the next call is caught up: the latest calls, visits, letters and emails.
      interactions: interactions.slice(0, 5),
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
      now: new Date(),
      // The statuses the page offers: where it is now, and where the workflow lets it go from here.
      statusChoices: [found.status, ...(await this.deps.workflow.nextStatuses(found.status))],
    };
  }
}

/** What the case page is built from (CaseworkService.casePage). */
export type CasePageData = Awaited<ReturnType<CaseworkService['casePage']>>;
