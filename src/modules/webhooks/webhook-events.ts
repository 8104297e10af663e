/**
 * Recording webhook events from case events: which case events receivers hear of and what they are
 * sent (the case as a CRM sees it, and the change), and the event with one delivery and outbox job per
 * endpoint that wants it, written in the webhooks subscriber's job. Sending them is webhook-delivery.ts;
 * managing endpoints is webhooks.service.ts.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import type { CaseEvent, CaseSnapshot, ChangedBy, DeliveredCaseEvent } from '../cases/index.js';
import * as repo from './webhooks.repository.js';

/** The outbox job that sends one delivery. */
export const WEBHOOK_DELIVER = 'webhook.deliver';

export const EVENT_TYPES = [
  'case.created',
  'case.status_changed',
  'case.public_update',
  'case.closed',
  'case.rerouted',
  'case.priority_changed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_LABELS: Record<EventType, string> = {
  'case.created': 'A case is created',
  'case.status_changed': 'A case’s status changes (including closing and reopening)',
  'case.public_update': 'A public update is posted on a case',
  'case.closed': 'A case is closed',
  'case.rerouted': 'A case moves to another service, body or team',
  'case.priority_changed': 'A case’s priority changes',
};

/** The webhooks module's settings (createWebhooks in index.ts fills them from the config). */
export interface WebhookSettings {
  /** How long to wait for the receiver's answer. */
  timeoutMs: number;
  /** Attempts before a delivery fails: with the outbox's growing delays (5 s doubling, at most 6 h apart), 12 to 24 hours. */
  maxAttempts: number;
  /** Only http:// to this machine in production; any http:// elsewhere (test receivers). */
  isProduction: boolean;
  baseUrl: string;
}

export const DEFAULT_WEBHOOK_SETTINGS = { timeoutMs: 10_000, maxAttempts: 16 };

/** The settings of the webhook module registered on each outbox. */
const registered = new WeakMap<Jobs, Pick<WebhookSettings, 'maxAttempts'>>();

/** Turns recording on for this outbox (WebhooksService.register): until then case events are ignored. */
export function registerWebhookSettings(jobs: Jobs, settings: Pick<WebhookSettings, 'maxAttempts'>): void {
  registered.set(jobs, settings);
}

export function webhooksRegistered(jobs: Jobs): boolean {
  return registered.has(jobs);
}

function changedByOf(by: ChangedBy) {
  return by.kind === 'integration'
    ? { type: 'integration', api_client_id: by.id }
    : by.kind === 'staff'
      ? { type: 'staff' }
      : { type: 'system' };
}

/** What receivers are sent for a case event: the webhook type and its `change`, or nothing. */
export function webhookEventOf(
  event: CaseEvent,
): { type: EventType; change: Record<string, unknown> } | undefined {
  const changed_by = changedByOf(event.by);
  switch (event.type) {
    case 'case.created':
      return { type: event.type, change: {} };
    case 'case.status_changed':
      return { type: event.type, change: { from: event.from, to: event.to, changed_by } };
    case 'case.public_update':
      return { type: event.type, change: { text: event.text, changed_by } };
    case 'case.closed':
      return { type: event.type, change: { status: event.status, changed_by } };
    case 'case.rerouted':
      return {
        type: event.type,
        change: {
          from: { service: event.from.serviceCode, body: event.from.bodyCode, team: event.from.teamCode },
          changed_by,
        },
      };
    case 'case.priority_changed':
      return { type: event.type, change: { from: event.from, to: event.to, changed_by } };
    default:
      return undefined;
  }
}

/**
 * Records a case event for the endpoints that want it, with one delivery and outbox job each. Runs in the
 * webhooks subscriber's job (webhooks.jobs.ts), which the outbox runs in order per case; the event's id is
 * derived from the case event's, so running the job twice records it once.
 */
export async function recordWebhookEvent(
  jobs: Jobs,
  db: Kysely<Database>,
  event: DeliveredCaseEvent,
): Promise<void> {
  const mapped = webhookEventOf(event);
  if (!mapped) return;
  // Endpoints of where a moved case was hear of it too: for them it is the news that it has left them.
  const alsoFor =
    event.type === 'case.rerouted'
      ? { bodyId: event.from.bodyId, serviceId: event.from.serviceId }
      : undefined;
  const id = `evt_${crypto.createHash('sha256').update(`${event.eventId}:${mapped.type}`).digest('base64url').slice(0, 16)}`;
  await db
    .transaction()
    .execute((trx) => recordCaseEvents(jobs, trx, event.caseId, event.case, id, mapped, alsoFor));
}

async function recordCaseEvents(
  jobs: Jobs,
  trx: Executor,
  caseId: string,
  snapshot: CaseSnapshot | undefined,
  id: string,
  event: { type: EventType; change: Record<string, unknown> },
  /** Endpoints scoped to this body or service hear of the event too (where a moved case was). */
  alsoFor?: { bodyId: string; serviceId: string },
): Promise<void> {
  const settings = registered.get(jobs);
  if (!settings || !snapshot) return;
  const endpoints = await repo.subscribers(trx, event.type, snapshot.body_id, snapshot.service_id);
  if (alsoFor) {
    const seen = new Set(endpoints.map((e) => e.id));
    for (const other of await repo.subscribers(trx, event.type, alsoFor.bodyId, alsoFor.serviceId))
      if (!seen.has(other.id)) endpoints.push(other);
  }
  if (endpoints.length === 0) return;
  const stored = await repo.insertEvent(trx, {
    id,
    type: event.type,
    case_id: caseId,
    data: { case: crmCaseView(snapshot), change: event.change },
  });
  if (!stored) return; // recorded by an earlier run of the same job
  for (const endpoint of endpoints) {
    const delivery = await repo.insertDelivery(trx, {
      endpoint_id: endpoint.id,
      event_seq: stored.seq,
      case_id: caseId,
      kind: 'event',
    });
    await jobs.enqueue(
      trx,
      WEBHOOK_DELIVER,
      { deliveryId: delivery.id },
      { maxAttempts: settings.maxAttempts },
    );
  }
}

export function crmCaseView(row: CaseSnapshot) {
  return {
    reference: row.reference,
    status: row.status,
    priority: row.priority,
    channel: row.channel,
    service: { code: row.service_code, name: row.service_name },
    body: { code: row.body_code, name: row.body_name },
    team: row.team_code ? { code: row.team_code, name: row.team_name } : null,
    description: row.description,
    location: {
      lat: row.lat,
      lon: row.lon,
      description: row.location_description,
      detail: row.location_detail,
    },
    due_at: row.revised_due_at ?? row.due_at ?? null,
    closed_at: row.closed_at,
    outcome: row.outcome,
    is_public: row.is_public,
    external_reference: row.external_reference ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
