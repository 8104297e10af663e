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
 *
 * This file is the service: managing endpoints (administrators only, audited), redelivery and test
 * pings. Recording events is webhook-events.ts; sending them is webhook-delivery.ts.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { JobContext, Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import { audit } from '../audit/index.js';
import type { CaseEventType, DeliveredCaseEvent } from '../cases/index.js';
import { SecretBox } from '../../lib/secret-box.js';
import { newWebhookSecret } from './signature.js';
import { WebhookDelivery } from './webhook-delivery.js';
import {
  EVENT_TYPES,
  recordWebhookEvent,
  registerWebhookSettings,
  WEBHOOK_DELIVER,
  webhooksRegistered,
  type WebhookSettings,
} from './webhook-events.js';
import * as repo from './webhooks.repository.js';

export {
  crmCaseView,
  DEFAULT_WEBHOOK_SETTINGS,
  EVENT_LABELS,
  EVENT_TYPES,
  WEBHOOK_DELIVER,
  webhookEventOf,
  type EventType,
  type WebhookSettings,
} from './webhook-events.js';

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

export class WebhooksService {
  readonly #box: SecretBox;
  readonly #delivery: WebhookDelivery;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: Jobs,
    private readonly settings: WebhookSettings,
    sessionSecret: string,
  ) {
    this.#box = new SecretBox(sessionSecret, 'webhook-signing-secret');
    this.#delivery = new WebhookDelivery(db, jobs, settings, this.#box);
  }

  register(): void {
    this.jobs.register(WEBHOOK_DELIVER, (payload, context) =>
      this.deliver(String(payload.deliveryId), context),
    );
    registerWebhookSettings(this.jobs, this.settings);
  }

  /** Whether any active endpoint wants any of these events (asked in the change's transaction). */
  async wantsAny(executor: Executor, types: CaseEventType[]): Promise<boolean> {
    return webhooksRegistered(this.jobs) && repo.anySubscriber(executor, types);
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
      bodyId = (await repo.bodyIdByCode(this.db, input.bodyCode)) ?? null;
      if (!bodyId) problems.push({ field: 'bodyCode', message: 'Choose a body from the list' });
    }
    if (input.serviceCode) {
      serviceId = (await repo.serviceIdByCode(this.db, input.serviceCode)) ?? null;
      if (!serviceId) problems.push({ field: 'serviceCode', message: 'Choose a service from the list' });
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
      await repo.insertEndpoint(trx, { id, ...values, secret_sealed: this.#box.seal(secret, id) });
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

  /** The outbox job: one attempt at one delivery (webhook-delivery.ts). Throws to have the outbox retry it. */
  deliver(deliveryId: string, context: Pick<JobContext, 'job' | 'signal' | 'log'>): Promise<void> {
    return this.#delivery.deliver(deliveryId, context);
  }
}
