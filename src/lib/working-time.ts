/**
 * Working time on a council's calendar: which days it works, its opening hours, and the days it is
 * closed (bank holidays and its own closures). Due dates are computed in the council's time zone, so
 * "5 working days" means five of the council's days, across clock changes, weekends and holidays.
 *
 * Conventions (the ones residents expect from a "respond within N working days" promise):
 * - N working days: the deadline is the close of business on the Nth working day after the day the
 *   request arrived. A request on Friday afternoon with 1 working day is due Monday at close.
 * - N working hours: counted through opening hours only; a request out of hours starts the clock at
 *   the next opening.
 */

export interface WorkingCalendar {
  timeZone: string;
  /** ISO weekdays worked: 1 Monday … 7 Sunday. */
  workingWeekdays: number[];
  /** Opening hours, local time "HH:MM". */
  opensAt: string;
  closesAt: string;
  /** Local dates (YYYY-MM-DD) the council is closed: bank holidays and its own closure days. */
  closedDates: ReadonlySet<string>;
}

interface LocalDateTime {
  date: string; // YYYY-MM-DD
  minutes: number; // minutes after local midnight
  isoWeekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export function toLocal(instant: Date, timeZone: string): LocalDateTime {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: Number(parts.hour) * 60 + Number(parts.minute) + Number(parts.second) / 60,
    isoWeekday: WEEKDAYS[parts.weekday as string]!,
  };
}

/** The instant at which the local clock in `timeZone` reads `date` `minutes`. */
export function fromLocal(date: string, minutes: number, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wanted = Date.UTC(y, m - 1, d, 0, minutes);
  // Start from the wall time read as UTC, then correct by the zone's offset (twice, for DST edges).
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const local = toLocal(new Date(guess), timeZone);
    const [ly, lm, ld] = local.date.split('-').map(Number) as [number, number, number];
    const seen = Date.UTC(ly, lm - 1, ld, 0, 0) + local.minutes * 60_000;
    guess += wanted - seen;
  }
  return new Date(guess);
}

function parseClock(value: string): number {
  const [h, m] = value.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function nextDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function isoWeekdayOf(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

export function isWorkingDay(date: string, calendar: WorkingCalendar): boolean {
  return calendar.workingWeekdays.includes(isoWeekdayOf(date)) && !calendar.closedDates.has(date);
}

/** True when the council is closed at `instant`: outside opening hours, at a weekend or on a closed day. */
export function isOutOfHours(instant: Date, calendar: WorkingCalendar): boolean {
  const local = toLocal(instant, calendar.timeZone);
  if (!isWorkingDay(local.date, calendar)) return true;
  return local.minutes < parseClock(calendar.opensAt) || local.minutes >= parseClock(calendar.closesAt);
}

export function addWorkingDays(from: Date, days: number, calendar: WorkingCalendar): Date {
  if (!Number.isInteger(days) || days < 0) throw new RangeError('days must be a whole number, 0 or more');
  let date = toLocal(from, calendar.timeZone).date;
  if (days === 0) {
    // "Same working day": close of business today, or of the next working day if today is not one.
    while (!isWorkingDay(date, calendar)) date = nextDate(date);
    return fromLocal(date, parseClock(calendar.closesAt), calendar.timeZone);
  }
  let counted = 0;
  while (counted < days) {
    date = nextDate(date);
    if (isWorkingDay(date, calendar)) counted += 1;
  }
  return fromLocal(date, parseClock(calendar.closesAt), calendar.timeZone);
}

export function addWorkingHours(from: Date, hours: number, calendar: WorkingCalendar): Date {
  if (!(hours >= 0)) throw new RangeError('hours must be 0 or more');
  const opens = parseClock(calendar.opensAt);
  const closes = parseClock(calendar.closesAt);
  let remaining = hours * 60;
  let { date, minutes } = toLocal(from, calendar.timeZone);
  for (let guard = 0; guard < 3660; guard++) {
    if (isWorkingDay(date, calendar) && minutes < closes) {
      const start = Math.max(minutes, opens);
      const available = closes - start;
      if (remaining <= available) return fromLocal(date, start + remaining, calendar.timeZone);
      remaining -= available;
    }
    date = nextDate(date);
    minutes = 0;
  }
  throw new RangeError('no working time found within ten years: check the calendar');
}

export function addCalendarDays(from: Date, days: number, calendar: Pick<WorkingCalendar, 'timeZone'>): Date {
  const local = toLocal(from, calendar.timeZone);
  let date = local.date;
  for (let i = 0; i < days; i++) date = nextDate(date);
  return fromLocal(date, 23 * 60 + 59, calendar.timeZone);
}

export type Timescale =
  | { unit: 'working_days'; amount: number }
  | { unit: 'working_hours'; amount: number }
  | { unit: 'calendar_days'; amount: number };

export function dueDate(from: Date, timescale: Timescale, calendar: WorkingCalendar): Date {
  switch (timescale.unit) {
    case 'working_days':
      return addWorkingDays(from, timescale.amount, calendar);
    case 'working_hours':
      return addWorkingHours(from, timescale.amount, calendar);
    case 'calendar_days':
      return addCalendarDays(from, timescale.amount, calendar);
  }
}

export function describeTimescale(timescale: Timescale): string {
  const n = timescale.amount;
  switch (timescale.unit) {
    case 'working_days':
      return `${n} working day${n === 1 ? '' : 's'}`;
    case 'working_hours':
      return `${n} working hour${n === 1 ? '' : 's'}`;
    case 'calendar_days':
      return `${n} day${n === 1 ? '' : 's'}`;
  }
}
