/**
 * The api_client table (keys, stored as hashes) and api_idempotency (the answers to writes sent with an
 * Idempotency-Key, kept so that a retried request gets the same answer).
 */
import { sql, type Insertable, type Selectable } from 'kysely';
import type { ApiClientTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type ApiClientRow = Selectable<ApiClientTable>;

export function insertClient(db: Executor, values: Insertable<ApiClientTable>): Promise<ApiClientRow> {
  return db.insertInto('api_client').values(values).returningAll().executeTakeFirstOrThrow();
}

export function listClients(db: Executor): Promise<ApiClientRow[]> {
  return db.selectFrom('api_client').selectAll().orderBy('created_at').execute();
}

export function findClient(db: Executor, id: string): Promise<ApiClientRow | undefined> {
  return db.selectFrom('api_client').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findClientByPrefix(db: Executor, prefix: string): Promise<ApiClientRow | undefined> {
  return db.selectFrom('api_client').selectAll().where('key_prefix', '=', prefix).executeTakeFirst();
}

/** True when a live key with this prefix was revoked now. */
export async function revokeClient(db: Executor, prefix: string): Promise<boolean> {
  const result = await db
    .updateTable('api_client')
    .set({ revoked_at: new Date() })
    .where('key_prefix', '=', prefix)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function markClientUsed(db: Executor, id: string): Promise<void> {
  await db.updateTable('api_client').set({ last_used_at: new Date() }).where('id', '=', id).execute();
}

/** Claims an Idempotency-Key for a client; undefined when it is claimed already. */
export async function claimIdempotencyKey(
  db: Executor,
  clientId: string,
  key: string,
  requestHash: string,
): Promise<boolean> {
  const claimed = await db
    .insertInto('api_idempotency')
    .values({ api_client_id: clientId, key, request_hash: requestHash })
    .onConflict((oc) => oc.columns(['api_client_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  return claimed !== undefined;
}

export function findIdempotencyKey(db: Executor, clientId: string, key: string) {
  return db
    .selectFrom('api_idempotency')
    .selectAll()
    .where('api_client_id', '=', clientId)
    .where('key', '=', key)
    .executeTakeFirst();
}

/** Stores the answer given to the request that claimed the key. */
export async function storeIdempotentAnswer(
  db: Executor,
  clientId: string,
  key: string,
  statusCode: number,
  stored: unknown,
): Promise<void> {
  await db
    .updateTable('api_idempotency')
    .set({ state: 'done', status_code: statusCode, response: sql`${JSON.stringify(stored)}::jsonb` })
    .where('api_client_id', '=', clientId)
    .where('key', '=', key)
    .execute();
}

export async function forgetIdempotencyKey(db: Executor, clientId: string, key: string): Promise<void> {
  await db
    .deleteFrom('api_idempotency')
    .where('api_client_id', '=', clientId)
    .where('key', '=', key)
    .execute();
}
