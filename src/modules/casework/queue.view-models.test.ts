/**
 * The queue page's view model, without a database: tabs and counts, the table's rows, sortable headers,
 * the filter and bulk forms' options, and the pages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueueView } from '../cases/index.js';
import {
  queueHref,
  queuePageView,
  queueRowView,
  queueViewOf,
  sortOf,
  type QueuePageInput,
  type QueueRow,
} from './queue.view-models.js';

const now = new Date('2026-11-24T12:00:00Z');

function aRow(overrides: Partial<QueueRow> = {}): QueueRow {
  return {
    id: 'case-1',
    reference: 'CD-ABC123',
    status: 'received',
    priority: 'normal',
    channel: 'phone',
    locationDescription: 'Station Road',
    description: 'A pothole',
    dueAt: now,
    createdAt: now,
    closedAt: null,
    serviceName: 'Potholes',
    teamName: 'Highways',
    assigneeName: null,
    overdue: false,
    dueSoon: false,
    ...overrides,
  };
}

const counts: Record<QueueView, number> = {
  mine: 1,
  team: 120,
  unassigned: 1001,
  'due-soon': 0,
  overdue: 0,
  all: 5000,
};

function input(overrides: Partial<QueuePageInput> = {}): QueuePageInput {
  return {
    view: 'team',
    query: { ward: 'E05000001', q: 'pothole' },
    sort: 'due',
    page: 1,
    rows: [aRow()],
    counts,
    staff: { id: 'staff-1', role: 'officer' },
    services: [{ code: 'potholes', name: 'Potholes' }],
    wards: [{ code: 'E05000002', name: 'North' }],
    colleagues: [
      { id: 'staff-1', name: 'Ada' },
      { id: 'staff-2', name: 'Bea' },
    ],
    teams: [{ id: 'team-1', name: 'Highways' }],
    ...overrides,
  };
}

describe('queue rows', () => {
  it('puts a case in words: service, place, status tag, priority, channel and who has it', () => {
    const row = queueRowView(aRow(), 0, []);
    assert.equal(row.checkboxId, 'cases', 'the first box is the error summary’s target');
    assert.equal(row.where, 'Station Road');
    assert.deepEqual(row.statusTag, { text: 'Received', classes: 'govuk-tag--blue' });
    assert.equal(row.priorityBadge, undefined, 'normal priority does not stand out');
    assert.equal(row.priorityLabel, 'Normal');
    assert.equal(row.channelLabel, 'Phone');
    assert.equal(row.assignedTo, 'Highways (team)');
    assert.equal(row.dueTag, undefined);
  });

  it('marks what needs attention and what is closed', () => {
    const urgent = queueRowView(aRow({ priority: 'urgent', overdue: true, assigneeName: 'Bea' }), 3, [
      'CD-ABC123',
    ]);
    assert.equal(urgent.checkboxId, 'case-CD-ABC123');
    assert.equal(urgent.selected, true);
    assert.deepEqual(urgent.priorityBadge, { text: 'Urgent', classes: 'moj-badge--red' });
    assert.deepEqual(urgent.dueTag, { text: 'Overdue', classes: 'govuk-tag--red' });
    assert.equal(urgent.assignedTo, 'Bea');

    const closed = queueRowView(
      aRow({ priority: 'high', closedAt: now, dueSoon: true, teamName: null, locationDescription: '' }),
      1,
      [],
    );
    assert.equal(closed.statusTag.classes, 'govuk-tag--grey');
    assert.deepEqual(closed.priorityBadge, { text: 'High', classes: 'moj-badge--purple' });
    assert.deepEqual(closed.dueTag, { text: 'Due soon', classes: 'govuk-tag--yellow' });
    assert.equal(closed.assignedTo, 'Nobody');
    assert.equal(closed.where, 'Marked on a map');
  });
});

describe('queue page view model', () => {
  it('counts each tab, capping at 1,000+, and links each with the filters kept', () => {
    const view = queuePageView(input());
    const unassigned = view.tabs.find((t) => t.label === 'Unassigned')!;
    assert.equal(unassigned.count, '1,000+');
    assert.equal(unassigned.href, '/staff/cases?view=unassigned&ward=E05000001&q=pothole');
    assert.equal(view.tabs.find((t) => t.current)?.label, 'My team');
    assert.equal(view.viewLabel, 'My team');
  });

  it('sorts by a header: the current column says which way, and asks for the other way next', () => {
    const byDue = queuePageView(input()).headers;
    assert.equal(byDue.due.ariaSort, 'ascending');
    assert.equal(byDue.reported.ariaSort, 'none');
    assert.match(byDue.reported.href, /sort=oldest/);
    const newest = queuePageView(input({ sort: 'newest' })).headers.reported;
    assert.equal(newest.ariaSort, 'descending');
    assert.match(newest.href, /sort=oldest/);
    const oldest = queuePageView(input({ sort: 'oldest' })).headers.reported;
    assert.match(oldest.href, /sort=newest/);
  });

  it('keeps an unknown ward chosen in the filter, and offers every status and "open"/"closed"', () => {
    const view = queuePageView(input());
    assert.deepEqual(view.wardOptions.at(-1), { value: 'E05000001', text: 'E05000001', selected: true });
    assert.deepEqual(
      view.statusOptions.slice(0, 3).map((o) => o.value),
      ['', 'open', 'closed'],
    );
    assert.equal(view.statusOptions[0]!.text, 'Open', 'the team queue shows open cases by default');
    assert.equal(queuePageView(input({ view: 'all' })).statusOptions[0]!.text, 'Any status');
  });

  it('pages by 50: where this page starts and ends, and the links either side', () => {
    const second = queuePageView(input({ page: 2 }));
    assert.equal(second.firstRow, 51);
    assert.equal(second.lastRow, 100);
    assert.match(second.pagination.previous!.href, /page=1/);
    assert.match(second.pagination.next!.href, /page=3/);
    const last = queuePageView(input({ page: 3 }));
    assert.equal(last.lastRow, 120);
    assert.equal(last.pagination.next, undefined);
    const none = queuePageView(input({ counts: { ...counts, team: 0 }, rows: [] }));
    assert.equal(none.firstRow, 0);
    assert.deepEqual(none.pagination, {});
  });

  it('offers the bulk form’s people and teams (not the officer twice) and keeps what was chosen', () => {
    const view = queuePageView(
      input({
        bulkValues: {
          assignTo: 'staff:staff-2',
          newStatus: 'fixed',
          publicUpdate: 'Done',
          cases: ['CD-ABC123'],
        },
      }),
    );
    assert.deepEqual(
      view.assignToOptions.map((o) => o.value),
      ['', 'me', 'nobody', 'staff:staff-2', 'team:team-1'],
    );
    assert.equal(view.assignToOptions.find((o) => o.selected)?.value, 'staff:staff-2');
    assert.equal(view.newStatusOptions.find((o) => o.selected)?.value, 'fixed');
    assert.equal(view.bulkPublicUpdate, 'Done');
    assert.equal(view.rows[0]!.selected, true);
    assert.equal(view.canChangeStatus, true);
    assert.equal(queuePageView(input({ staff: { id: 'a', role: 'agent' } })).canChangeStatus, false);
  });
});

describe('queue addresses', () => {
  it('reads the view and sort asked for, falling back to the team queue by due date', () => {
    assert.equal(queueViewOf('overdue'), 'overdue');
    assert.equal(queueViewOf('nonsense'), 'team');
    assert.equal(queueViewOf(undefined), 'team');
    assert.equal(sortOf('priority'), 'priority');
    assert.equal(sortOf('constructor'), 'due', 'only the sorts offered, not any key of an object');
  });

  it('leaves empty parameters and the page out of the address unless asked', () => {
    assert.equal(
      queueHref('mine', { service: '', status: 'open', page: 4 }, {}),
      '/staff/cases?view=mine&status=open',
    );
    assert.equal(queueHref('mine', {}, { page: 2 }), '/staff/cases?view=mine&page=2');
  });
});
