/** The response_template table: rows in, ResponseTemplate out. */
import type { Selectable } from 'kysely';
import type { ResponseTemplateTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import type { ResponseTemplate } from './response-templates.service.js';

function toTemplate(row: Selectable<ResponseTemplateTable>): ResponseTemplate {
  return { id: row.id, name: row.name, body: row.body, setsStatus: row.sets_status };
}

type TemplateWrite = Omit<ResponseTemplate, 'id'>;

export async function listTemplates(db: Executor): Promise<ResponseTemplate[]> {
  return (await db.selectFrom('response_template').selectAll().orderBy('name').execute()).map(toTemplate);
}

export async function findTemplate(db: Executor, id: string): Promise<ResponseTemplate | undefined> {
  const row = await db.selectFrom('response_template').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toTemplate(row);
}

/** Adds a template; a name already in use fails with the unique violation (23505) for the caller to word. */
export async function insertTemplate(db: Executor, t: TemplateWrite): Promise<string> {
  const row = await db
    .insertInto('response_template')
    .values({ name: t.name, body: t.body, sets_status: t.setsStatus })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateTemplate(db: Executor, id: string, t: TemplateWrite): Promise<string> {
  const row = await db
    .updateTable('response_template')
    .set({ name: t.name, body: t.body, sets_status: t.setsStatus, updated_at: new Date() })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function deleteTemplate(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('response_template').where('id', '=', id).execute();
}
