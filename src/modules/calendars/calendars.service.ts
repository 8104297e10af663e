/**
 * Calendars: the working week, opening hours and closed days that timescales count on. Bank holidays
 * come from the computed England and Wales list; a council adds its own closure days.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { englandAndWalesBankHolidays, type Holiday } from '../../lib/bank-holidays.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import type { WorkingCalendar } from '../../lib/working-time.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import * as repo from './calendars.repository.js';

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

/** ISO weekday numbers (1 Monday … 7 Sunday) and their names. */
export const WEEKDAYS: readonly { number: number; name: string }[] = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
].map((name, i) => ({ number: i + 1, name }));

export const BANK_HOLIDAY_CHOICES = ['england-and-wales', 'none'] as const;

/** A calendar as an admin enters it; times as typed ("8:30" is read as 08:30). */
export interface CalendarChanges {
  name: string;
  workingWeekdays: number[];
  opensAt: string;
  closesAt: string;
  bankHolidays: string;
}

export interface NewCalendar extends CalendarChanges {
  code: string;
}

export interface DateParts {
  day: string;
  month: string;
  year: string;
}

export type DatePart = keyof DateParts;

/** The outcome of reading a GOV.UK date input: a date, or one message and the parts it is about. */
export type DatePartsResult = { date: string } | { message: string; parts: DatePart[] };

/**
 * Reads a GOV.UK date input (day, month and year fields), with the design system's error messages:
 * "Enter …" when empty, "… must include a month" when incomplete, "… must be a real date" when there is
 * no such day, "Year must include 4 numbers".
 */
export function dateFromParts(
  parts: DateParts,
  { label, missing }: { label: string; missing: string },
): DatePartsResult {
  const values = { day: parts.day.trim(), month: parts.month.trim(), year: parts.year.trim() };
  const order: DatePart[] = ['day', 'month', 'year'];
  const empty = order.filter((p) => values[p] === '');
  if (empty.length === 3) return { message: missing, parts: order };
  if (empty.length) {
    const list = empty.length === 2 ? `${empty[0]} and ${empty[1]}` : empty[0];
    return { message: `${label} must include a ${list}`, parts: empty };
  }
  const notNumbers = order.filter((p) => !/^\d+$/.test(values[p]));
  if (notNumbers.length) return { message: `${label} must be a real date`, parts: notNumbers };
  if (values.year.length !== 4) return { message: 'Year must include 4 numbers', parts: ['year'] };
  const [day, month, year] = [Number(values.day), Number(values.month), Number(values.year)];
  if (month < 1 || month > 12) return { message: `${label} must be a real date`, parts: ['month'] };
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return { message: `${label} must be a real date`, parts: ['day'] };
  return {
    date: `${values.year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
  };
}

/** "8:30" or "08:30" as "08:30"; undefined if it is not a time on the 24-hour clock. */
export function normaliseTime(value: string): string | undefined {
  const match = /^(\d{1,2}):(\d{2})$/.exec(value.trim());
  if (!match) return undefined;
  const [hours, minutes] = [Number(match[1]), Number(match[2])];
  if (hours > 23 || minutes > 59) return undefined;
  return `${String(hours).padStart(2, '0')}:${match[2]}`;
}

function isRealIsoDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** "29 December 2026": for messages. */
function longDate(iso: string): string {
  return new Date(`${iso}T12:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** Today's date (YYYY-MM-DD) in a time zone. */
function todayIn(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

function invalid(message: string, problems: FieldError[]): AppError {
  return new AppError('validation_failed', message, problems);
}

function toSummary(row: repo.CalendarRow, closures: repo.ClosureRow[]): CalendarSummary {
  return {
    code: row.code,
    name: row.name,
    timeZone: row.time_zone,
    workingWeekdays: row.working_weekdays,
    opensAt: row.opens_at,
    closesAt: row.closes_at,
    bankHolidays: row.bank_holidays,
    closures: closures.filter((c) => c.calendarId === row.id).map((c) => ({ date: c.date, name: c.name })),
  };
}

export class CalendarsService {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<CalendarSummary[]> {
    const [rows, closures] = await Promise.all([repo.listCalendars(this.db), repo.listClosures(this.db)]);
    return rows.map((row) => toSummary(row, closures));
  }

  async get(code: string, executor: Executor = this.db): Promise<CalendarSummary | undefined> {
    const row = await repo.findCalendarByCode(executor, code);
    return row ? toSummary(row, await repo.listClosures(executor, row.id)) : undefined;
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

  /** The next bank holidays (from today, in the calendar's time zone) that the calendar does not work. */
  upcomingBankHolidays(
    calendar: Pick<CalendarSummary, 'bankHolidays' | 'timeZone'>,
    { from = new Date(), count = 10 }: { from?: Date; count?: number } = {},
  ): Holiday[] {
    if (calendar.bankHolidays !== 'england-and-wales') return [];
    const today = todayIn(calendar.timeZone, from);
    const upcoming: Holiday[] = [];
    for (let year = Number(today.slice(0, 4)); upcoming.length < count; year++) {
      upcoming.push(...englandAndWalesBankHolidays(year).filter((h) => h.date >= today));
    }
    return upcoming.slice(0, count);
  }

  /**
   * Problems with a calendar as an admin entered it, one per field (named as CalendarChanges names
   * them), as sentences they can act on; empty when it can be saved.
   */
  calendarProblems(input: CalendarChanges & { code?: string }, existing?: CalendarSummary): FieldError[] {
    const problems: FieldError[] = [];
    const add = (field: string, message: string | undefined) => {
      if (message) problems.push({ field, message });
    };
    if (!existing) {
      const code = input.code ?? '';
      if (!code) add('code', 'Enter a code');
      else if (code.length > 63) add('code', 'Code must be 63 characters or fewer');
      else if (!/^[a-z0-9][a-z0-9-]*$/.test(code)) {
        add(
          'code',
          'Code must only include lower-case letters, numbers and hyphens, and start with a letter or number, like council-offices',
        );
      } else if (code === 'new') add('code', 'Code cannot be "new": choose another');
    }
    if (!input.name) add('name', 'Enter the name of the calendar');
    else if (input.name.length > 200) add('name', 'Name must be 200 characters or fewer');
    if (input.workingWeekdays.length === 0) add('workingWeekdays', 'Select at least one working day');
    else if (input.workingWeekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
      add('workingWeekdays', 'Select working days from Monday to Sunday');
    }
    const opens = normaliseTime(input.opensAt);
    const closes = normaliseTime(input.closesAt);
    if (!input.opensAt) add('opensAt', 'Enter the opening time');
    else if (!opens) add('opensAt', 'Enter the opening time in the 24-hour clock, like 08:30');
    if (!input.closesAt) add('closesAt', 'Enter the closing time');
    else if (!closes) add('closesAt', 'Enter the closing time in the 24-hour clock, like 17:00');
    if (opens && closes && opens >= closes) add('closesAt', 'Closing time must be after the opening time');
    if (!(BANK_HOLIDAY_CHOICES as readonly string[]).includes(input.bankHolidays)) {
      add('bankHolidays', 'Select whether bank holidays are closed days');
    }
    return problems;
  }

  /** Adds a calendar with no closure days; throws validation_failed with the problems. */
  async create(input: NewCalendar): Promise<CalendarSummary> {
    const problems = this.calendarProblems(input);
    if (problems.length) throw invalid('The calendar cannot be added', problems);
    const row = await repo.insertCalendar(this.db, input.code, {
      ...calendarColumns(input),
      time_zone: STANDARD_CALENDAR.timeZone,
    });
    if (!row) {
      throw invalid('The calendar cannot be added', [
        { field: 'code', message: `There is already a calendar with the code "${input.code}"` },
      ]);
    }
    return toSummary(row, []);
  }

  /** Changes a calendar's name, week and hours; its code and closure days stay as they are. */
  async update(code: string, changes: CalendarChanges): Promise<CalendarSummary> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await this.get(code, trx);
      if (!existing) throw new AppError('not_found', `There is no calendar "${code}"`);
      const problems = this.calendarProblems(changes, existing);
      if (problems.length) throw invalid('The calendar cannot be saved', problems);
      const row = await repo.updateCalendar(trx, code, calendarColumns(changes));
      return toSummary(row!, await repo.listClosures(trx, row!.id));
    });
  }

  /**
   * Problems with a closure day as an admin entered it; without a date (when the form could not make
   * one of what was typed), only the name is checked.
   */
  closureProblems(closure: { date?: string; name: string }): FieldError[] {
    const problems: FieldError[] = [];
    if (closure.date !== undefined && !isRealIsoDate(closure.date)) {
      problems.push({ field: 'date', message: 'Date must be a real date' });
    }
    if (!closure.name) {
      problems.push({ field: 'name', message: 'Enter what the closure is for, like Christmas closure' });
    } else if (closure.name.length > 200) {
      problems.push({ field: 'name', message: 'Name must be 200 characters or fewer' });
    }
    return problems;
  }

  /** Adds a closure day (a date as YYYY-MM-DD, and what it is for). */
  async addClosure(code: string, closure: { date: string; name: string }): Promise<void> {
    const row = await repo.findCalendarByCode(this.db, code);
    if (!row) throw new AppError('not_found', `There is no calendar "${code}"`);
    const problems = this.closureProblems(closure);
    if (problems.length) throw invalid('The closure cannot be added', problems);
    if (!(await repo.insertClosure(this.db, row.id, closure))) {
      throw invalid('The closure cannot be added', [
        { field: 'date', message: `${row.name} already has a closure on ${longDate(closure.date)}` },
      ]);
    }
  }

  /** Removes the closure day on a date; not_found if the calendar has none then. */
  async removeClosure(code: string, date: string): Promise<void> {
    const row = await repo.findCalendarByCode(this.db, code);
    if (!row) throw new AppError('not_found', `There is no calendar "${code}"`);
    if (!isRealIsoDate(date) || !(await repo.deleteClosure(this.db, row.id, date))) {
      throw new AppError('not_found', `${row.name} has no closure on ${date}`);
    }
  }

  /** Creates or replaces a calendar and its closures, in the caller's transaction if given one. */
  async upsert(calendar: CalendarSummary, executor?: Executor): Promise<void> {
    const run = async (trx: Executor) => {
      const id = await repo.upsertCalendar(trx, calendar.code, {
        name: calendar.name,
        time_zone: calendar.timeZone,
        working_weekdays: calendar.workingWeekdays,
        opens_at: calendar.opensAt,
        closes_at: calendar.closesAt,
        bank_holidays: calendar.bankHolidays,
      });
      await repo.replaceClosures(trx, id, calendar.closures);
    };
    if (executor) await run(executor);
    else await this.db.transaction().execute(run);
  }
}

/** Columns from changes that calendarProblems has passed. */
function calendarColumns(input: CalendarChanges) {
  return {
    name: input.name,
    working_weekdays: [...new Set(input.workingWeekdays)].sort((a, b) => a - b),
    opens_at: normaliseTime(input.opensAt)!,
    closes_at: normaliseTime(input.closesAt)!,
    bank_holidays: input.bankHolidays as CalendarSummary['bankHolidays'],
  };
}
