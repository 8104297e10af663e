import type { Selectable } from 'kysely';
import type { ContactTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type ContactRow = Selectable<ContactTable>;

/** The contact who has proved they own this address, if any. */
export function findVerifiedByEmail(db: Executor, email: string): Promise<ContactRow | undefined> {
  return db
    .selectFrom('contact')
    .selectAll()
    .where('email_normalised', '=', email)
    .where('email_verified_at', 'is not', null)
    .executeTakeFirst();
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

/**
 * Marks the address proved, unless another contact has already proved the same address (then the two
 * records are the same person, for the de-duplication tools to merge; this one stays unverified).
 */
export async function markEmailVerified(db: Executor, id: string): Promise<boolean> {
  const result = await db
    .updateTable('contact')
    .set({ email_verified_at: new Date() })
    .where('id', '=', id)
    .where('email_verified_at', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('contact as other')
            .select('other.id')
            .whereRef('other.email_normalised', '=', 'contact.email_normalised')
            .where('other.email_verified_at', 'is not', null),
        ),
      ),
    )
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
