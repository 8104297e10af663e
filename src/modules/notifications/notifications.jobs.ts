/**
 * The resident's and the team's emails about a case, as a case-event subscriber: the receipt and the
 * team's notice when a case is made, an update or the closing summary when staff or a system post one,
 * and the "a new date" notice (with the team lead's copy) when a case misses its date.
 *
 * Each event is handled in one transaction that queues the emails (outbox jobs with dedupe keys derived
 * from the case or the event, so a retried job never sends twice) and notes them on the case's timeline
 * with their jobs, so the case page can say whether each one went. The case core knows nothing of this
 * module; the composition root subscribes it.
 */
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import type { OutgoingEmail } from '../../infra/mailer/mailer.js';
import { CLOSING_STATUSES } from '../../lib/case-status.js';
import { formatDateTime } from '../../lib/dates.js';
import {
  channelWords,
  describeLocation,
  formatDue,
  overdueMessage,
  trackingUrl,
  type CaseEventSubscriber,
  type CaseRow,
  type CasesService,
  type DeliveredCaseEvent,
  type QueuedEmail,
} from '../cases/index.js';
import type { ContactsService } from '../contacts/index.js';
import type { Body, OrganisationsService, Team } from '../organisations/index.js';
import type { ServicesService } from '../services/index.js';
import type { StaffDirectory } from '../staff/index.js';
import {
  caseUpdateEmail,
  joinedEmail,
  overdueEmail,
  overdueLeadEmail,
  receiptEmail,
  teamNotificationEmail,
  type CaseFacts,
} from './notification-emails.js';

export interface NotificationsDeps {
  db: Kysely<Database>;
  jobs: Jobs;
  cases: CasesService;
  services: ServicesService;
  organisations: OrganisationsService;
  contacts: ContactsService;
  staff: StaffDirectory;
  baseUrl: string;
  councilName: string;
}

type EventOf<T extends DeliveredCaseEvent['type']> = Extract<DeliveredCaseEvent, { type: T }>;

export function notificationsSubscriber(deps: NotificationsDeps): CaseEventSubscriber {
  const notifications = new CaseNotifications(deps);
  return {
    name: 'notifications',
    events: [
      'case.created',
      'case.status_changed',
      'case.public_update',
      'case.marked_duplicate',
      'case.overdue',
    ],
    // The receipt carries the reporter's tracking link; the key exists nowhere else in clear.
    receivesTrackingToken: true,
    handle: (event) => notifications.handle(event),
  };
}

class CaseNotifications {
  constructor(private readonly deps: NotificationsDeps) {}

  async handle(event: DeliveredCaseEvent): Promise<void> {
    // Read before the transaction: these services use their own connection (PGlite has only one).
    const [bodies, teams] =
      event.type === 'case.created'
        ? await Promise.all([this.deps.organisations.bodies(), this.deps.organisations.teams()])
        : [[], []];
    await this.deps.db.transaction().execute(async (trx) => {
      const row = await this.deps.cases.byId(event.caseId, trx);
      if (!row) return;
      switch (event.type) {
        case 'case.created':
          return this.created(trx, row, event, { bodies, teams });
        case 'case.status_changed':
          // A status change that came with a public update is told once, by that update's event; a
          // report joined to another is told so by case.marked_duplicate instead of a closing summary.
          if (event.publicUpdate !== null || event.to === 'duplicate') return;
          return this.updated(trx, row, event.eventId, {
            status: event.to,
            publicUpdate: '',
            closing: CLOSING_STATUSES.has(event.to),
          });
        case 'case.public_update':
          if (event.withStatusChange && event.status === 'duplicate') return;
          return this.updated(trx, row, event.eventId, {
            status: event.withStatusChange ? event.status : undefined,
            publicUpdate: event.text,
            closing: event.withStatusChange && CLOSING_STATUSES.has(event.status),
          });
        case 'case.marked_duplicate':
          return this.joined(trx, row, event);
        case 'case.overdue':
          return this.overdue(trx, row, event);
      }
    });
    this.deps.jobs.wake();
  }

  /** The resident's receipt (if they gave an email and want updates) and the team's notice. */
  private async created(
    trx: Executor,
    row: CaseRow,
    event: EventOf<'case.created'>,
    { bodies, teams }: { bodies: Body[]; teams: Team[] },
  ): Promise<void> {
    const service = await this.serviceOf(row, trx);
    const body = bodies.find((b) => b.id === row.body_id);
    const team = teams.find((t) => t.id === row.team_id);
    const reporter = row.reporter_contact_id
      ? await this.deps.contacts.get(trx, row.reporter_contact_id)
      : undefined;
    const values = {
      reference: row.reference,
      service: service?.name ?? '',
      location: describeLocation(row.location_description, row.location_detail, row.lat, row.lon),
      handled_by: team ? `${body?.name ?? ''} (${team.name})` : (body?.name ?? ''),
      due_date: row.due_at ? formatDue(row.due_at) : '',
      what_happens_next: service?.definition.whatHappensNext ?? '',
      // Without the key (it is only ever in the event that made the case) the page asks for an email.
      track_url: event.trackingToken
        ? trackingUrl(this.deps.baseUrl, row.reference, event.trackingToken)
        : `${this.deps.baseUrl}/track/${row.reference}`,
      council: this.deps.councilName,
      reporter_name: reporter?.name?.trim() || 'there',
    };
    if (row.updates_by_email && reporter?.email) {
      const email = receiptEmail(reporter.email, service?.definition.receiptTemplate, values);
      await this.queue(trx, row, 'Receipt emailed to the resident', [
        { to: reporter.email, email, dedupeKey: `receipt:${row.id}` },
      ]);
    }
    // The team's own address, else the body's: the routing decision is on the case.
    const notify = team?.email ?? body?.email ?? null;
    if (notify) {
      const questions = service?.definition.questions ?? [];
      const answers = Object.entries(row.answers as Record<string, string | string[]>).map(
        ([code, value]) => {
          const question = questions.find((q) => q.code === code);
          const shown = (Array.isArray(value) ? value : [value])
            .map((v) => question?.options?.find((o) => o.key === v)?.name ?? v)
            .join(', ');
          return `${question?.text ?? code} ${shown}`;
        },
      );
      const email = teamNotificationEmail(notify, {
        ...values,
        description: row.description,
        answers,
        channel: channelWords(row.channel),
      });
      await enqueueEmail(this.deps.jobs, trx, email, { dedupeKey: `team-notice:${row.id}` });
    }
  }

  /** An update or the closing summary to the reporter and followers who asked for updates. */
  private async updated(
    trx: Executor,
    row: CaseRow,
    eventId: string,
    change: { status: CaseStatus | undefined; publicUpdate: string; closing: boolean },
  ): Promise<void> {
    const recipients = await this.deps.cases.peopleToEmail(row.id, trx);
    if (recipients.length === 0) return;
    const facts = await this.factsOf(row, trx);
    // The timeline as it is when the summary is written: a change made since (a reopening straight
    // after) would be told by its own event.
    const timeline = change.closing
      ? (await this.deps.cases.publicTimeline(trx, row.id)).map((e) => ({ at: e.created_at, text: e.body }))
      : [];
    const people = `${recipients.length} ${recipients.length === 1 ? 'person' : 'people'}`;
    await this.queue(
      trx,
      row,
      `${change.closing ? 'Closing summary' : 'Update'} emailed to ${people}`,
      recipients.map((to) => ({
        to,
        email: caseUpdateEmail(to, facts, { ...change, timeline, councilName: this.deps.councilName }),
        dedupeKey: `update:${eventId}:${to}`,
      })),
    );
  }

  /** Those who asked for updates and now follow the original, once per address. */
  private async joined(trx: Executor, row: CaseRow, event: EventOf<'case.marked_duplicate'>): Promise<void> {
    const original = await this.deps.cases.byId(event.originalId, trx);
    if (!original) return;
    const originalLink = original.is_public
      ? `${this.deps.baseUrl}/reports/${original.reference}`
      : `${this.deps.baseUrl}/track/${original.reference}`;
    const recipients = new Set<string>();
    for (const contactId of event.toTell) {
      const contact = await this.deps.contacts.get(trx, contactId);
      if (contact?.email) recipients.add(contact.email);
    }
    if (recipients.size === 0) return;
    const people = `${recipients.size} ${recipients.size === 1 ? 'person' : 'people'}`;
    await this.queue(
      trx,
      row,
      `Joined to ${original.reference}: emailed to ${people}`,
      [...recipients].map((to) => ({
        to,
        email: joinedEmail(to, {
          reference: row.reference,
          originalReference: original.reference,
          originalLink,
        }),
        dedupeKey: `merged:${row.id}:${to.toLowerCase()}`,
      })),
    );
  }

  /** The honest new date to the reporter and followers, and the team lead's copy. */
  private async overdue(trx: Executor, row: CaseRow, event: EventOf<'case.overdue'>): Promise<void> {
    const facts = await this.factsOf(row, trx);
    const revised = new Date(event.revisedDueAt);
    const message = overdueMessage(revised);
    for (const to of await this.deps.cases.peopleToEmail(row.id, trx))
      await enqueueEmail(this.deps.jobs, trx, overdueEmail(to, facts, message), {
        dedupeKey: `overdue:${row.id}:${to}`,
      });
    if (!row.team_id) return;
    for (const lead of await this.deps.staff.teamLeads(row.team_id, trx)) {
      const email = overdueLeadEmail(lead.email, {
        ...facts,
        caseUrl: `${this.deps.baseUrl}/staff/cases/${row.reference}`,
        expectedBy: formatDateTime(revised),
      });
      await enqueueEmail(this.deps.jobs, trx, email, { dedupeKey: `overdue-lead:${row.id}:${lead.email}` });
    }
  }

  /**
   * Queues the emails and, if any is new (a retried job finds them queued already), notes them on the
   * timeline with their outbox jobs.
   */
  private async queue(
    trx: Executor,
    row: CaseRow,
    note: string,
    emails: { to: string; email: OutgoingEmail; dedupeKey: string }[],
  ): Promise<void> {
    const queued: QueuedEmail[] = [];
    for (const { to, email, dedupeKey } of emails) {
      const jobId = await enqueueEmail(this.deps.jobs, trx, email, { dedupeKey });
      if (jobId !== undefined) queued.push({ to, jobId });
    }
    if (queued.length > 0) await this.deps.cases.recordEmailsQueued(trx, row.id, note, queued);
  }

  private async factsOf(row: CaseRow, trx: Executor): Promise<CaseFacts> {
    return {
      reference: row.reference,
      serviceName: (await this.serviceOf(row, trx))?.name ?? '',
      locationDescription: row.location_description,
      link: `${this.deps.baseUrl}/reports/${row.reference}`,
    };
  }

  private async serviceOf(row: CaseRow, trx: Executor) {
    return (await this.deps.services.list({ activeOnly: false }, trx)).find((s) => s.id === row.service_id);
  }
}
