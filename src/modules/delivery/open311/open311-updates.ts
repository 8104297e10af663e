/**
 * Updates both ways between Civicdesk and the Open311 endpoints cases were delivered to.
 *
 * In: each endpoint's `servicerequestupdates` are fetched on a schedule over a moving window (from a
 * little before where the last poll stopped, to now). Each update is claimed by its update id before it
 * is applied, so a window fetched twice, or two workers polling at once, apply it once; it is applied
 * as the endpoint's public update (status mapped to ours, the resident and followers emailed as for an
 * officer's update) through the case-work service.
 *
 * Out: a public update or status change made in Civicdesk on a case delivered by Open311 is POSTed to the
 * endpoint from the outbox (retries, backoff), with a stable update id so a retried post is recognisable.
 * Updates that came from that same endpoint are not sent back to it.
 */
import type { IntegrationUpdate } from '../../cases/index.js';
import crypto from 'node:crypto';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../../db/database.js';
import type { Jobs } from '../../../infra/jobs/jobs.js';
import type { Executor } from '../../../infra/jobs/outbox.repository.js';
import type { SecretBox } from '../../../lib/secret-box.js';
import { STATUS_LABELS } from '../../../lib/case-status.js';
import { clientFor, open311Settings, TOKEN_PREFIX } from './open311-delivery.js';
import { ourStatusFor, type Open311Client } from './open311-client.js';
import type { RequestUpdate } from './open311-responses.js';
import * as repo from './open311.repository.js';

export const OPEN311_POST_UPDATE = 'open311.post_update';

/** The first poll of an endpoint looks back this far; a window never reaches back further than a day. */
const FIRST_WINDOW_MS = 2 * 3600_000;
const LONGEST_WINDOW_MS = 24 * 3600_000;
/** Each window starts this much before the last one ended: clocks differ, and late writes happen. */
const OVERLAP_MS = 10 * 60_000;

/** Who applies an endpoint's update: the case-work service's update(), as an integration. */
export type ApplyUpdate = IntegrationUpdate;

export interface PollResult {
  targets: number;
  applied: number;
  skipped: number;
  failed: number;
}

/**
 * Enqueues the POST of a public update to the Open311 endpoint the case was delivered to, if it was;
 * call it in the transaction that made the update. Not for updates that came from that endpoint.
 */
export async function enqueueOpen311Update(
  jobs: Jobs,
  trx: Executor,
  caseId: string,
  update: { status: CaseStatus; isClosed: boolean; description: string },
  by: { id: string; integration?: boolean },
  updateId: string = crypto.randomUUID(),
): Promise<void> {
  const delivery = await repo.open311DeliveryOf(trx, caseId);
  if (!delivery) return;
  if (by.integration && by.id === delivery.target_id) return; // it came from there
  await jobs.enqueue(
    trx,
    OPEN311_POST_UPDATE,
    {
      deliveryId: delivery.id,
      updateId,
      status: update.status,
      isClosed: update.isClosed,
      description: update.description || STATUS_LABELS[update.status],
      updatedAt: new Date().toISOString(),
    },
    { dedupeKey: `open311-update:${updateId}` },
  );
}

export class Open311Updates {
  constructor(
    private readonly db: Kysely<Database>,
    jobs: Jobs,
    private readonly box: SecretBox,
    private readonly applyUpdate: ApplyUpdate,
    private readonly options: { timeoutMs: number; log: Logger },
  ) {
    jobs.register(OPEN311_POST_UPDATE, async (payload, context) => {
      const delivery = await repo.deliveryWithTarget(this.db, String(payload.deliveryId));
      if (!delivery) return; // the case or the target was deleted
      if (!delivery.external_id || delivery.external_id.startsWith(TOKEN_PREFIX)) {
        // Thrown so the outbox tries again later, by when the poller has the endpoint's id.
        throw new Error('The endpoint has not given this case an id yet');
      }
      const client = clientFor(delivery.target, this.box, this.options.timeoutMs);
      const posted = await client.postUpdate(
        {
          serviceRequestId: delivery.external_id,
          updateId: String(payload.updateId),
          status: payload.status as CaseStatus,
          isClosed: payload.isClosed === true,
          description: String(payload.description),
          updatedAt: new Date(String(payload.updatedAt)),
        },
        context.signal,
      );
      // The endpoint lists our own update among its updates too: marked seen now, the poller does not
      // bring it back as if the system had said it (and email the resident a second time).
      await repo.claimUpdate(this.db, delivery.target.id, posted.updateId, delivery.case_id);
    });
  }

  /** Polls every active Open311 target that fetches updates. One endpoint failing does not stop the rest. */
  async pollAll(now: Date = new Date()): Promise<PollResult> {
    const result: PollResult = { targets: 0, applied: 0, skipped: 0, failed: 0 };
    for (const target of await repo.pollableTargets(this.db)) {
      if (!open311Settings(target.settings).pollUpdates) continue;
      result.targets++;
      try {
        const counts = await this.pollTarget(target, now);
        result.applied += counts.applied;
        result.skipped += counts.skipped;
      } catch (error) {
        result.failed++;
        this.options.log.warn({ err: error, targetId: target.id }, 'Open311 update poll failed');
        await repo.recordPollError(this.db, target.id, (error as Error).message.slice(0, 1000));
      }
    }
    return result;
  }

  async pollTarget(target: repo.PollableTarget, now: Date): Promise<{ applied: number; skipped: number }> {
    const client = clientFor(target, this.box, this.options.timeoutMs);
    await this.resolveTokens(target, client);
    const state = await repo.pollState(this.db, target.id);
    const start = new Date(
      Math.max(
        state ? state.polled_until.getTime() - OVERLAP_MS : now.getTime() - FIRST_WINDOW_MS,
        now.getTime() - LONGEST_WINDOW_MS,
      ),
    );
    const updates = await client.updates(start, now);
    // Oldest first, so the case's timeline and its final status follow the endpoint's order.
    updates.sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime());
    let applied = 0;
    let skipped = 0;
    for (const update of updates) {
      if (await this.apply(target, update)) applied++;
      else skipped++;
    }
    await repo.recordPolled(this.db, target.id, now);
    return { applied, skipped };
  }

  /** Applies one update unless it was applied before or its case is unknown. Returns whether it was. */
  private async apply(target: repo.PollableTarget, update: RequestUpdate): Promise<boolean> {
    const found = await repo.caseByExternalId(this.db, target.id, update.serviceRequestId);
    if (!found) return false;
    if (!(await repo.claimUpdate(this.db, target.id, update.updateId, found.case_id))) return false;
    const status = ourStatusFor(update.status);
    const changes = status !== null && status !== found.status;
    const description = update.description.trim();
    if (!changes && !description) return true; // nothing a resident would see
    try {
      await this.applyUpdate(
        {
          id: target.id,
          name: `${target.body_name} (Open311)`,
          role: 'officer',
          bodyId: found.body_id,
          teamId: null,
          integration: true,
        },
        found.reference,
        {
          ...(changes ? { status } : {}),
          publicUpdate: description || `${target.body_name}: ${STATUS_LABELS[status!]}`,
        },
      );
    } catch (error) {
      // Not applied: release the claim so the next poll tries it again.
      await repo.releaseUpdate(this.db, target.id, update.updateId);
      throw error;
    }
    return true;
  }

  /** Deliveries kept as `token:...` (a batch endpoint had no id yet): ask for their ids now. */
  private async resolveTokens(target: repo.PollableTarget, client: Open311Client): Promise<void> {
    for (const delivery of await repo.deliveriesAwaitingId(this.db, target.id)) {
      const token = delivery.external_id!.slice(TOKEN_PREFIX.length);
      const id = await client.requestIdForToken(token);
      if (id) await repo.setExternalId(this.db, delivery.id, id);
    }
  }
}
