/**
 * Extra staff accounts for tests, beside the demo council's: people of another body or another team,
 * to show what each access rule refuses them.
 *
 *   await addStaffAccount(db, PARISH_CLERK);
 *   await clerk.signIn(PARISH_CLERK.email, PARISH_CLERK.password);
 */
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Database, StaffRole } from '../../src/db/database.js';

export interface TestStaffAccount {
  email: string;
  name: string;
  role: StaffRole;
  bodyCode: string;
  teamCode?: string;
  password: string;
}

/** Staff of another body (the demo's parish council), who must not see or act on the borough's cases. */
export const PARISH_CLERK: TestStaffAccount = {
  email: 'clerk@littlewickham-pc.example',
  name: 'Parish Clerk',
  role: 'officer',
  bodyCode: 'little-wickham',
  password: 'parish-clerk-password',
};

export async function addStaffAccount(db: Kysely<Database>, account: TestStaffAccount): Promise<string> {
  const body = await db
    .selectFrom('body')
    .select('id')
    .where('code', '=', account.bodyCode)
    .executeTakeFirstOrThrow();
  const team = account.teamCode
    ? await db
        .selectFrom('team')
        .select('id')
        .where('body_id', '=', body.id)
        .where('code', '=', account.teamCode)
        .executeTakeFirstOrThrow()
    : undefined;
  const row = await db
    .insertInto('staff_user')
    .values({
      email: account.email,
      name: account.name,
      role: account.role,
      body_id: body.id,
      team_id: team?.id ?? null,
      password_hash: await hash(account.password),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
