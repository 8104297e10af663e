import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { easterSunday, englandAndWalesBankHolidays } from './bank-holidays.js';

const dates = (year: number) => englandAndWalesBankHolidays(year).map((h) => h.date);

describe('englandAndWalesBankHolidays', () => {
  it('finds Easter Sunday', () => {
    assert.deepEqual(easterSunday(2024), { month: 3, day: 31 });
    assert.deepEqual(easterSunday(2025), { month: 4, day: 20 });
    assert.deepEqual(easterSunday(2026), { month: 4, day: 5 });
    assert.deepEqual(easterSunday(2027), { month: 3, day: 28 });
  });

  // Published lists for England and Wales.
  it('matches the published 2025 list', () => {
    assert.deepEqual(dates(2025), [
      '2025-01-01',
      '2025-04-18',
      '2025-04-21',
      '2025-05-05',
      '2025-05-26',
      '2025-08-25',
      '2025-12-25',
      '2025-12-26',
    ]);
  });

  it('matches the published 2026 list, with Boxing Day substituted to Monday 28 December', () => {
    assert.deepEqual(dates(2026), [
      '2026-01-01',
      '2026-04-03',
      '2026-04-06',
      '2026-05-04',
      '2026-05-25',
      '2026-08-31',
      '2026-12-25',
      '2026-12-28',
    ]);
  });

  it('matches the published 2027 list, with both Christmas days substituted', () => {
    assert.deepEqual(dates(2027), [
      '2027-01-01',
      '2027-03-26',
      '2027-03-29',
      '2027-05-03',
      '2027-05-31',
      '2027-08-30',
      '2027-12-27',
      '2027-12-28',
    ]);
  });

  it('applies one-off changes: 2022 jubilee and state funeral, 2023 coronation', () => {
    const y2022 = dates(2022);
    assert.ok(!y2022.includes('2022-05-30'));
    assert.ok(y2022.includes('2022-06-02') && y2022.includes('2022-06-03') && y2022.includes('2022-09-19'));
    assert.ok(y2022.includes('2022-01-03'), 'New Year’s Day 2022 fell on a Saturday');
    assert.ok(dates(2023).includes('2023-05-08'));
    assert.equal(dates(2023).length, 9);
  });
});
