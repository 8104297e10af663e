/**
 * Residents as contacts. A resident who has proved their email address (by opening a link we sent to
 * it) is found again by that address rather than created twice; details they give later fill in blanks
 * but never overwrite. An address nobody has proved is not matched: anyone can type anyone's email, and
 * joining on it would put one person's reports on another's record. Those contacts stay apart until
 * the address is proved (or staff merge them).
 *
 * The contact centre finds callers here (by name, email, phone or postcode), is shown the contacts that
 * may already be the caller before it can create another (never silently twice), and logs the
 * interactions (calls, emails, visits, letters) with or without a case. A body's staff see only the
 * contacts who have dealt with that body.
 */
import type { Kysely } from 'kysely';
import type { Database, InteractionKind } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import type { OrganisationsService } from '../organisations/index.js';
import * as repo from './contacts.repository.js';

export interface ContactDetails {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A deliberately plain check: something@something.something, no spaces; the email itself is the test. */
export function looksLikeEmail(email: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()) && email.trim().length <= 254;
}

export const INTERACTION_KINDS: Record<InteractionKind, string> = {
  call: 'Phone call',
  email: 'Email',
  visit: 'Visit',
  letter: 'Letter',
};

export interface CallerDetails {
  name?: string;
  email?: string;
  phone?: string;
  postcode?: string;
  address?: string;
}

export interface ContactMatch {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  address: string | null;
  /** Why this may be the same person, in words for the agent. */
  reasons: string[];
}

/** The details a merge chooses between, in the order the page shows them. */
export const MERGE_FIELDS = ['name', 'email', 'phone', 'postcode', 'address'] as const;
export type MergeField = (typeof MERGE_FIELDS)[number];

/** The staff member acting, as far as contacts are concerned. */
export interface ContactScope {
  staffId: string;
  bodyId: string;
}

const POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})$/;
const OUTWARD = /^[A-Z]{1,2}\d[A-Z\d]?$/;

/** "m33 7aa" → "M33 7AA"; undefined when it is not a whole UK postcode. */
export function normalisePostcode(text: string): string | undefined {
  const match = POSTCODE.exec(text.trim().toUpperCase().replace(/\s+/g, ' '));
  return match ? `${match[1]} ${match[2]}` : undefined;
}

/** The database's phone_digits, in JavaScript: digits only, +44 or 0044 as a leading 0. */
export function phoneDigits(phone: string): string {
  return phone.replace(/\D/g, '').replace(/^(00)?440?/, '0');
}

export function looksLikePhone(text: string): boolean {
  return /^[+()\d\s-]{7,20}$/.test(text.trim()) && text.replace(/\D/g, '').length >= 7;
}

export class ContactsService {
  constructor(
    private readonly db?: Kysely<Database>,
    private readonly organisations?: Pick<OrganisationsService, 'caseBodiesFor'>,
  ) {}

  /**
   * The bodies whose contacts this member of staff may see: their own and those whose cases an admin
   * has let their body work (the same rule as cases, so a resident named on a case they can open has a
   * contact page they can open too).
   */
  private async bodiesOf(scope: ContactScope): Promise<string[]> {
    return this.organisations ? this.organisations.caseBodiesFor(scope.bodyId) : [scope.bodyId];
  }

  private get database(): Kysely<Database> {
    if (!this.db) throw new Error('ContactsService was built without a database');
    return this.db;
  }

  /**
   * Callers matching what the agent typed: an email address (or part of one), a phone number (any
   * spacing, +44 or 0), a postcode (whole or the first half) or a name (typos forgiven).
   */
  async search(scope: ContactScope, query: string, limit = 25) {
    const q = query.trim();
    if (q.length < 2) return [];
    const upper = q.toUpperCase().replace(/\s+/g, '');
    let search: repo.ContactSearch;
    if (q.includes('@')) search = { emailLike: normaliseEmail(q) };
    else if (looksLikePhone(q)) search = { phoneDigits: phoneDigits(q) };
    else if (normalisePostcode(q) || OUTWARD.test(upper)) search = { postcodePrefix: upper };
    else search = { name: q };
    const rows = await repo.searchContacts(this.database, await this.bodiesOf(scope), search, limit);
    return rows.map((r) => ({ ...r, caseCount: Number(r.case_count ?? 0) }));
  }

  /** What is wrong with a caller's details as typed by an agent. */
  callerProblems(details: CallerDetails): FieldError[] {
    const problems: FieldError[] = [];
    const name = details.name?.trim() ?? '';
    const email = details.email?.trim() ?? '';
    const phone = details.phone?.trim() ?? '';
    const postcode = details.postcode?.trim() ?? '';
    if (!name) problems.push({ field: 'name', message: 'Enter the caller’s name' });
    else if (name.length > 200)
      problems.push({ field: 'name', message: 'Name must be 200 characters or fewer' });
    if (email && !looksLikeEmail(email))
      problems.push({
        field: 'email',
        message: 'Enter an email address in the correct format, like name@example.com',
      });
    if (phone && !looksLikePhone(phone))
      problems.push({
        field: 'phone',
        message: 'Enter a telephone number, like 0161 496 0000 or +44 7700 900 982',
      });
    if (!email && !phone)
      problems.push({
        field: 'phone',
        message: 'Enter a telephone number or an email address, so we can reach the caller',
      });
    if (postcode && !normalisePostcode(postcode))
      problems.push({ field: 'postcode', message: 'Enter a full UK postcode, like M32 0TH' });
    if ((details.address?.trim().length ?? 0) > 500)
      problems.push({ field: 'address', message: 'Address must be 500 characters or fewer' });
    return problems;
  }

  /** Contacts this body's staff can see that may be the caller, each with its reasons. */
  async likelyDuplicates(scope: ContactScope, details: CallerDetails): Promise<ContactMatch[]> {
    const email = details.email?.trim() ? normaliseEmail(details.email) : null;
    const phone = details.phone?.trim() ? phoneDigits(details.phone) : null;
    const postcode = details.postcode ? (normalisePostcode(details.postcode) ?? null) : null;
    const name = details.name?.trim() || null;
    const rows = await repo.likelyDuplicates(this.database, await this.bodiesOf(scope), {
      emailNormalised: email,
      phoneDigits: phone,
      name,
      postcode,
    });
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      phone: r.phone,
      postcode: r.postcode,
      address: r.address,
      reasons: [
        ...(r.same_email ? ['Same email address'] : []),
        ...(r.same_phone ? ['Same phone number'] : []),
        ...(r.similar_name && r.same_postcode ? ['Similar name at the same postcode'] : []),
        ...(r.similar_name && !r.same_postcode ? ['Similar name'] : []),
      ],
    }));
  }

  /**
   * A new contact for a caller. Refused while contacts that may be the same person exist, unless the
   * agent has looked at them and said the caller is none of them: never a silent second record.
   */
  async createCaller(
    scope: ContactScope,
    details: CallerDetails,
    { notAnyOf = [] }: { notAnyOf?: string[] } = {},
  ): Promise<{ id: string }> {
    const problems = this.callerProblems(details);
    if (problems.length) throw new AppError('validation_failed', 'Check the caller’s details', problems);
    const matches = await this.likelyDuplicates(scope, details);
    const unseen = matches.filter((m) => !notAnyOf.includes(m.id));
    if (unseen.length) {
      throw new AppError('conflict', 'The caller may already be a contact', [
        {
          field: 'contact',
          message: 'Choose the caller from the contacts that match, or confirm they are none of them',
        },
      ]);
    }
    const email = details.email?.trim() || null;
    const row = await repo.insertCallerContact(this.database, {
      name: details.name!.trim(),
      email,
      // A verified address is one contact only: an agent's typing does not prove anyone owns it.
      email_normalised: email ? normaliseEmail(email) : null,
      phone: details.phone?.trim() || null,
      postcode: details.postcode ? (normalisePostcode(details.postcode) ?? null) : null,
      address: details.address?.trim() || null,
      created_by_body_id: scope.bodyId,
    });
    return { id: row.id };
  }

  /** The contact if this body's staff may see them, else a 404 that does not say whether they exist. */
  async contactFor(scope: ContactScope, id: string) {
    const found =
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) &&
      (await repo.isVisibleTo(this.database, await this.bodiesOf(scope), id));
    const row = found ? await repo.findById(this.database, id) : undefined;
    if (!row) throw new AppError('not_found', 'There is no contact with that reference');
    return row;
  }

  /**
   * Two records of one person, for the merge page: both (each visible to this member of staff), the
   * fields on which they differ (to choose between), and how much history the second one brings.
   */
  async mergePreview(scope: ContactScope, keepId: string, otherId: string) {
    if (keepId === otherId) throw new AppError('not_found', 'There is no other contact with that reference');
    const [keep, other] = await Promise.all([
      this.contactFor(scope, keepId),
      this.contactFor(scope, otherId),
    ]);
    const differing = MERGE_FIELDS.filter(
      (f) =>
        keep[f] &&
        other[f] &&
        keep[f] !== other[f] &&
        !(f === 'email' && keep.email_normalised === other.email_normalised),
    );
    return { keep, other, differing, moving: await repo.historyCounts(this.database, other.id) };
  }

  /**
   * Merges `otherId` into `keepId`: the other record's cases (reported and followed) and interactions
   * move to the kept one and the other record is deleted. Where both records have a value for a
   * field, `choices` says whose to keep (`keep` unless it says `other`); where only one has, that one is
   * kept, so no detail is dropped without someone choosing to. A confirmed email address keeps its
   * confirmation. Returns what was moved and the other record as it was (for the audit trail).
   */
  async merge(
    scope: ContactScope,
    keepId: string,
    otherId: string,
    choices: Partial<Record<MergeField, 'keep' | 'other'>>,
    /** Moves the other record's cases and follows to the kept one, inside the merge's transaction. */
    moveCases: (trx: Executor, fromId: string, intoId: string) => Promise<number>,
  ) {
    await this.mergePreview(scope, keepId, otherId); // both visible, and two different records
    return this.database.transaction().execute(async (trx) => {
      const locked = await repo.lockForMerge(trx, [keepId, otherId]);
      const keep = locked.find((c) => c.id === keepId);
      const other = locked.find((c) => c.id === otherId);
      if (!keep || !other)
        throw new AppError('not_found', 'One of the records has just been merged or removed');
      const pick = (field: MergeField) =>
        (choices[field] === 'other' && other[field]) || !keep[field] ? other[field] : keep[field];
      // The same address in both (whatever its case) keeps the resident's confirmation, whichever has it.
      const sameAddress = keep.email_normalised !== null && keep.email_normalised === other.email_normalised;
      const emailFrom = sameAddress
        ? keep.email_verified_at || !other.email_verified_at
          ? keep
          : other
        : pick('email') === keep.email
          ? keep
          : other;
      const cases = await moveCases(trx, other.id, keep.id);
      const moved = await repo.mergeInto(trx, keep.id, other.id, {
        name: pick('name'),
        email: emailFrom.email,
        email_normalised: emailFrom.email_normalised,
        email_verified_at: emailFrom.email_verified_at,
        phone: pick('phone'),
        postcode: pick('postcode'),
        address: pick('address'),
      });
      return { ...moved, cases, merged: other };
    });
  }

  /** The agent corrects or completes a caller's details (the email address is not changed here). */
  async updateCaller(scope: ContactScope, id: string, details: CallerDetails): Promise<void> {
    const row = await this.contactFor(scope, id);
    const problems = this.callerProblems({ ...details, email: row.email ?? undefined });
    if (problems.length) throw new AppError('validation_failed', 'Check the caller’s details', problems);
    await repo.updateCallerDetails(this.database, id, {
      name: details.name!.trim(),
      phone: details.phone?.trim() || null,
      postcode: details.postcode ? (normalisePostcode(details.postcode) ?? null) : null,
      address: details.address?.trim() || null,
    });
  }

  /** Records a call, email, visit or letter with a contact, with or without a case; in the caller's transaction if given. */
  async logInteraction(
    scope: ContactScope,
    interaction: {
      contactId: string;
      caseId?: string | null;
      kind: InteractionKind;
      direction: 'inbound' | 'outbound';
      summary: string;
      occurredAt?: Date;
    },
    trx: Executor = this.database,
  ) {
    const summary = interaction.summary.trim();
    const problems: FieldError[] = [];
    if (!Object.hasOwn(INTERACTION_KINDS, interaction.kind))
      problems.push({ field: 'kind', message: 'Choose a phone call, email, visit or letter' });
    if (interaction.direction !== 'inbound' && interaction.direction !== 'outbound')
      problems.push({
        field: 'direction',
        message: 'Choose whether the contact came from the resident or from us',
      });
    if (!summary) problems.push({ field: 'summary', message: 'Enter what was said or done' });
    else if (summary.length > 5000)
      problems.push({ field: 'summary', message: 'The summary must be 5,000 characters or fewer' });
    if (problems.length) throw new AppError('validation_failed', 'Check the interaction', problems);
    return repo.insertInteraction(trx, {
      contact_id: interaction.contactId,
      case_id: interaction.caseId ?? null,
      body_id: scope.bodyId,
      kind: interaction.kind,
      direction: interaction.direction,
      summary,
      staff_id: scope.staffId,
      ...(interaction.occurredAt ? { occurred_at: interaction.occurredAt } : {}),
    });
  }

  async interactions(scope: ContactScope, contactId: string) {
    return repo.interactionsOf(this.database, contactId, await this.bodiesOf(scope));
  }

  /** Finds the contact with this email, or creates one; in the caller's transaction. */
  async findOrCreate(trx: Executor, details: ContactDetails): Promise<{ id: string; created: boolean }> {
    const name = details.name?.trim() || null;
    const phone = details.phone?.trim() || null;
    const email = details.email?.trim() || null;
    if (!email) {
      const row = await repo.insertContact(trx, { name, email: null, email_normalised: null, phone });
      return { id: row.id, created: true };
    }
    const normalised = normaliseEmail(email);
    const existing = await repo.findVerifiedByEmail(trx, normalised);
    if (existing) {
      await repo.fillBlanks(trx, existing.id, { name, phone });
      return { id: existing.id, created: false };
    }
    const row = await repo.insertContact(trx, { name, email, email_normalised: normalised, phone });
    return { id: row.id, created: true };
  }

  async get(trx: Executor, id: string) {
    return repo.findById(trx, id);
  }

  /** The resident proved they read this address (opened a link we sent to it). */
  markEmailVerified(trx: Executor, id: string): Promise<boolean> {
    return repo.markEmailVerified(trx, id);
  }
}
