import { sql } from 'kysely';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export interface ServiceRow {
  id: string;
  code: string;
  name: string;
  group_name: string;
  description: string;
  keywords: string[];
  is_public: boolean;
  active: boolean;
  definition: Record<string, unknown>;
  offered_by: string[];
}

function baseQuery(db: Executor) {
  return db.selectFrom('service').select([
    'service.id',
    'service.code',
    'service.name',
    'service.group_name',
    'service.description',
    'service.keywords',
    'service.is_public',
    'service.active',
    'service.definition',
    // The codes of the bodies offering it, as one array, in a stable order.
    sql<string[]>`coalesce((
        select array_agg(b.code order by b.code) from service_body sb join body b on b.id = sb.body_id
        where sb.service_id = service.id), '{}')`.as('offered_by'),
  ]);
}

export function listServices(db: Executor, { activeOnly }: { activeOnly: boolean }): Promise<ServiceRow[]> {
  let query = baseQuery(db).orderBy('service.group_name').orderBy('service.name');
  if (activeOnly) query = query.where('service.active', '=', true);
  return query.execute();
}

export function findServiceByCode(db: Executor, code: string): Promise<ServiceRow | undefined> {
  return baseQuery(db).where('service.code', '=', code).executeTakeFirst();
}

export interface ServiceWrite {
  code: string;
  name: string;
  group_name: string;
  description: string;
  keywords: string[];
  is_public: boolean;
  active: boolean;
  definition: Record<string, unknown>;
}

export async function upsertService(db: Executor, service: ServiceWrite, bodyIds: string[]): Promise<string> {
  const values = { ...service, definition: JSON.stringify(service.definition) };
  const row = await db
    .insertInto('service')
    .values(values)
    .onConflict((oc) =>
      oc.column('code').doUpdateSet({
        name: values.name,
        group_name: values.group_name,
        description: values.description,
        keywords: values.keywords,
        is_public: values.is_public,
        active: values.active,
        definition: values.definition,
        updated_at: new Date(),
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.deleteFrom('service_body').where('service_id', '=', row.id).execute();
  if (bodyIds.length) {
    await db
      .insertInto('service_body')
      .values(bodyIds.map((body_id) => ({ service_id: row.id, body_id })))
      .execute();
  }
  return row.id;
}
