/** The workflow page's rows, without a database. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workflowRows } from './workflow.view-models.js';

describe('workflow rows', () => {
  it('offers every other status as a next step, ticks the allowed ones and says the first is always in use', () => {
    const [received, fixed] = workflowRows(
      [
        { status: 'received', label: 'Received', enabled: true, closes: false, next: ['in_progress'] },
        { status: 'fixed', label: 'Fixed', enabled: false, closes: true, next: [] },
      ],
      { 'next-fixed': { text: 'Choose at least one' } },
    );
    assert.equal(received!.alwaysInUse, true);
    assert.equal(fixed!.alwaysInUse, false);
    assert.ok(!received!.nextItems.some((i) => i.value === 'received'), 'not a move to itself');
    assert.deepEqual(
      received!.nextItems.filter((i) => i.checked).map((i) => i.text),
      ['In progress'],
    );
    assert.deepEqual(fixed!.enabledItems[0], {
      value: 'yes',
      text: 'Use “Fixed”',
      checked: false,
      hint: { text: 'Closes the case' },
    });
    assert.equal(received!.enabledItems[0]!.hint.text, 'Keeps the case open');
    assert.deepEqual(fixed!.nextError, { text: 'Choose at least one' });
    assert.equal(received!.nextError, undefined);
  });
});
