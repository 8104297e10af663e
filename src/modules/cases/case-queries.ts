/**
 * Reads of cases for the back office's pages, for the front doors that show them: the queues, a case's
 * timeline, a resident's cases and the emails sent to them. The SQL is in case-queue.repository.ts.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import * as queue from './case-queue.repository.js';
import { caseIdByReference } from './cases.repository.js';

export type { QueueFilter, QueueSort, QueueView } from './case-queue.repository.js';
export { COUNT_CAP } from './case-queue.repository.js';

export class CaseQueries {
  constructor(private readonly db: Kysely<Database>) {}

  queuePage(filter: queue.QueueFilter, options: Parameters<typeof queue.queuePage>[2]) {
    return queue.queuePage(this.db, filter, options);
  }

  queueCount(filter: queue.QueueFilter, view: queue.QueueView) {
    return queue.queueCount(this.db, filter, view);
  }

  timeline(caseId: string) {
    return queue.timeline(this.db, caseId);
  }

  otherCasesOf(contactId: string, exceptCaseId: string, bodyIds: string[]) {
    return queue.otherCasesOf(this.db, contactId, exceptCaseId, bodyIds);
  }

  casesOfContact(contactId: string, bodyIds: string[]) {
    return queue.casesOfContact(this.db, contactId, bodyIds);
  }

  duplicateLinks(caseId: string, duplicateOf: string | null) {
    return queue.duplicateLinks(this.db, caseId, duplicateOf);
  }

  outboxJobStates(ids: number[]) {
    return queue.outboxJobStates(this.db, ids);
  }

  emailEventsTo(email: string, bodyIds: string[]) {
    return queue.emailEventsTo(this.db, email, bodyIds);
  }

  idByReference(reference: string) {
    return caseIdByReference(this.db, reference);
  }
}
