import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  it('doubles with each attempt, between half and all of the exponential step', () => {
    const low = { baseMs: 1000, maxMs: 1e9, random: () => 0 };
    const high = { baseMs: 1000, maxMs: 1e9, random: () => 1 };
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelayMs(n, low)),
      [500, 1000, 2000, 4000],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelayMs(n, high)),
      [1000, 2000, 4000, 8000],
    );
  });

  it('never exceeds the cap', () => {
    assert.equal(retryDelayMs(40, { baseMs: 1000, maxMs: 60_000, random: () => 1 }), 60_000);
  });
});
