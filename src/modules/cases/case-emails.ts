/**
 * The emails the case core sends residents and teams as part of a change: the update and closing summary
 * to the reporter and followers, and the honest "a new date" notice when a case passes its due date
 * (with its team lead told). Each is queued in the change's own transaction and recorded on the
 * timeline with its outbox job, so the case page can say whether it went.
 */
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { formatDateTime } from '../../lib/dates.js';
import { textToHtml } from '../../lib/email-template.js';
import { dueDate } from '../../lib/working-time.js';
import type { QueuedEmail } from './case-types.js';
import type { CasesDeps } from './cases.service.js';
import * as repo from './cases.repository.js';

export class CaseEmails {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: CasesDeps,
  ) {}

  async emailUpdate(
    trx: Executor,
    row: repo.CaseRow,
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
    const publicTimeline = (await repo.listEvents(trx, row.id, { publicOnly: true }))
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
    await repo.insertEvent(trx, {
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
        await repo.insertEvent(trx, {
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
          for (const lead of await this.deps.staff.teamLeads(row.team_id, trx)) {
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
