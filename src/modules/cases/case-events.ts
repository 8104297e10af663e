/**
 * Case events: what happened to a case, as the rest of the system hears of it.
 *
 * Every change the case core makes writes its event in the same transaction as the change, as one outbox
 * job per subscriber that wants that type. So a subscriber (webhooks, delivery to a body's system,
 * Open311 updates, later counts and retention clocks) hears of every committed change at least once and
 * never of a change that was rolled back, retries on its own without holding up the others, and a
 * subscriber's failure can never undo a resident's report. Jobs of one subscriber for one case run in the
 * order they were written (the outbox's ordering key), so "closed" never overtakes "created".
 *
 * The core imports no subscriber: the composition root (src/services.ts) registers them. Adding one means
 * writing its `*.jobs.ts` and one line there; nothing in this module changes.
 */
import type { CaseStatus } from '../../db/database.js';
import type { Actor } from './case-types.js';
import { caseSnapshot, type CaseSnapshot } from './cases.repository.js';

export type { CaseSnapshot };
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

/** Who made a change, as far as a subscriber needs to know (a system ignores the echo of its own writes). */
export type ChangedBy =
  | { kind: 'staff'; id: string }
  | { kind: 'integration'; id: string }
  | { kind: 'resident' }
  | { kind: 'system' };

/** Where a case sat before it was moved: codes (as receivers know them) and ids (as subscriptions are scoped). */
export interface CasePlacement {
  serviceId: string;
  serviceCode: string;
  bodyId: string;
  bodyCode: string;
  teamCode: string | null;
}

interface Base {
  caseId: string;
  by: ChangedBy;
}

export type CaseEvent =
  | (Base & {
      type: 'case.created';
      /**
       * The reporter's secret tracking key, for the receipt's link. Only subscribers that declare
       * `receivesTrackingToken` get it (the resident's emails); it is stripped from everyone else's job.
       */
      trackingToken?: string;
    })
  | (Base & {
      type: 'case.status_changed';
      from: CaseStatus;
      to: CaseStatus;
      reopened: boolean;
      /** Whether the case is closed after the change. */
      closed: boolean;
      /** The public update that came with the change, if any (one update for systems that take them whole). */
      publicUpdate: string | null;
    })
  | (Base & {
      type: 'case.public_update';
      text: string;
      /** The status after the change this update came with, and whether the case is closed after it. */
      status: CaseStatus;
      isClosed: boolean;
      /** True when the same change also moved the status (a case.status_changed carries this text too). */
      withStatusChange: boolean;
    })
  | (Base & { type: 'case.closed'; status: CaseStatus })
  | (Base & { type: 'case.rerouted'; from: CasePlacement })
  | (Base & { type: 'case.priority_changed'; from: string; to: string })
  | (Base & {
      type: 'case.marked_duplicate';
      originalId: string;
      note: string;
      /** The contacts who asked for updates on this case and now follow the original instead. */
      toTell: string[];
    })
  /** The case passed its due date: the timeline says so publicly, with the date now expected. */
  | (Base & { type: 'case.overdue'; revisedDueAt: string });

export type CaseEventType = CaseEvent['type'];

export const CASE_EVENT_TYPES: readonly CaseEventType[] = [
  'case.created',
  'case.status_changed',
  'case.public_update',
  'case.closed',
  'case.rerouted',
  'case.priority_changed',
  'case.marked_duplicate',
  'case.overdue',
];

/**
 * An event as its subscriber receives it: with the id it was written under, when, and (for subscribers
 * that ask) the case as it was straight after the change, read in the change's own transaction.
 */
export type DeliveredCaseEvent = CaseEvent & { eventId: string; at: string; case?: CaseSnapshot };

export interface CaseEventSubscriber {
  /** Short and stable: it names the outbox jobs (`case-event:<name>`) and their dedupe keys. */
  name: string;
  events: readonly CaseEventType[];
  /** Send the case as it was straight after the change (webhooks promise receivers that snapshot). */
  withSnapshot?: boolean;
  /** Receive case.created's tracking key (only the subscriber that emails the resident their receipt). */
  receivesTrackingToken?: boolean;
  /**
   * Asked inside the change's transaction, once per publish: false means nothing of this subscriber's
   * wants these events now (no webhook endpoint does), and no job is written.
   */
  wants?(executor: Executor, types: CaseEventType[]): Promise<boolean>;
  /** Runs in a worker, at least once per event; must be safe to run again. */
  handle(event: DeliveredCaseEvent): Promise<void>;
}

const jobKind = (subscriber: string) => `case-event:${subscriber}`;

/**
 * The subscribers and the one way to publish to them. Built once by the composition root, which registers
 * each subscriber's job handler on the outbox.
 */
export class CaseEvents {
  readonly #subscribers: CaseEventSubscriber[] = [];

  constructor(private readonly jobs: Jobs) {}

  subscribe(subscriber: CaseEventSubscriber): void {
    if (this.#subscribers.some((s) => s.name === subscriber.name))
      throw new Error(`A case-event subscriber named "${subscriber.name}" is already registered`);
    this.#subscribers.push(subscriber);
    this.jobs.register(jobKind(subscriber.name), async (payload) => {
      await subscriber.handle(payload as unknown as DeliveredCaseEvent);
    });
  }

  /** Writes the events inside the caller's transaction, in order, one job per interested subscriber. */
  async publish(trx: Executor, ...events: CaseEvent[]): Promise<void> {
    const types = [...new Set(events.map((e) => e.type))];
    const interested: CaseEventSubscriber[] = [];
    for (const subscriber of this.#subscribers) {
      const relevant = types.filter((t) => subscriber.events.includes(t));
      if (relevant.length === 0) continue;
      if (subscriber.wants && !(await subscriber.wants(trx, relevant))) continue;
      interested.push(subscriber);
    }
    if (interested.length === 0) return;
    // One snapshot per case for the whole change: its events happened together.
    const snapshots = new Map<string, CaseSnapshot | undefined>();
    if (interested.some((s) => s.withSnapshot))
      for (const caseId of new Set(events.map((e) => e.caseId)))
        snapshots.set(caseId, await caseSnapshot(trx, caseId));
    const at = new Date().toISOString();
    for (const event of events) {
      const eventId = crypto.randomUUID();
      for (const subscriber of interested) {
        if (!subscriber.events.includes(event.type)) continue;
        const snapshot = subscriber.withSnapshot ? snapshots.get(event.caseId) : undefined;
        const delivered: DeliveredCaseEvent = {
          ...(event.type === 'case.created' && !subscriber.receivesTrackingToken
            ? withoutTrackingToken(event)
            : event),
          eventId,
          at,
          ...(snapshot ? { case: snapshot } : {}),
        };
        await this.jobs.enqueue(
          trx,
          jobKind(subscriber.name),
          delivered as unknown as Record<string, unknown>,
          {
            dedupeKey: `${subscriber.name}:${eventId}`,
            orderingKey: `${subscriber.name}:${event.caseId}`,
          },
        );
      }
    }
  }
}

function withoutTrackingToken(event: Extract<CaseEvent, { type: 'case.created' }>): CaseEvent {
  const { trackingToken: _secret, ...rest } = event;
  return rest;
}

export function changedBy(actor: Pick<Actor, 'id' | 'integration'>): ChangedBy {
  return actor.integration ? { kind: 'integration', id: actor.id } : { kind: 'staff', id: actor.id };
}

/** The events of a status change and/or public update, in the order subscribers should hear them. */
export function updateEvents(
  row: { id: string; status: CaseStatus; closed_at: Date | null },
  change: { status: CaseStatus | undefined; publicUpdate: string; closing: boolean; reopening: boolean },
  by: ChangedBy,
): CaseEvent[] {
  const isClosed = change.closing || (row.closed_at !== null && !change.reopening);
  const events: CaseEvent[] = [];
  if (change.status)
    events.push({
      type: 'case.status_changed',
      caseId: row.id,
      from: row.status,
      to: change.status,
      reopened: change.reopening,
      closed: isClosed,
      publicUpdate: change.publicUpdate || null,
      by,
    });
  if (change.publicUpdate)
    events.push({
      type: 'case.public_update',
      caseId: row.id,
      text: change.publicUpdate,
      status: change.status ?? row.status,
      isClosed,
      withStatusChange: change.status !== undefined,
      by,
    });
  if (change.status && change.closing)
    events.push({ type: 'case.closed', caseId: row.id, status: change.status, by });
  return events;
}
