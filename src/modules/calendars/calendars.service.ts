/**
 * Calendars: the working week, opening hours and closed days that timescales count on. Bank holidays
 * come from the computed England and Wales list; a council adds its own closure days.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { englandAndWalesBankHolidays } from '../../lib/bank-holidays.js';
import type { WorkingCalendar } from '../../lib/working-time.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';

export interface CalendarSummary {
  code: string;
  name: string;
  timeZone: string;
  workingWeekdays: number[];
  opensAt: string;
  closesAt: string;
  bankHolidays: 'england-and-wales' | 'none';
  closures: { date: string; name: string }[];
}

/** Used when a service names no calendar and none is configured: Monday to Friday, 08:30 to 17:00. */
export const STANDARD_CALENDAR: Omit<CalendarSummary, 'closures'> = {
  code: 'standard',
  name: 'Standard working week',
  timeZone: 'Europe/London',
  workingWeekdays: [1, 2, 3, 4, 5],
  opensAt: '08:30',
  closesAt: '17:00',
  bankHolidays: 'england-and-wales',
};

function isoDate(value: Date | string): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : value.slice(0, 10);
}

export class CalendarsService {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<CalendarSummary[]> {
    const rows = await this.db.selectFrom('calendar').selectAll().orderBy('name').execute();
    const closures = await this.db.selectFrom('calendar_closure').selectAll().orderBy('date').execute();
    return rows.map((row) => ({
      code: row.code,
      name: row.name,
      timeZone: row.time_zone,
      workingWeekdays: row.working_weekdays,
      opensAt: row.opens_at,
      closesAt: row.closes_at,
      bankHolidays: row.bank_holidays,
      closures: closures
        .filter((c) => c.calendar_id === row.id)
        .map((c) => ({ date: isoDate(c.date), name: c.name })),
    }));
  }

  async get(code: string): Promise<CalendarSummary | undefined> {
    return (await this.list()).find((c) => c.code === code);
  }

  /** The calendar as the due-date arithmetic needs it, with closed days for the years around `at`. */
  async workingCalendar(code: string, at: Date = new Date()): Promise<WorkingCalendar> {
    const calendar = (await this.get(code)) ?? { ...STANDARD_CALENDAR, closures: [] };
    const year = at.getUTCFullYear();
    const closed = new Set(calendar.closures.map((c) => c.date));
    if (calendar.bankHolidays === 'england-and-wales') {
      for (let y = year - 1; y <= year + 2; y++) {
        for (const holiday of englandAndWalesBankHolidays(y)) closed.add(holiday.date);
      }
    }
    return {
      timeZone: calendar.timeZone,
      workingWeekdays: calendar.workingWeekdays,
      opensAt: calendar.opensAt,
      closesAt: calendar.closesAt,
      closedDates: closed,
    };
  }

  /** Creates or replaces a calendar and its closures, in the caller's transaction if given one. */
  async upsert(calendar: CalendarSummary, executor?: Executor): Promise<void> {
    const run = async (trx: Executor) => {
      const row = await trx
        .insertInto('calendar')
        .values({
          code: calendar.code,
          name: calendar.name,
          time_zone: calendar.timeZone,
          working_weekdays: calendar.workingWeekdays,
          opens_at: calendar.opensAt,
          closes_at: calendar.closesAt,
          bank_holidays: calendar.bankHolidays,
        })
        .onConflict((oc) =>
          oc.column('code').doUpdateSet({
            name: calendar.name,
            time_zone: calendar.timeZone,
            working_weekdays: calendar.workingWeekdays,
            opens_at: calendar.opensAt,
            closes_at: calendar.closesAt,
            bank_holidays: calendar.bankHolidays,
          }),
        )
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.deleteFrom('calendar_closure').where('calendar_id', '=', row.id).execute();
      if (calendar.closures.length) {
        await trx
          .insertInto('calendar_closure')
          .values(calendar.closures.map((c) => ({ calendar_id: row.id, date: c.date, name: c.name })))
          .execute();
      }
    };
    if (executor) await run(executor);
    else await this.db.transaction().execute(run);
  }
}
