/**
 * Marking a case as a duplicate of another: the reporter and followers move to the original once each,
 * both timelines say so, and case.marked_duplicate names who asked for updates (the notifications
 * module emails them once, instead of the usual closing summary).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { AppError } from '../../lib/errors.js';
import { audit } from '../audit/index.js';
import { changedBy, updateEvents } from './case-events.js';
import type { Actor } from './case-types.js';
import type { CasesDeps, CasesService } from './cases.service.js';
import * as repo from './cases.repository.js';

export class CaseDuplicates {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: CasesDeps,
    private readonly cases: Pick<CasesService, 'caseFor'>,
  ) {}

  /**
   * Closes the case as a duplicate of an open case the officer can see. The reporter and followers of
   * the duplicate become followers of the original (once each, keeping whether they asked for updates);
   * both timelines say so; the duplicate's reporter and followers who asked for updates are emailed once,
   * with the original's page. Agents may not, as they may not change a status.
   */
  async markDuplicate(
    actor: Actor,
    reference: string,
    originalReference: string,
  ): Promise<{ original: string }> {
    if (actor.role === 'agent')
      throw new AppError('forbidden', 'Contact-centre agents cannot change the status of a case');
    const row = await this.cases.caseFor(actor, reference);
    const fail = (message: string): never => {
      throw new AppError('validation_failed', message, [{ field: 'original', message }]);
    };
    if (row.duplicate_of_case_id) fail('This case is already marked as a duplicate');
    if (row.closed_at !== null) fail('Reopen the case before marking it as a duplicate');
    if (!originalReference) fail('Enter the reference of the original case');
    if (originalReference === row.reference)
      fail('A case cannot be a duplicate of itself: enter another reference');
    const original = await repo.findByReference(this.db, originalReference);
    // Another body's case answers as an unknown one: the form must not tell who holds which reference.
    const visible = await this.deps.organisations.caseBodiesFor(actor.bodyId);
    if (!original || !visible.includes(original.body_id))
      return fail(`There is no case ${originalReference}`);
    if (original.duplicate_of_case_id) {
      const first = await repo.findById(this.db, original.duplicate_of_case_id);
      fail(
        `${original.reference} is itself a duplicate of ${first?.reference ?? 'another case'}: enter that reference`,
      );
    }
    if (original.closed_at !== null)
      fail(
        `${original.reference} is closed (${STATUS_LABELS[original.status]}): reopen it first, or choose an open case`,
      );

    const note = `This is the same problem as report ${original.reference}, so we have joined the two: follow ${original.reference} for updates.`;

    await this.db.transaction().execute(async (trx) => {
      // Checked again under row locks: two officers joining these cases the other way round at the same
      // moment must not make a loop, nor join into a case just closed.
      const locked = await repo.lockCases(trx, [row.id, original.id]);
      const now = {
        dup: locked.find((c) => c.id === row.id),
        orig: locked.find((c) => c.id === original.id),
      };
      if (!now.dup || now.dup.closed_at !== null || now.dup.duplicate_of_case_id)
        fail('This case was closed or marked as a duplicate a moment ago');
      if (!now.orig || now.orig.closed_at !== null || now.orig.duplicate_of_case_id)
        fail(`${original.reference} was closed or marked as a duplicate a moment ago`);
      // Who moves: the reporter (with the choice they made about updates) and the followers. Contacts
      // with an unverified address are not merged, so one person can be several contacts: the address
      // (or, without one, the contact) is who they are, and nobody follows the original twice.
      const contactEmail = async (id: string) =>
        (await this.deps.contacts.get(trx, id))?.email_normalised ?? null;
      const movers = new Map<string, { contactId: string; updates: boolean; email: string | null }>();
      const move = (contactId: string, email: string | null, updates: boolean) => {
        const key = email ?? `contact:${contactId}`;
        const seen = movers.get(key);
        movers.set(key, seen ? { ...seen, updates: seen.updates || updates } : { contactId, updates, email });
      };
      if (row.reporter_contact_id)
        move(row.reporter_contact_id, await contactEmail(row.reporter_contact_id), row.updates_by_email);
      for (const f of await repo.followersOf(trx, row.id))
        move(f.contact_id, f.email_normalised, f.updates_by_email);
      // The original's reporter already hears of it as its reporter.
      if (original.reporter_contact_id) {
        movers.delete(`contact:${original.reporter_contact_id}`);
        const email = await contactEmail(original.reporter_contact_id);
        if (email) movers.delete(email);
      }
      const already = await repo.followersOf(trx, original.id);
      let added = 0;
      for (const mover of movers.values()) {
        const existing = already.find(
          (f) =>
            f.contact_id === mover.contactId || (mover.email !== null && f.email_normalised === mover.email),
        );
        if (existing) {
          if (mover.updates && !existing.updates_by_email)
            await repo.wantUpdates(trx, original.id, existing.contact_id);
          continue;
        }
        await repo.addFollower(trx, original.id, mover.contactId, mover.updates);
        added++;
      }
      await repo.removeFollowers(trx, row.id);

      await repo.markDuplicate(trx, row.id, original.id, `Duplicate of ${original.reference}`);
      await repo.insertEvent(trx, {
        case_id: row.id,
        kind: 'status_changed',
        is_public: true,
        body: `Status changed to ${STATUS_LABELS.duplicate}`,
        data: { from: row.status, to: 'duplicate' },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await repo.insertEvent(trx, {
        case_id: row.id,
        kind: 'marked_duplicate',
        is_public: true,
        body: note,
        data: {
          reference: original.reference,
          linkedIsPublic: original.is_public,
          movedFollowers: movers.size,
        },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await repo.insertEvent(trx, {
        case_id: original.id,
        kind: 'duplicate_merged',
        is_public: true,
        body: `Report ${row.reference} is the same problem and was joined to this one${added ? `; ${added} ${added === 1 ? 'person' : 'people'} now follow it here` : ''}`,
        data: { reference: row.reference, linkedIsPublic: row.is_public, addedFollowers: added },
        actor: 'staff',
        actor_staff_id: actor.id,
      });
      await audit(trx, {
        staffId: actor.id,
        action: 'case.marked_duplicate',
        caseId: row.id,
        detail: { originalId: original.id, original: original.reference, followersMoved: movers.size },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
      await audit(trx, {
        staffId: actor.id,
        action: 'case.duplicate_merged',
        caseId: original.id,
        detail: { duplicateId: row.id, duplicate: row.reference, followersAdded: added },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });

      await this.deps.events.publish(
        trx,
        ...updateEvents(
          row,
          { status: 'duplicate', publicUpdate: note, closing: true, reopening: false },
          changedBy(actor),
        ),
        {
          type: 'case.marked_duplicate',
          caseId: row.id,
          originalId: original.id,
          note,
          // Who asked for updates and now follows the original: they are told, once each.
          toTell: [...movers.values()].filter((m) => m.updates).map((m) => m.contactId),
          by: changedBy(actor),
        },
      );
    });
    this.deps.jobs.wake();
    return { original: original.reference };
  }
}
