/**
 * Residents as contacts. A resident who has proved their email address (by opening a link we sent to
 * it) is found again by that address rather than created twice; details they give later fill in blanks
 * but never overwrite. An address nobody has proved is not matched: anyone can type anyone's email, and
 * joining on it would put one person's reports on another's record. Those contacts stay apart until
 * the address is proved (or staff merge them).
 */
import type { Executor } from '../../infra/jobs/outbox.repository.js';
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

export class ContactsService {
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
