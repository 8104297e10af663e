/**
 * Sending webhook deliveries: the outbox job's one attempt at one delivery, signed with the endpoint's
 * secret, held back while an earlier event for the same case has not gone to that endpoint, recorded
 * in the delivery log, and releasing the next waiting event when it is delivered or finally fails.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { JobContext, Jobs } from '../../infra/jobs/jobs.js';
import type { SecretBox } from '../../lib/secret-box.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';
import { WEBHOOK_DELIVER, type WebhookSettings } from './webhook-events.js';
import * as repo from './webhooks.repository.js';

export class WebhookDelivery {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: Jobs,
    private readonly settings: WebhookSettings,
    /** Opens endpoints' signing secrets (sealed by WebhooksService with the same key). */
    private readonly box: SecretBox,
  ) {}

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

    const secret = this.box.open(delivery.secret_sealed, delivery.endpoint_id);
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
          await this.jobs.enqueue(
            trx,
            WEBHOOK_DELIVER,
            { deliveryId: next.id },
            { maxAttempts: this.settings.maxAttempts },
          );
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
