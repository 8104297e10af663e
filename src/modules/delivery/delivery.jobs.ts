/**
 * The delivery module's case-event subscribers:
 *   - a new case, or one moved to another service, is delivered to its body's inbox or system (if the
 *     body has a delivery target for it);
 *   - a status change or public update on a case delivered to a body's system over Open311 is posted
 *     there too, once per change (a change with both carries its update text in the status event).
 * Each runs in its own outbox job, in order per case, and is safe to run again.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { CaseEventSubscriber, ChangedBy } from '../cases/index.js';
import { enqueueCaseDelivery } from './delivery.service.js';
import { enqueueOpen311Update } from './open311/open311-updates.js';

export function caseDeliverySubscriber(db: Kysely<Database>, jobs: Jobs): CaseEventSubscriber {
  return {
    name: 'delivery',
    events: ['case.created', 'case.rerouted'],
    async handle(event) {
      const queued = await db.transaction().execute((trx) => enqueueCaseDelivery(jobs, trx, event.caseId));
      if (queued) jobs.wake();
    },
  };
}

const source = (by: ChangedBy) =>
  by.kind === 'integration'
    ? { id: by.id, integration: true }
    : { id: by.kind === 'staff' ? by.id : by.kind };

export function open311UpdatesSubscriber(db: Kysely<Database>, jobs: Jobs): CaseEventSubscriber {
  return {
    name: 'open311-updates',
    events: ['case.status_changed', 'case.public_update'],
    async handle(event) {
      let update: Parameters<typeof enqueueOpen311Update>[3];
      if (event.type === 'case.status_changed')
        update = { status: event.to, isClosed: event.closed, description: event.publicUpdate ?? '' };
      else if (event.type === 'case.public_update' && !event.withStatusChange)
        update = { status: event.status, isClosed: event.isClosed, description: event.text };
      else return;
      // The update's id is the event's, so a second run of this job queues nothing new.
      await enqueueOpen311Update(jobs, db, event.caseId, update, source(event.by), event.eventId);
      jobs.wake();
    },
  };
}
