/**
 * All of the photo module's SQL. Callers pass ids that are already known to be UUIDs (the service
 * checks), because a malformed uuid is an SQL error that would abort the caller's transaction.
 */
import { sql, type Selectable } from 'kysely';
import type { PhotoTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type PhotoRow = Selectable<PhotoTable>;

export interface StoredKeys {
  storage_key: string;
  thumbnail_key: string;
}

export interface NewPhotoRow extends StoredKeys {
  owner_key: string;
  width: number;
  height: number;
  bytes: number;
  source_type: string;
}

export async function insertPhoto(db: Executor, photo: NewPhotoRow): Promise<PhotoRow> {
  return db.insertInto('photo').values(photo).returningAll().executeTakeFirstOrThrow();
}

export function findPhoto(db: Executor, id: string): Promise<PhotoRow | undefined> {
  return db.selectFrom('photo').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listUnattachedForOwner(db: Executor, ownerKey: string): Promise<PhotoRow[]> {
  return db
    .selectFrom('photo')
    .selectAll()
    .where('owner_key', '=', ownerKey)
    .where('case_id', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function countUnattachedForOwner(db: Executor, ownerKey: string): Promise<number> {
  const row = await db
    .selectFrom('photo')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('owner_key', '=', ownerKey)
    .where('case_id', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Serialises uploads by the same owner until the end of the transaction, so two uploads racing each
 * other cannot both pass the per-report limit.
 */
export async function lockOwner(db: Executor, ownerKey: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'photo:' + ownerKey}, 0))`.execute(db);
}

export function listForCase(db: Executor, caseId: string, publicOnly: boolean): Promise<PhotoRow[]> {
  let query = db.selectFrom('photo').selectAll().where('case_id', '=', caseId);
  if (publicOnly) query = query.where('is_public', '=', true);
  return query.orderBy('created_at').orderBy('id').execute();
}

export function deleteUnattached(
  db: Executor,
  id: string,
  ownerKey: string,
): Promise<StoredKeys | undefined> {
  return db
    .deleteFrom('photo')
    .where('id', '=', id)
    .where('owner_key', '=', ownerKey)
    .where('case_id', 'is', null)
    .returning(['storage_key', 'thumbnail_key'])
    .executeTakeFirst();
}

export async function attach(
  db: Executor,
  ids: readonly string[],
  ownerKey: string,
  caseId: string,
  isPublic: boolean,
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('photo')
    .set({ case_id: caseId, is_public: isPublic, attached_at: sql<Date>`now()` })
    .where('id', 'in', [...ids])
    .where('owner_key', '=', ownerKey)
    .where('case_id', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export function deleteForCase(db: Executor, caseId: string): Promise<StoredKeys[]> {
  return db
    .deleteFrom('photo')
    .where('case_id', '=', caseId)
    .returning(['storage_key', 'thumbnail_key'])
    .execute();
}

/**
 * Deletes up to `limit` uploads never attached to a case and older than `olderThanSeconds` (by the
 * database clock), returning their keys so the files can go too. Rows another transaction holds
 * (for example one attaching them right now) are skipped, not waited for.
 */
export function deleteOrphans(db: Executor, olderThanSeconds: number, limit: number): Promise<StoredKeys[]> {
  return db
    .deleteFrom('photo')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('photo')
        .select('id')
        .where('case_id', 'is', null)
        .where(
          'created_at',
          '<',
          sql<Date>`now() - make_interval(secs => ${olderThanSeconds}::double precision)`,
        )
        .orderBy('created_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .where('case_id', 'is', null)
    .returning(['storage_key', 'thumbnail_key'])
    .execute();
}
