import { sql, type ExpressionBuilder, type Insertable, type Selectable } from 'kysely';
import type { ContactTable, Database, InteractionTable } from '../../db/database.js';
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

// ---------------------------------------------------------------- the contact centre

export type InteractionRow = Selectable<InteractionTable>;

/**
 * The contacts a body's staff may see: those who reported or follow one of its cases, whom its staff
 * created, or with whom its staff logged an interaction. (Read-only joins onto the case tables: which
 * body a resident has dealt with is what scopes their personal data.)
 */
function visibleTo(bodyIds: string[]) {
  return ({ or, eb, exists, selectFrom }: ExpressionBuilder<Database, 'contact'>) =>
    or([
      eb('contact.created_by_body_id', 'in', bodyIds),
      exists(
        selectFrom('cases')
          .select('cases.id')
          .whereRef('cases.reporter_contact_id', '=', 'contact.id')
          .where('cases.body_id', 'in', bodyIds),
      ),
      exists(
        selectFrom('case_follower')
          .innerJoin('cases', 'cases.id', 'case_follower.case_id')
          .select('cases.id')
          .whereRef('case_follower.contact_id', '=', 'contact.id')
          .where('cases.body_id', 'in', bodyIds),
      ),
      exists(
        selectFrom('interaction')
          .select('interaction.id')
          .whereRef('interaction.contact_id', '=', 'contact.id')
          .where('interaction.body_id', 'in', bodyIds),
      ),
    ]);
}

export interface ContactSearch {
  emailLike?: string;
  phoneDigits?: string;
  postcodePrefix?: string;
  name?: string;
}

export async function searchContacts(db: Executor, bodyIds: string[], search: ContactSearch, limit: number) {
  let query = db
    .selectFrom('contact')
    .select([
      'contact.id',
      'contact.name',
      'contact.email',
      'contact.phone',
      'contact.postcode',
      'contact.address',
      'contact.created_at',
    ])
    .select((eb) =>
      eb
        .selectFrom('cases')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('cases.reporter_contact_id', '=', 'contact.id')
        .where('cases.body_id', 'in', bodyIds)
        .as('case_count'),
    )
    .where(visibleTo(bodyIds))
    .limit(limit);
  if (search.emailLike !== undefined)
    query = query.where('contact.email_normalised', 'like', `%${escapeLike(search.emailLike)}%`);
  if (search.phoneDigits !== undefined)
    query = query.where('contact.phone_digits', 'like', `%${escapeLike(search.phoneDigits)}%`);
  if (search.postcodePrefix !== undefined) {
    query = query.where(
      sql<string>`replace(contact.postcode, ' ', '')`,
      'like',
      `${escapeLike(search.postcodePrefix)}%`,
    );
  }
  if (search.name !== undefined) {
    const name = search.name.toLowerCase();
    // Typo-tolerant (trigram similarity, indexed) as well as a plain substring match.
    query = query
      .where((eb) =>
        eb.or([
          eb(sql`lower(contact.name)`, 'like', `%${escapeLike(name)}%`),
          sql<boolean>`lower(contact.name) % ${name}`,
        ]),
      )
      .orderBy(sql`similarity(lower(contact.name), ${name})`, 'desc');
  }
  return query.orderBy('contact.created_at', 'desc').execute();
}

/** Contacts that may be the same person as these details, with why. */
export async function likelyDuplicates(
  db: Executor,
  bodyIds: string[],
  details: {
    emailNormalised: string | null;
    phoneDigits: string | null;
    name: string | null;
    postcode: string | null;
  },
) {
  const name = details.name?.toLowerCase() ?? null;
  const rows = await db
    .selectFrom('contact')
    .select([
      'contact.id',
      'contact.name',
      'contact.email',
      'contact.phone',
      'contact.postcode',
      'contact.address',
      'contact.created_at',
    ])
    .select((eb) => [
      details.emailNormalised
        ? eb('contact.email_normalised', '=', details.emailNormalised).as('same_email')
        : sql<boolean>`false`.as('same_email'),
      details.phoneDigits
        ? eb('contact.phone_digits', '=', details.phoneDigits).as('same_phone')
        : sql<boolean>`false`.as('same_phone'),
      name
        ? sql<boolean>`coalesce(similarity(lower(contact.name), ${name}) >= 0.5, false)`.as('similar_name')
        : sql<boolean>`false`.as('similar_name'),
      details.postcode
        ? eb('contact.postcode', '=', details.postcode).as('same_postcode')
        : sql<boolean>`false`.as('same_postcode'),
    ])
    .where(visibleTo(bodyIds))
    .where((eb) => {
      const any = [];
      if (details.emailNormalised) any.push(eb('contact.email_normalised', '=', details.emailNormalised));
      if (details.phoneDigits) any.push(eb('contact.phone_digits', '=', details.phoneDigits));
      if (name && details.postcode) {
        any.push(
          eb.and([
            eb('contact.postcode', '=', details.postcode),
            sql<boolean>`similarity(lower(contact.name), ${name}) >= 0.5`,
          ]),
        );
      }
      // The same name exactly (ignoring case) is worth a look even without a postcode.
      if (name) any.push(eb(sql`lower(contact.name)`, '=', name));
      return any.length ? eb.or(any) : sql<boolean>`false`;
    })
    .limit(10)
    .execute();
  return rows;
}

export async function isVisibleTo(db: Executor, bodyIds: string[], contactId: string): Promise<boolean> {
  const row = await db
    .selectFrom('contact')
    .select('contact.id')
    .where('contact.id', '=', contactId)
    .where(visibleTo(bodyIds))
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertCallerContact(
  db: Executor,
  contact: {
    name: string | null;
    email: string | null;
    email_normalised: string | null;
    phone: string | null;
    postcode: string | null;
    address: string | null;
    created_by_body_id: string;
  },
): Promise<ContactRow> {
  return db.insertInto('contact').values(contact).returningAll().executeTakeFirstOrThrow();
}

export async function updateCallerDetails(
  db: Executor,
  id: string,
  fields: { name: string | null; phone: string | null; postcode: string | null; address: string | null },
) {
  await db
    .updateTable('contact')
    .set({ ...fields, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export async function insertInteraction(
  db: Executor,
  row: Insertable<InteractionTable>,
): Promise<InteractionRow> {
  return db.insertInto('interaction').values(row).returningAll().executeTakeFirstOrThrow();
}

export function interactionsOf(db: Executor, contactId: string, bodyIds: string[]) {
  return db
    .selectFrom('interaction')
    .leftJoin('staff_user', 'staff_user.id', 'interaction.staff_id')
    .leftJoin('cases', 'cases.id', 'interaction.case_id')
    .select([
      'interaction.id',
      'interaction.kind',
      'interaction.direction',
      'interaction.summary',
      'interaction.occurred_at',
      'staff_user.name as staff_name',
      'cases.reference as case_reference',
    ])
    .where('interaction.contact_id', '=', contactId)
    .where('interaction.body_id', 'in', bodyIds)
    .orderBy('interaction.occurred_at', 'desc')
    .orderBy('interaction.created_at', 'desc')
    .limit(200)
    .execute();
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The two records to merge, locked (in id order, so two merges of the same pair cannot deadlock). */
export function lockForMerge(db: Executor, ids: [string, string]) {
  return db.selectFrom('contact').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

/** How much of a contact's history a merge would move: cases reported, cases followed, interactions. */
export async function historyCounts(db: Executor, contactId: string) {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('cases')
        .select(eb.fn.countAll<string>().as('n'))
        .where('reporter_contact_id', '=', contactId)
        .as('reported'),
      eb
        .selectFrom('case_follower')
        .select(eb.fn.countAll<string>().as('n'))
        .where('contact_id', '=', contactId)
        .as('followed'),
      eb
        .selectFrom('interaction')
        .select(eb.fn.countAll<string>().as('n'))
        .where('contact_id', '=', contactId)
        .as('interactions'),
    ])
    .executeTakeFirstOrThrow();
  return {
    reported: Number(row.reported),
    followed: Number(row.followed),
    interactions: Number(row.interactions),
  };
}

/**
 * Moves the interactions of `fromId` to `intoId` and deletes `fromId`, then writes the kept record's chosen
 * details. Deleting first frees a verified address for the kept record (one contact per verified email).
 * The caller has moved the record's cases and follows first (the case core's), since deleting it takes
 * its follower rows.
 */
export async function mergeInto(
  db: Executor,
  intoId: string,
  fromId: string,
  details: Pick<
    ContactRow,
    'name' | 'email' | 'email_normalised' | 'email_verified_at' | 'phone' | 'postcode' | 'address'
  >,
): Promise<{ interactions: number }> {
  const interactions = await db
    .updateTable('interaction')
    .set({ contact_id: intoId })
    .where('contact_id', '=', fromId)
    .executeTakeFirst();
  // The cascade takes the old record's follower rows, copied above.
  await db.deleteFrom('contact').where('id', '=', fromId).execute();
  await db
    .updateTable('contact')
    .set({ ...details, updated_at: new Date() })
    .where('id', '=', intoId)
    .execute();
  return { interactions: Number(interactions.numUpdatedRows) };
}
