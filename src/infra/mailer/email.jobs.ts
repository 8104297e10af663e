/**
 * The `email.send` job: the only way application code sends email. Enqueue it in the same transaction
 * as the change the email reports; the worker sends it with retries.
 */
import type { Executor } from '../jobs/outbox.repository.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Mailer, OutgoingEmail } from './mailer.js';

export const EMAIL_SEND = 'email.send';

export function registerEmailJobs(jobs: Jobs, mailer: Mailer): void {
  jobs.register(EMAIL_SEND, async (payload, { log }) => {
    const email = payload as unknown as OutgoingEmail;
    const sent = await mailer.send(email);
    log.info({ messageId: sent.messageId }, 'email sent');
  });
}

export function enqueueEmail(
  jobs: Jobs,
  executor: Executor,
  email: OutgoingEmail,
  options: { dedupeKey?: string } = {},
): Promise<number | undefined> {
  return jobs.enqueue(executor, EMAIL_SEND, email as unknown as Record<string, unknown>, options);
}
