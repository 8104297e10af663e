/**
 * Jobs that must run one after another: a job with an ordering key is not claimed while an earlier job
 * with the same key is still waiting or running. Case events use it so that each subscriber hears of one
 * case's changes in the order they were made (docs/architecture.md, "Case events"). A dead job no longer
 * holds the next one back. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table outbox_job add column ordering_key text;
    create index outbox_job_ordering_idx on outbox_job (ordering_key, id)
      where ordering_key is not null and status in ('pending', 'running');
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index outbox_job_ordering_idx;
    alter table outbox_job drop column ordering_key;
  `.execute(db);
}
