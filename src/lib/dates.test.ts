import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDate, formatDateTime, formatTime } from './dates.js';

describe('GOV.UK dates', () => {
  it('writes times and dates the GOV.UK way, in UK time', () => {
    assert.equal(formatDateTime(new Date('2026-11-27T17:00:00Z')), '5pm on Friday 27 November 2026');
    assert.equal(
      formatDateTime(new Date('2026-07-06T08:30:00Z')),
      '9:30am on Monday 6 July 2026',
      'British Summer Time',
    );
    assert.equal(formatTime(new Date('2026-11-27T12:00:00Z')), 'midday');
    assert.equal(formatTime(new Date('2026-11-27T00:00:00Z')), 'midnight');
    assert.equal(formatDate(new Date('2026-11-27T23:30:00Z')), '27 November 2026');
  });
});
