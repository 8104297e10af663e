/**
 * The webhooks module's case-event subscriber: each case event a receiver can subscribe to becomes a
 * webhook event with a delivery per endpoint that wants it (webhook-events.ts, recordWebhookEvent).
 */
import type { CaseEventSubscriber } from '../cases/index.js';
import type { WebhooksService } from './webhooks.service.js';

export function webhooksSubscriber(webhooks: WebhooksService): CaseEventSubscriber {
  return {
    name: 'webhooks',
    events: [
      'case.created',
      'case.status_changed',
      'case.public_update',
      'case.closed',
      'case.rerouted',
      'case.priority_changed',
    ],
    // Receivers are promised the case as it was when the event happened, not when it is sent.
    withSnapshot: true,
    // Most councils have no endpoint for most events: then nothing is written at all.
    wants: (executor, types) => webhooks.wantsAny(executor, types),
    handle: (event) => webhooks.recordCaseEvent(event),
  };
}
