import type { Selectable } from 'kysely';
import type { BodyTable, TeamTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type BodyRow = Selectable<BodyTable>;
export type TeamRow = Selectable<TeamTable>;

export function listBodies(db: Executor): Promise<BodyRow[]> {
  return db.selectFrom('body').selectAll().orderBy('name').execute();
}

export function findBodyByCode(db: Executor, code: string): Promise<BodyRow | undefined> {
  return db.selectFrom('body').selectAll().where('code', '=', code).executeTakeFirst();
}

export function listTeams(db: Executor): Promise<TeamRow[]> {
  return db.selectFrom('team').selectAll().orderBy('name').execute();
}

export type BodyInput = Pick<BodyRow, 'code' | 'name' | 'kind' | 'email' | 'phone' | 'website'> & {
  delivery_method?: BodyRow['delivery_method'];
};

export async function upsertBody(db: Executor, body: BodyInput): Promise<string> {
  const row = await db
    .insertInto('body')
    .values(body)
    .onConflict((oc) =>
      oc.column('code').doUpdateSet({
        name: body.name,
        kind: body.kind,
        email: body.email,
        phone: body.phone,
        website: body.website,
        ...(body.delivery_method ? { delivery_method: body.delivery_method } : {}),
        updated_at: new Date(),
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function upsertTeam(
  db: Executor,
  team: { body_id: string; code: string; name: string; email: string | null },
): Promise<string> {
  const row = await db
    .insertInto('team')
    .values(team)
    .onConflict((oc) => oc.columns(['body_id', 'code']).doUpdateSet({ name: team.name, email: team.email }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export function findTeam(db: Executor, bodyId: string, code: string): Promise<TeamRow | undefined> {
  return db
    .selectFrom('team')
    .selectAll()
    .where('body_id', '=', bodyId)
    .where('code', '=', code)
    .executeTakeFirst();
}

/** Inserts a new body; undefined (and nothing written) if the code is taken. */
export async function insertBody(db: Executor, body: BodyInput): Promise<BodyRow | undefined> {
  return db
    .insertInto('body')
    .values(body)
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function updateBody(
  db: Executor,
  code: string,
  changes: Omit<BodyInput, 'code'>,
): Promise<BodyRow | undefined> {
  return db
    .updateTable('body')
    .set({ ...changes, updated_at: new Date() })
    .where('code', '=', code)
    .returningAll()
    .executeTakeFirst();
}

/** Inserts a new team; undefined (and nothing written) if the body already has a team with the code. */
export async function insertTeam(
  db: Executor,
  team: { body_id: string; code: string; name: string; email: string | null },
): Promise<TeamRow | undefined> {
  return db
    .insertInto('team')
    .values(team)
    .onConflict((oc) => oc.columns(['body_id', 'code']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function updateTeam(
  db: Executor,
  id: string,
  changes: { name: string; email: string | null },
): Promise<TeamRow | undefined> {
  return db.updateTable('team').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

/** The bodies whose cases the staff of `bodyId` may also see and work (not counting their own). */
export async function caseAccessOf(db: Executor, bodyId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('body_case_access')
    .select('case_body_id')
    .where('body_id', '=', bodyId)
    .execute();
  return rows.map((r) => r.case_body_id);
}

export async function replaceCaseAccess(db: Executor, bodyId: string, caseBodyIds: string[]): Promise<void> {
  await db.deleteFrom('body_case_access').where('body_id', '=', bodyId).execute();
  if (caseBodyIds.length) {
    await db
      .insertInto('body_case_access')
      .values(caseBodyIds.map((id) => ({ body_id: bodyId, case_body_id: id })))
      .execute();
  }
}
