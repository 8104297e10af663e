/**
 * Bank holidays in England and Wales, computed for any year, so due dates never depend on a feed being
 * reachable. The regular rules (with weekend substitutes) plus the one-off changes announced by
 * proclamation. A council adds its own closure days (e.g. between Christmas and New Year) on its
 * calendar; Scotland and Northern Ireland would be further rule sets.
 */

export interface Holiday {
  date: string; // YYYY-MM-DD
  name: string;
}

/** One-off changes: moved or extra days. Checked against the published lists for 1995–2027. */
const EXCEPTIONS: Record<number, { remove?: string[]; add?: Holiday[] }> = {
  1995: { remove: ['1995-05-01'], add: [{ date: '1995-05-08', name: 'Early May bank holiday (VE day)' }] },
  1999: { add: [{ date: '1999-12-31', name: 'Millennium celebrations' }] },
  2002: {
    remove: ['2002-05-27'],
    add: [
      { date: '2002-06-03', name: 'Spring bank holiday' },
      { date: '2002-06-04', name: 'Queen’s Golden Jubilee' },
    ],
  },
  2011: { add: [{ date: '2011-04-29', name: 'Royal wedding' }] },
  2012: {
    remove: ['2012-05-28'],
    add: [
      { date: '2012-06-04', name: 'Spring bank holiday' },
      { date: '2012-06-05', name: 'Queen’s Diamond Jubilee' },
    ],
  },
  2020: { remove: ['2020-05-04'], add: [{ date: '2020-05-08', name: 'Early May bank holiday (VE day)' }] },
  2022: {
    remove: ['2022-05-30'],
    add: [
      { date: '2022-06-02', name: 'Spring bank holiday' },
      { date: '2022-06-03', name: 'Platinum Jubilee bank holiday' },
      { date: '2022-09-19', name: 'Bank holiday for the State Funeral of Queen Elizabeth II' },
    ],
  },
  2023: { add: [{ date: '2023-05-08', name: 'Bank holiday for the coronation of King Charles III' }] },
};

function iso(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay(); // 0 Sunday … 6 Saturday
}

/** Easter Sunday (Gregorian), by the anonymous Gregorian algorithm. */
export function easterSunday(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function firstMonday(year: number, month: number): string {
  for (let day = 1; ; day++) if (weekday(year, month, day) === 1) return iso(year, month, day);
}

function lastMonday(year: number, month: number): string {
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  for (let day = last; ; day--) if (weekday(year, month, day) === 1) return iso(year, month, day);
}

export function englandAndWalesBankHolidays(year: number): Holiday[] {
  const holidays: Holiday[] = [];

  // New Year's Day, or the Monday after if it falls at a weekend.
  const nyd = weekday(year, 1, 1);
  holidays.push({
    date: nyd === 6 ? iso(year, 1, 3) : nyd === 0 ? iso(year, 1, 2) : iso(year, 1, 1),
    name: 'New Year’s Day',
  });

  const easter = easterSunday(year);
  const easterDate = iso(year, easter.month, easter.day);
  holidays.push({ date: addDays(easterDate, -2), name: 'Good Friday' });
  holidays.push({ date: addDays(easterDate, 1), name: 'Easter Monday' });
  holidays.push({ date: firstMonday(year, 5), name: 'Early May bank holiday' });
  holidays.push({ date: lastMonday(year, 5), name: 'Spring bank holiday' });
  holidays.push({ date: lastMonday(year, 8), name: 'Summer bank holiday' });

  // Christmas Day and Boxing Day, with substitute days when either falls at a weekend.
  const christmas = weekday(year, 12, 25);
  if (christmas === 6) {
    holidays.push({ date: iso(year, 12, 27), name: 'Christmas Day (substitute day)' });
    holidays.push({ date: iso(year, 12, 28), name: 'Boxing Day (substitute day)' });
  } else if (christmas === 0) {
    holidays.push({ date: iso(year, 12, 26), name: 'Boxing Day' });
    holidays.push({ date: iso(year, 12, 27), name: 'Christmas Day (substitute day)' });
  } else if (christmas === 5) {
    holidays.push({ date: iso(year, 12, 25), name: 'Christmas Day' });
    holidays.push({ date: iso(year, 12, 28), name: 'Boxing Day (substitute day)' });
  } else {
    holidays.push({ date: iso(year, 12, 25), name: 'Christmas Day' });
    holidays.push({ date: iso(year, 12, 26), name: 'Boxing Day' });
  }

  const exception = EXCEPTIONS[year];
  const result = holidays.filter((h) => !exception?.remove?.includes(h.date));
  result.push(...(exception?.add ?? []));
  return result.sort((a, b) => a.date.localeCompare(b.date));
}
