/**
 * Outbound webhooks: administrators register endpoints (a CRM, a data warehouse) and the case events
 * they want; each event is written, with one delivery per endpoint and its outbox job, in the same
 * transaction as the change itself. Workers POST it, signed (signature.ts), and retry with the outbox's
 * backoff until it is taken or the attempts run out.
 *
 * What we promise a receiver:
 *   - at least once: every event is delivered until the receiver answers 2xx, or the attempts run out
 *     (then the delivery is "failed" on the admin page, where it can be sent again). A retry after a
 *     timeout can bring the same event twice: receivers dedupe on the event id.
 *   - in order per case and endpoint: an event for a case is held back ("waiting") while an earlier
 *     event for the same case has not yet gone to that endpoint, so a receiver never sees "closed"
 *     before "created". An event whose attempts run out releases the next one (one bad event does not
 *     stop the case for ever); redeliveries and test pings are outside the order. Each event carries
 *     `sequence`, increasing per case, so a receiver can also ignore anything older than it has.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { JobContext, Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import { audit } from '../audit/index.js';
import type {
  CaseEvent,
  CaseEventType,
  CaseSnapshot,
  ChangedBy,
  DeliveredCaseEvent,
} from '../cases/index.js';
import { SecretBox } from '../staff/secret-box.js';
import { newWebhookSecret, SIGNATURE_HEADER, signWebhook } from './signature.js';
import * as repo from './webhooks.repository.js';

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

export interface Admin {
  id: string;
  role: string;
  ip?: string;
}

export interface EndpointInput {
  name: string;
  url: string;
  events: string[];
  bodyCode: string;
  serviceCode: string;
  active?: boolean;
}

// ------------------------------------------------------------------ recording events (from case events)

/** The settings of the webhook module registered on each outbox. */
const registered = new WeakMap<Jobs, WebhookSettings>();

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

// ------------------------------------------------------------------ the service

export class WebhooksService {
  readonly #box: SecretBox;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: Jobs,
    private readonly settings: WebhookSettings,
    sessionSecret: string,
  ) {
    this.#box = new SecretBox(sessionSecret, 'webhook-signing-secret');
  }

  register(): void {
    this.jobs.register(WEBHOOK_DELIVER, (payload, context) =>
      this.deliver(String(payload.deliveryId), context),
    );
    registered.set(this.jobs, this.settings);
  }

  /** Whether any active endpoint wants any of these events (asked in the change's transaction). */
  async wantsAny(executor: Executor, types: CaseEventType[]): Promise<boolean> {
    return registered.has(this.jobs) && repo.anySubscriber(executor, types);
  }

  /** A case event, for the endpoints that want it (the webhooks subscriber, webhooks.jobs.ts). */
  recordCaseEvent(event: DeliveredCaseEvent): Promise<void> {
    return recordWebhookEvent(this.jobs, this.db, event);
  }

  private requireAdmin(actor: Admin): void {
    if (actor.role !== 'admin') throw new AppError('forbidden', 'Only administrators manage webhooks');
  }

  async endpoints(actor: Admin) {
    this.requireAdmin(actor);
    return repo.listEndpoints(this.db);
  }

  async endpoint(actor: Admin, id: string) {
    this.requireAdmin(actor);
    const row = /^[0-9a-f-]{36}$/.test(id) ? await repo.endpoint(this.db, id) : undefined;
    if (!row) throw new AppError('not_found', 'There is no webhook endpoint with that id');
    return row;
  }

  async deliveryLog(actor: Admin, id: string, limit = 50) {
    const endpoint = await this.endpoint(actor, id);
    return { endpoint, deliveries: await repo.deliveryLog(this.db, endpoint.id, limit) };
  }

  private async checkInput(input: EndpointInput) {
    const problems: FieldError[] = [];
    const name = input.name.trim();
    if (!name) problems.push({ field: 'name', message: 'Enter a name for the endpoint' });
    else if (name.length > 200)
      problems.push({ field: 'name', message: 'Name must be 200 characters or fewer' });
    const urlProblem = this.urlProblem(input.url.trim());
    if (urlProblem) problems.push({ field: 'url', message: urlProblem });
    const events = [...new Set(input.events)];
    if (events.length === 0) problems.push({ field: 'events', message: 'Choose at least one event to send' });
    if (events.some((e) => !(EVENT_TYPES as readonly string[]).includes(e)))
      problems.push({ field: 'events', message: 'Choose events from the list' });
    let bodyId: string | null = null;
    let serviceId: string | null = null;
    if (input.bodyCode) {
      const body = await this.db
        .selectFrom('body')
        .select('id')
        .where('code', '=', input.bodyCode)
        .executeTakeFirst();
      if (!body) problems.push({ field: 'bodyCode', message: 'Choose a body from the list' });
      else bodyId = body.id;
    }
    if (input.serviceCode) {
      const service = await this.db
        .selectFrom('service')
        .select('id')
        .where('code', '=', input.serviceCode)
        .executeTakeFirst();
      if (!service) problems.push({ field: 'serviceCode', message: 'Choose a service from the list' });
      else serviceId = service.id;
    }
    if (problems.length) throw new AppError('validation_failed', problems[0]!.message, problems);
    return { name, url: input.url.trim(), events, body_id: bodyId, service_id: serviceId };
  }

  /** https anywhere; http only to this machine, or anywhere outside production (test receivers). */
  urlProblem(url: string): string | undefined {
    if (!url) return 'Enter the address Civicdesk should send events to';
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'Enter a web address starting with https://, like https://crm.example.gov.uk/civicdesk';
    }
    if (url.length > 2000) return 'The address must be 2,000 characters or fewer';
    if (parsed.username || parsed.password) return 'Leave the user name and password out of the address';
    if (parsed.protocol === 'https:') return undefined;
    if (parsed.protocol !== 'http:')
      return 'Enter a web address starting with https://, like https://crm.example.gov.uk/civicdesk';
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
    if (this.settings.isProduction && !local)
      return 'The address must start with https:// (http:// is allowed only to this machine)';
    return undefined;
  }

  /** Adds an endpoint; the secret is returned now and never again. */
  async create(actor: Admin, input: EndpointInput): Promise<{ id: string; secret: string }> {
    this.requireAdmin(actor);
    const values = await this.checkInput(input);
    const secret = newWebhookSecret();
    const id = crypto.randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_endpoint')
        .values({ id, ...values, secret_sealed: this.#box.seal(secret, id) })
        .execute();
      await audit(trx, {
        staffId: actor.id,
        action: 'webhook.created',
        detail: { endpointId: id, url: values.url, events: values.events },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
    });
    return { id, secret };
  }

  async update(actor: Admin, id: string, input: EndpointInput): Promise<void> {
    const endpoint = await this.endpoint(actor, id);
    const values = await this.checkInput(input);
    await this.db.transaction().execute(async (trx) => {
      await repo.updateEndpoint(trx, endpoint.id, { ...values, active: input.active !== false });
      await audit(trx, {
        staffId: actor.id,
        action: 'webhook.changed',
        detail: { endpointId: id, url: values.url, events: values.events, active: input.active !== false },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
    });
  }

  /** A new secret, shown once; the old one stops working at once. */
  async rollSecret(actor: Admin, id: string): Promise<string> {
    const endpoint = await this.endpoint(actor, id);
    const secret = newWebhookSecret();
    await this.db.transaction().execute(async (trx) => {
      await repo.updateEndpoint(trx, endpoint.id, { secret_sealed: this.#box.seal(secret, endpoint.id) });
      await audit(trx, { staffId: actor.id, action: 'webhook.secret_changed', detail: { endpointId: id } });
    });
    return secret;
  }

  /** Sends an event again, outside the per-case order (the receiver asked for it, or was fixed). */
  async redeliver(actor: Admin, endpointId: string, deliveryId: string): Promise<void> {
    const endpoint = await this.endpoint(actor, endpointId);
    const original = /^[0-9a-f-]{36}$/.test(deliveryId)
      ? await repo.deliveryOf(this.db, endpoint.id, deliveryId)
      : undefined;
    if (!original) throw new AppError('not_found', 'There is no such delivery for this endpoint');
    await this.db.transaction().execute(async (trx) => {
      const delivery = await repo.insertDelivery(trx, {
        endpoint_id: endpoint.id,
        event_seq: original.event_seq,
        case_id: original.case_id,
        kind: original.kind === 'ping' ? 'ping' : 'redelivery',
      });
      await this.jobs.enqueue(trx, WEBHOOK_DELIVER, { deliveryId: delivery.id }, this.jobOptions());
      await audit(trx, {
        staffId: actor.id,
        action: 'webhook.redelivered',
        detail: { endpointId, deliveryId, newDeliveryId: delivery.id },
      });
    });
    this.jobs.wake();
  }

  /** A `ping` event, to check the receiver and its signature checking. */
  async ping(actor: Admin, endpointId: string): Promise<void> {
    const endpoint = await this.endpoint(actor, endpointId);
    await this.db.transaction().execute(async (trx) => {
      const event = await repo.insertEvent(trx, {
        id: `evt_${crypto.randomBytes(12).toString('base64url')}`,
        type: 'ping',
        case_id: null,
        data: { message: `A test from Civicdesk for "${endpoint.name}"` },
      });
      if (!event) throw new Error('A ping event with a fresh random id was not recorded');
      const delivery = await repo.insertDelivery(trx, {
        endpoint_id: endpoint.id,
        event_seq: event.seq,
        case_id: null,
        kind: 'ping',
      });
      await this.jobs.enqueue(trx, WEBHOOK_DELIVER, { deliveryId: delivery.id }, this.jobOptions());
      await audit(trx, { staffId: actor.id, action: 'webhook.pinged', detail: { endpointId } });
    });
    this.jobs.wake();
  }

  private jobOptions() {
    return { maxAttempts: this.settings.maxAttempts };
  }

  /** The outbox job: one attempt at one delivery. Throws to have the outbox retry it. */
  async deliver(deliveryId: string, context: Pick<JobContext, 'job' | 'signal' | 'log'>): Promise<void> {
    const delivery = await repo.deliveryToSend(this.db, deliveryId);
    if (!delivery || delivery.state === 'delivered' || delivery.state === 'failed') return;
    if (!delivery.endpoint_active) {
      await repo.setDeliveryState(this.db, delivery.id, 'failed');
      return;
    }
    if (delivery.kind === 'event' && delivery.case_id) {
      const held = await this.db.transaction().execute(async (trx) => {
        await repo.lockEndpoint(trx, delivery.endpoint_id);
        if (!(await repo.hasEarlierUndelivered(trx, delivery))) return false;
        await repo.setDeliveryState(trx, delivery.id, 'waiting');
        return true;
      });
      // The earlier event's success (or final failure) sends this one on.
      if (held) return;
    }

    const secret = this.#box.open(delivery.secret_sealed, delivery.endpoint_id);
    const started = performance.now();
    const outcome = secret
      ? await this.send(delivery, secret, context.signal)
      : {
          statusCode: null,
          snippet: '',
          error:
            'The endpoint’s secret cannot be read (was CIVICDESK_SESSION_SECRET changed?): make a new one',
        };
    const { statusCode, error, snippet } = outcome;
    await repo.recordAttempt(this.db, delivery.id, {
      durationMs: Math.round(performance.now() - started),
      statusCode,
      error,
      snippet,
    });
    // The worker is stopping and hands the job back (its reason says so, see Worker.stop): not the
    // receiver's fault and not a final failure, so the delivery stays pending for the next worker.
    const stopping = context.signal.aborted && /shutting down/.test(String(context.signal.reason));
    if (error !== null && stopping) throw new Error(error);

    const lastAttempt = context.job.attempts >= context.job.max_attempts;
    if (error === null || lastAttempt) {
      await this.db.transaction().execute(async (trx) => {
        await repo.lockEndpoint(trx, delivery.endpoint_id);
        await repo.setDeliveryState(
          trx,
          delivery.id,
          error === null ? 'delivered' : 'failed',
          error === null ? { delivered_at: new Date() } : {},
        );
        if (delivery.kind !== 'event' || !delivery.case_id) return;
        const next = await repo.nextWaiting(trx, delivery.endpoint_id, delivery.case_id);
        if (next) {
          await repo.setDeliveryState(trx, next.id, 'pending');
          await this.jobs.enqueue(trx, WEBHOOK_DELIVER, { deliveryId: next.id }, this.jobOptions());
        }
      });
      this.jobs.wake();
    }
    if (error !== null) throw new Error(error);
  }
  /** One POST of the event; never throws: what went wrong is the error text. */
  private async send(
    delivery: NonNullable<Awaited<ReturnType<typeof repo.deliveryToSend>>>,
    secret: string,
    shutdown: AbortSignal,
  ): Promise<{ statusCode: number | null; error: string | null; snippet: string }> {
    const body = JSON.stringify({
      id: delivery.event_id,
      type: delivery.event_type,
      created_at: delivery.event_created_at.toISOString(),
      sequence: delivery.event_seq,
      data: withLinks(delivery.event_data, this.settings.baseUrl),
    });
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.any([shutdown, timeout]),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Civicdesk-Webhooks/1',
          'civicdesk-event-id': delivery.event_id,
          'civicdesk-event-type': delivery.event_type,
          'civicdesk-delivery-id': delivery.id,
          [SIGNATURE_HEADER.toLowerCase()]: signWebhook(secret, body),
        },
        body,
      });
      const snippet = (await response.text()).slice(0, 500);
      const ok = response.status >= 200 && response.status <= 299;
      const redirect = response.status >= 300 && response.status < 400;
      return {
        statusCode: response.status,
        snippet,
        error: ok
          ? null
          : `The receiver answered ${response.status}${redirect ? ' (redirects are not followed)' : ''}`,
      };
    } catch (caught) {
      return {
        statusCode: null,
        snippet: '',
        error: timeout.aborted
          ? `No answer within ${this.settings.timeoutMs / 1000} seconds`
          : shutdown.aborted
            ? 'Interrupted: Civicdesk was stopping; it will be sent again'
            : `Could not reach the receiver: ${describe(caught)}`,
      };
    }
  }
}

function withLinks(data: Record<string, unknown>, baseUrl: string): Record<string, unknown> {
  const kase = data.case as { reference?: string; is_public?: boolean } | undefined;
  if (!kase?.reference) return data;
  return {
    ...data,
    case: {
      ...kase,
      staff_url: `${baseUrl}/staff/cases/${kase.reference}`,
      public_url: kase.is_public ? `${baseUrl}/reports/${kase.reference}` : null,
    },
  };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  return error instanceof Error ? error.message : String(error);
}
