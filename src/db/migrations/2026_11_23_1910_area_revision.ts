/**
 * A revision number for the area table, so every app process can tell cheaply (one tiny row) whether the
 * in-memory spatial index it holds is stale, and rebuild it only then.
 *
 * The bump is a statement-level trigger rather than a line in the areas service, because areas are
 * written from more than one place (the import, the demo seed, admin pages, catalogue import, a DBA with
 * psql, body deletion setting area.body_id to null) and a forgotten bump would leave some process routing
 * by old boundaries with nothing to show for it. A trigger runs in the writer's transaction, so the new
 * revision becomes visible exactly when the area change commits, never before or without it. Statement
 * level keeps a 21-ward import to one bump per statement, not one per row; concurrent area writers
 * queue on the single row's lock, which is fine for data that changes a few times a year.
 *
 * Frozen in time: never import app code here.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table area_revision (
      -- Exactly one row: the primary key can only be true.
      id boolean primary key default true check (id),
      revision bigint not null default 0,
      changed_at timestamptz not null default now()
    );
    insert into area_revision (id, revision) values (true, 0);

    create function area_revision_bump() returns trigger language plpgsql as $$
    begin
      update area_revision set revision = revision + 1, changed_at = now() where id;
      return null;
    end
    $$;

    create trigger area_revision_bump
      after insert or update or delete or truncate on area
      for each statement execute function area_revision_bump();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger area_revision_bump on area;
    drop function area_revision_bump();
    drop table area_revision;
  `.execute(db);
}
