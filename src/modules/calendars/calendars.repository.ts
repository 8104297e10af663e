/**
 * All the calendars module's SQL: calendars and their closure days.
 */
import { sql, type Insertable, type Selectable } from 'kysely';
import type { CalendarTable } from '../../db/database.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export type CalendarRow = Selectable<CalendarTable>;
export type CalendarColumns = Omit<Insertable<CalendarTable>, 'id' | 'code'>;

export interface ClosureRow {
  calendarId: string;
  /** YYYY-MM-DD */
  date: string;
  name: string;
}

export function listCalendars(db: Executor): Promise<CalendarRow[]> {
  return db.selectFrom('calendar').selectAll().orderBy('name').execute();
}

export function findCalendarByCode(db: Executor, code: string): Promise<CalendarRow | undefined> {
  return db.selectFrom('calendar').selectAll().where('code', '=', code).executeTakeFirst();
}

/** Closure days, by date; of one calendar when given its id. */
export async function listClosures(db: Executor, calendarId?: string): Promise<ClosureRow[]> {
  let query = db
    .selectFrom('calendar_closure')
    // As text in SQL: the drivers turn a `date` into a Date at midnight in different time zones
    // (node-postgres local, PGlite UTC), which could shift the day.
    .select(['calendar_id as calendarId', 'name', sql<string>`to_char(date, 'YYYY-MM-DD')`.as('date')])
    .orderBy('calendar_closure.date');
  if (calendarId) query = query.where('calendar_id', '=', calendarId);
  return query.execute();
}

/** Inserts a new calendar; undefined (and nothing written) if the code is taken. */
export function insertCalendar(
  db: Executor,
  code: string,
  columns: CalendarColumns,
): Promise<CalendarRow | undefined> {
  return db
    .insertInto('calendar')
    .values({ code, ...columns })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function updateCalendar(
  db: Executor,
  code: string,
  columns: CalendarColumns,
): Promise<CalendarRow | undefined> {
  return db.updateTable('calendar').set(columns).where('code', '=', code).returningAll().executeTakeFirst();
}

/** Creates or updates the calendar with this code; returns its id. */
export async function upsertCalendar(db: Executor, code: string, columns: CalendarColumns): Promise<string> {
  const row = await db
    .insertInto('calendar')
    .values({ code, ...columns })
    .onConflict((oc) => oc.column('code').doUpdateSet(columns))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Replaces every closure day of a calendar. */
export async function replaceClosures(
  db: Executor,
  calendarId: string,
  closures: { date: string; name: string }[],
): Promise<void> {
  await db.deleteFrom('calendar_closure').where('calendar_id', '=', calendarId).execute();
  if (closures.length) {
    await db
      .insertInto('calendar_closure')
      .values(closures.map((c) => ({ calendar_id: calendarId, date: c.date, name: c.name })))
      .execute();
  }
}

/** Adds a closure day; false (and nothing written) if the calendar already has one on that date. */
export async function insertClosure(
  db: Executor,
  calendarId: string,
  closure: { date: string; name: string },
): Promise<boolean> {
  const row = await db
    .insertInto('calendar_closure')
    .values({ calendar_id: calendarId, date: closure.date, name: closure.name })
    .onConflict((oc) => oc.columns(['calendar_id', 'date']).doNothing())
    .returning('date')
    .executeTakeFirst();
  return row !== undefined;
}

/** Removes a closure day; false if there was none on that date. */
export async function deleteClosure(db: Executor, calendarId: string, date: string): Promise<boolean> {
  const result = await db
    .deleteFrom('calendar_closure')
    .where('calendar_id', '=', calendarId)
    .where('date', '=', sql<Date>`cast(${date} as date)`)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
