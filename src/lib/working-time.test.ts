import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { englandAndWalesBankHolidays } from './bank-holidays.js';
import {
  addWorkingDays,
  addWorkingHours,
  dueDate,
  fromLocal,
  isOutOfHours,
  type WorkingCalendar,
} from './working-time.js';

const holidays = [2025, 2026, 2027].flatMap((y) => englandAndWalesBankHolidays(y).map((h) => h.date));
const calendar: WorkingCalendar = {
  timeZone: 'Europe/London',
  workingWeekdays: [1, 2, 3, 4, 5],
  opensAt: '08:30',
  closesAt: '17:00',
  closedDates: new Set([...holidays, '2026-12-29', '2026-12-30', '2026-12-31']),
};
const london = (date: string, time: string) => {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return fromLocal(date, h * 60 + m, 'Europe/London');
};

describe('working time on a council calendar', () => {
  it('converts London wall-clock time in winter (GMT) and summer (BST)', () => {
    assert.equal(london('2026-01-15', '09:00').toISOString(), '2026-01-15T09:00:00.000Z');
    assert.equal(london('2026-07-15', '09:00').toISOString(), '2026-07-15T08:00:00.000Z');
  });

  it('counts working days across a weekend: Friday + 1 is Monday at close of business', () => {
    const due = addWorkingDays(london('2026-11-20', '16:00'), 1, calendar); // a Friday
    assert.equal(due.toISOString(), london('2026-11-23', '17:00').toISOString());
  });

  it('skips bank holidays: Thursday before Easter + 2 working days lands on the Wednesday after', () => {
    // 2026: Good Friday 3 April, Easter Monday 6 April.
    const due = addWorkingDays(london('2026-04-02', '10:00'), 2, calendar);
    assert.equal(due.toISOString(), london('2026-04-08', '17:00').toISOString());
  });

  it('skips the council’s own closure days between Christmas and New Year', () => {
    // 2026: 25 Dec (Fri) and 28 Dec (Mon, substitute) are bank holidays, 29–31 Dec closed, 1 Jan 2027 bank holiday.
    const due = addWorkingDays(london('2026-12-24', '12:00'), 1, calendar);
    assert.equal(due.toISOString(), london('2027-01-04', '17:00').toISOString());
  });

  it('crosses the clocks going back without losing an hour', () => {
    // 2026-10-25 the clocks go back. Friday 23 Oct + 1 working day = Monday 26 Oct 17:00 GMT.
    const due = addWorkingDays(london('2026-10-23', '09:00'), 1, calendar);
    assert.equal(due.toISOString(), '2026-10-26T17:00:00.000Z');
  });

  it('counts working hours through opening hours only', () => {
    // Friday 15:00 + 4 working hours: 2 h on Friday, 2 h from Monday 08:30 → Monday 10:30.
    const due = addWorkingHours(london('2026-11-20', '15:00'), 4, calendar);
    assert.equal(due.toISOString(), london('2026-11-23', '10:30').toISOString());
    // Reported on Sunday night: the clock starts at Monday's opening.
    const fromSunday = addWorkingHours(london('2026-11-22', '22:00'), 1, calendar);
    assert.equal(fromSunday.toISOString(), london('2026-11-23', '09:30').toISOString());
  });

  it('knows when the council is out of hours', () => {
    assert.equal(isOutOfHours(london('2026-11-23', '12:00'), calendar), false);
    assert.equal(isOutOfHours(london('2026-11-23', '17:00'), calendar), true);
    assert.equal(isOutOfHours(london('2026-11-23', '08:29'), calendar), true);
    assert.equal(isOutOfHours(london('2026-11-22', '12:00'), calendar), true, 'Sunday');
    assert.equal(isOutOfHours(london('2026-12-25', '12:00'), calendar), true, 'Christmas Day');
  });

  it('dispatches on the timescale unit', () => {
    const from = london('2026-11-20', '16:00');
    assert.equal(
      dueDate(from, { unit: 'working_days', amount: 1 }, calendar).toISOString(),
      london('2026-11-23', '17:00').toISOString(),
    );
    assert.equal(
      dueDate(from, { unit: 'calendar_days', amount: 2 }, calendar).toISOString(),
      london('2026-11-22', '23:59').toISOString(),
    );
  });
});
