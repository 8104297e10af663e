import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';

export interface ServiceSummary {
  code: string;
  name: string;
  group: string;
  description: string;
}

export async function listActiveServices(db: Kysely<Database>): Promise<ServiceSummary[]> {
  const rows = await db
    .selectFrom('service')
    .select(['code', 'name', 'group_name', 'description'])
    .where('active', '=', true)
    .orderBy('group_name')
    .orderBy('name')
    .execute();
  return rows.map((row) => ({
    code: row.code,
    name: row.name,
    group: row.group_name,
    description: row.description,
  }));
}
