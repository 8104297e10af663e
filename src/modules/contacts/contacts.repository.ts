import type { Selectable } from 'kysely';
import type { ContactTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type ContactRow = Selectable<ContactTable>;

export function findByNormalisedEmail(db: Executor, email: string): Promise<ContactRow | undefined> {
  return db.selectFrom('contact').selectAll().where('email_normalised', '=', email).executeTakeFirst();
}

export function findById(db: Executor, id: string): Promise<ContactRow | undefined> {
  return db.selectFrom('contact').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertContact(
  db: Executor,
  contact: {
    name: string | null;
    email: string | null;
    email_normalised: string | null;
    phone: string | null;
  },
): Promise<ContactRow> {
  return db.insertInto('contact').values(contact).returningAll().executeTakeFirstOrThrow();
}

/** Inserts unless a contact with this email exists; either way returns the row (race-safe). */
export async function insertOrGetByEmail(
  db: Executor,
  contact: { name: string | null; email: string; email_normalised: string; phone: string | null },
): Promise<ContactRow> {
  const inserted = await db
    .insertInto('contact')
    .values(contact)
    .onConflict((oc) => oc.column('email_normalised').where('email_normalised', 'is not', null).doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted ?? (await findByNormalisedEmail(db, contact.email_normalised))!;
}

export async function fillBlanks(
  db: Executor,
  id: string,
  fields: { name?: string | null; phone?: string | null },
) {
  await db
    .updateTable('contact')
    .set((eb) => ({
      name: eb.fn.coalesce('name', eb.val(fields.name ?? null)),
      phone: eb.fn.coalesce('phone', eb.val(fields.phone ?? null)),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .execute();
}

export async function markEmailVerified(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('contact')
    .set({ email_verified_at: new Date() })
    .where('id', '=', id)
    .where('email_verified_at', 'is', null)
    .execute();
}
