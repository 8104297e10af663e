/**
 * Reads of cases for the back office's pages, for the front doors that show them: the queues, a case's
 * timeline, a resident's cases and the emails sent to them. The SQL is in case-queue.repository.ts; what
 * leaves here is camelCase (case.ts), never a row.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import * as queue from './case-queue.repository.js';
import { caseIdByReference } from './cases.repository.js';
import type { ContactCase, EmailEvent, OtherCase, QueuedCase, TimelineEntry } from './case.js';

export type { QueueFilter, QueueSort, QueueView } from './case-queue.repository.js';
export { COUNT_CAP } from './case-queue.repository.js';

export class CaseQueries {
  constructor(private readonly db: Kysely<Database>) {}

  async queuePage(
    filter: queue.QueueFilter,
    options: Parameters<typeof queue.queuePage>[2],
  ): Promise<QueuedCase[]> {
    const rows = await queue.queuePage(this.db, filter, options);
    return rows.map((r) => ({
      id: r.id,
      reference: r.reference,
      status: r.status,
      priority: r.priority,
      channel: r.channel,
      locationDescription: r.location_description,
      description: r.description,
      dueAt: r.due_at,
      createdAt: r.created_at,
      closedAt: r.closed_at,
      serviceName: r.service_name,
      teamName: r.team_name,
      assigneeName: r.assignee_name,
    }));
  }

  queueCount(filter: queue.QueueFilter, view: queue.QueueView) {
    return queue.queueCount(this.db, filter, view);
  }

  async timeline(caseId: string): Promise<TimelineEntry[]> {
    const rows = await queue.timeline(this.db, caseId);
    return rows.map((e) => ({
      id: e.id,
      kind: e.kind,
      isPublic: e.is_public,
      body: e.body,
      data: e.data,
      actor: e.actor,
      createdAt: e.created_at,
      staffName: e.staff_name,
    }));
  }

  async otherCasesOf(contactId: string, exceptCaseId: string, bodyIds: string[]): Promise<OtherCase[]> {
    const rows = await queue.otherCasesOf(this.db, contactId, exceptCaseId, bodyIds);
    return rows.map((r) => ({
      reference: r.reference,
      status: r.status,
      createdAt: r.created_at,
      serviceName: r.service_name,
    }));
  }

  async casesOfContact(contactId: string, bodyIds: string[]): Promise<ContactCase[]> {
    const rows = await queue.casesOfContact(this.db, contactId, bodyIds);
    return rows.map((r) => ({
      reference: r.reference,
      status: r.status,
      createdAt: r.created_at,
      closedAt: r.closed_at,
      channel: r.channel,
      locationDescription: r.location_description,
      serviceName: r.service_name,
      reported: Boolean(r.reported),
    }));
  }

  duplicateLinks(caseId: string, duplicateOf: string | null) {
    return queue.duplicateLinks(this.db, caseId, duplicateOf);
  }

  outboxJobStates(ids: number[]) {
    return queue.outboxJobStates(this.db, ids);
  }

  async emailEventsTo(email: string, bodyIds: string[]): Promise<EmailEvent[]> {
    const rows = await queue.emailEventsTo(this.db, email, bodyIds);
    return rows.map((e) => ({
      id: e.id,
      body: e.body,
      data: e.data,
      createdAt: e.created_at,
      reference: e.reference,
    }));
  }

  idByReference(reference: string) {
    return caseIdByReference(this.db, reference);
  }
}
