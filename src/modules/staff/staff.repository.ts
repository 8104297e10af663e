import type { Selectable } from 'kysely';
import type { StaffUserTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type StaffRow = Selectable<StaffUserTable>;

export function findStaffByEmail(db: Executor, email: string): Promise<StaffRow | undefined> {
  return db
    .selectFrom('staff_user')
    .selectAll()
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
}

export function findStaffById(db: Executor, id: string): Promise<StaffRow | undefined> {
  return db.selectFrom('staff_user').selectAll().where('id', '=', id).executeTakeFirst();
}
