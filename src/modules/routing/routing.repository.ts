import type { Executor } from '../../infra/jobs/outbox.repository.js';
import type { RuleConditions } from './routing-engine.js';

export interface RuleRow {
  id: string;
  service_code: string | null;
  position: number;
  name: string;
  conditions: RuleConditions;
  body_id: string;
  team_id: string | null;
  show_contact: boolean;
  enabled: boolean;
}

export function listRules(db: Executor): Promise<RuleRow[]> {
  return db
    .selectFrom('routing_rule')
    .leftJoin('service', 'service.id', 'routing_rule.service_id')
    .select([
      'routing_rule.id',
      'service.code as service_code',
      'routing_rule.position',
      'routing_rule.name',
      'routing_rule.conditions',
      'routing_rule.body_id',
      'routing_rule.team_id',
      'routing_rule.show_contact',
      'routing_rule.enabled',
    ])
    .orderBy('service.code')
    .orderBy('routing_rule.position')
    .execute() as Promise<RuleRow[]>;
}

export interface RuleWrite {
  service_id: string | null;
  position: number;
  name: string;
  conditions: RuleConditions;
  body_id: string;
  team_id: string | null;
  show_contact: boolean;
  enabled: boolean;
}

export async function insertRule(db: Executor, rule: RuleWrite): Promise<string> {
  const row = await db
    .insertInto('routing_rule')
    .values({ ...rule, conditions: JSON.stringify(rule.conditions) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateRule(db: Executor, id: string, rule: RuleWrite): Promise<boolean> {
  const result = await db
    .updateTable('routing_rule')
    .set({ ...rule, conditions: JSON.stringify(rule.conditions), updated_at: new Date() })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteRule(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('routing_rule').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function deleteAllRules(db: Executor): Promise<void> {
  await db.deleteFrom('routing_rule').execute();
}

export async function getSetting(db: Executor, key: string): Promise<unknown> {
  const row = await db.selectFrom('site_setting').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function putSetting(db: Executor, key: string, value: unknown): Promise<void> {
  await db
    .insertInto('site_setting')
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: new Date() }),
    )
    .execute();
}
