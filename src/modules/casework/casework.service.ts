/**
 * Case work in the back office: queues, the case page, and the actions officers take on a case. Every
 * action writes its timeline event, its audit record and any email in one transaction; public updates
 * and closures are emailed to the reporter and the followers who asked for updates.
 *
 * Access: staff see and act on cases of their own body only; contact-centre agents can view and add
 * notes but not change status or close.
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
import { normaliseReference } from '../../lib/reference.js';
import { formatDateTime } from '../../lib/dates.js';
import type { OrganisationsService } from '../organisations/organisations.service.js';
import { STATUS_LABELS } from '../reports/reports.service.js';
import * as reportsRepo from '../reports/reports.repository.js';
import type { ServicesService } from '../services/services.service.js';
import * as repo from './casework.repository.js';
import { recordCaseUpdated } from '../webhooks/webhooks.service.js';
import { enqueueOpen311Update } from '../delivery/open311/open311-updates.js';

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

/** One row of the audit trail as the admin view shows it. */
export interface AuditEntry {
  id: number;
  action: string;
  at: Date;
  ip: string | null;
  /** Who did it (null for another system, or a deleted account). */
  staff: { id: string; name: string; email: string } | null;
  caseReference: string | null;
  detail: Record<string, unknown>;
}

/** Statuses that close a case; the others keep it open. */
export const CLOSING_STATUSES: ReadonlySet<CaseStatus> = new Set([
  'fixed',
  'closed_not_fixed',
  'not_responsible',
  'duplicate',
  'cancelled',
]);

export const QUEUE_VIEWS: { view: repo.QueueView; label: string }[] = [
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
      services: ServicesService;
      organisations: OrganisationsService;
      contacts: ContactsService;
      calendars: CalendarsService;
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
      text?: string;
      page: number;
    },
  ) {
    const now = new Date();
    const filter: repo.QueueFilter = {
      bodyId: actor.bodyId,
      staffId: actor.id,
      teamId: actor.teamId,
      view: query.view,
      ...(query.serviceCode ? { serviceCode: query.serviceCode } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.wardCode ? { wardCode: query.wardCode } : {}),
      ...(query.text ? { text: query.text } : {}),
      now,
      dueSoonBefore: new Date(now.getTime() + DUE_SOON_MS),
    };
    const [rows, counts] = await Promise.all([
      repo.queuePage(this.db, filter, { limit: PAGE_SIZE, offset: (query.page - 1) * PAGE_SIZE }),
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

  /** The case for this member of staff, or a 404 that does not say whether it exists in another body. */
  async caseFor(actor: Actor, reference: string) {
    const row = await repo.caseByReference(this.db, reference);
    if (!row || row.body_id !== actor.bodyId)
      throw new AppError('not_found', 'There is no case with that reference');
    return row;
  }

  /**
   * The audit trail for administrators (the route checks the role): newest first, a page at a time,
   * filtered by person (who did it, or whose account it was done to), action, case and time. A case
   * reference that matches no case matches no event.
   */
  async auditTrail(query: {
    staffId?: string;
    action?: string;
    caseReference?: string;
    from?: Date;
    to?: Date;
    page: number;
    pageSize: number;
  }): Promise<{ events: AuditEntry[]; total: number; actions: string[] }> {
    const filter: repo.AuditFilter = {
      ...(query.staffId ? { staffId: query.staffId } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
    };
    if (query.caseReference) {
      const found = await repo.caseIdByReference(this.db, normaliseReference(query.caseReference));
      if (!found) return { events: [], total: 0, actions: await repo.auditActions(this.db) };
      filter.caseId = found.id;
    }
    const [rows, total, actions] = await Promise.all([
      repo.auditEvents(this.db, filter, {
        limit: query.pageSize,
        offset: (query.page - 1) * query.pageSize,
      }),
      repo.countAuditEvents(this.db, filter),
      repo.auditActions(this.db),
    ]);
    return {
      events: rows.map((row) => ({
        id: Number(row.id),
        action: row.action,
        at: row.created_at,
        ip: row.ip,
        staff: row.staff_user_id
          ? { id: row.staff_user_id, name: row.staff_name ?? '', email: row.staff_email ?? '' }
          : null,
        caseReference: row.case_reference,
        detail: (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as Record<
          string,
          unknown
        >,
      })),
      total,
      actions,
    };
  }

  /** Records something a member of staff did or saw that is not an action on a case (viewing a contact). */
  async recordAudit(actor: Actor, action: string, detail: Record<string, unknown>): Promise<void> {
    await repo.audit(this.db, { staffId: actor.id, action, detail, ...(actor.ip ? { ip: actor.ip } : {}) });
  }

  /** A contact's cases (reported or followed) that this member of staff may see, newest first. */
  async casesOfContact(actor: Actor, contactId: string) {
    const rows = await repo.casesOfContact(this.db, contactId, actor.bodyId);
    return rows.map((r) => ({ ...r, statusLabel: STATUS_LABELS[r.status], isOpen: r.closed_at === null }));
  }

  /** Everything the case page shows. Viewing personal data is audited. */
  async casePage(actor: Actor, reference: string) {
    const row = await this.caseFor(actor, reference);
    const [services, teams, events, contact, staff] = await Promise.all([
      this.deps.services.list({ activeOnly: false }),
      this.deps.organisations.teams(),
      repo.timeline(this.db, row.id),
      row.reporter_contact_id ? this.deps.contacts.get(this.db, row.reporter_contact_id) : undefined,
      repo.staffOfBody(this.db, actor.bodyId),
    ]);
    const [otherCases, interactions] = row.reporter_contact_id
      ? await Promise.all([
          repo.otherCasesOf(this.db, row.reporter_contact_id, row.id),
          this.deps.contacts.interactions(
            { staffId: actor.id, bodyId: actor.bodyId },
            row.reporter_contact_id,
          ),
        ])
      : [[], []];
    await repo.audit(this.db, {
      staffId: actor.id,
      action: 'case.viewed',
      caseId: row.id,
      ...(actor.ip ? { ip: actor.ip } : {}),
    });
    const service = services.find((s) => s.id === row.service_id)!;
    return {
      row,
      service,
      statusLabel: STATUS_LABELS[row.status],
      isOpen: row.closed_at === null,
      team: teams.find((t) => t.id === row.team_id),
      teams: teams.filter((t) => t.bodyId === actor.bodyId),
      staff,
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
      events,
      overdue: row.closed_at === null && row.due_at !== null && row.due_at < new Date(),
    };
  }

  async assign(
    actor: Actor,
    reference: string,
    to: { staffId?: string | null; teamId?: string | null },
  ): Promise<void> {
    const row = await this.caseFor(actor, reference);
    const staff = await repo.staffOfBody(this.db, actor.bodyId);
    const teams = (await this.deps.organisations.teams()).filter((t) => t.bodyId === actor.bodyId);
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
      await repo.audit(trx, {
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
      await repo.audit(trx, { staffId: actor.id, action: 'case.note_added', caseId: row.id });
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
      await repo.audit(trx, {
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
    for (const to of recipients) {
      await enqueueEmail(this.deps.jobs, trx, {
        to,
        subject,
        text,
        html: textToHtml(text, { title: subject }),
        headers: { 'X-Civicdesk-Reference': row.reference },
      });
    }
    await reportsRepo.insertEvent(trx, {
      case_id: row.id,
      kind: 'email_queued',
      is_public: false,
      body: `${change.closing ? 'Closing summary' : 'Update'} emailed to ${recipients.size} ${recipients.size === 1 ? 'person' : 'people'}`,
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
