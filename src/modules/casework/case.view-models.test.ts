/**
 * The case page's view model, without a database: what the summary list, tags, timeline, resident panel
 * and forms are given for a case as CaseworkService.casePage reads it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Case } from '../cases/index.js';
import {
  casePageView,
  eventTitle,
  routingExplanation,
  type CasePageContext,
  type CasePageInput,
} from './case.view-models.js';

const now = new Date('2026-11-24T12:00:00Z');

function aCase(overrides: Partial<Case> = {}): Case {
  return {
    id: 'case-1',
    reference: 'CD-ABC123',
    serviceId: 'service-1',
    bodyId: 'body-1',
    teamId: 'team-1',
    status: 'received',
    priority: 'high',
    channel: 'web',
    description: 'A large pothole',
    answers: { depth: 'deep', where: ['road', 'kerb'] },
    lat: 53.4,
    lon: -2.3,
    locationDescription: 'Station Road',
    locationDetail: 'outside number 4',
    routing: {
      decidedBy: { kind: 'rule', name: 'Roads <north>' },
      trace: [{ rule: { name: 'R1' }, reason: 'matched' }],
    },
    dueAt: new Date('2026-11-26T12:00:00Z'),
    closedAt: null,
    createdAt: new Date('2026-11-20T09:00:00Z'),
    reporterContactId: 'contact-1',
    assigneeStaffId: 'staff-2',
    duplicateOfCaseId: null,
    ...overrides,
  };
}

function input(found: Case, overrides: Partial<CasePageInput> = {}): CasePageInput {
  return {
    case: found,
    service: {
      code: 'potholes',
      name: 'Potholes',
      definition: {
        questions: [
          { code: 'depth', text: 'How deep is it?', options: [{ key: 'deep', name: 'Deeper than 4cm' }] },
          { code: 'where', text: 'Where on the road?', options: [{ key: 'road', name: 'In the road' }] },
        ],
      },
    },
    services: [
      { code: 'potholes', name: 'Potholes' },
      { code: 'litter', name: 'Litter' },
    ],
    duplicateOf: null,
    duplicates: [],
    team: { id: 'team-1', name: 'Highways' },
    teams: [
      { id: 'team-1', name: 'Highways' },
      { id: 'team-2', name: 'Parks' },
    ],
    colleagues: [
      { id: 'staff-1', name: 'Ada' },
      { id: 'staff-2', name: 'Bea' },
    ],
    contact: { id: 'contact-1', name: 'Jane Smith', email: 'jane@example.com', phone: null },
    otherCases: [{ reference: 'CD-OTHER1', status: 'fixed', createdAt: now, serviceName: 'Litter' }],
    interactions: [{ kind: 'call', direction: 'inbound', summary: 'Rang about it', occurred_at: now }],
    events: [
      {
        id: 2,
        kind: 'marked_duplicate',
        isPublic: false,
        body: 'Marked as a duplicate',
        data: { reference: 'CD-ORIG12' },
        actor: 'staff',
        createdAt: now,
        staffName: 'Ada',
        emails: [],
      },
      {
        id: 1,
        kind: 'email_queued',
        isPublic: true,
        body: 'Receipt',
        data: {},
        actor: 'system',
        createdAt: now,
        staffName: null,
        emails: [{ to: 'jane@example.com', state: { text: 'Sent', tag: 'govuk-tag--green' } }],
      },
    ],
    now,
    statusChoices: ['received', 'in_progress'],
    ...overrides,
  };
}

const context: CasePageContext = {
  staff: { id: 'staff-1', role: 'officer' },
  photos: [{ id: 'p1' }, { id: 'p2' }],
  templates: [{ id: 't1', name: 'Fixed' }],
  selectedStatus: 'received',
  values: {},
};

describe('case page view model', () => {
  it('gives the summary list its rows, in words, with the answers’ option names', () => {
    const view = casePageView(input(aCase()), context);
    const rows = Object.fromEntries(view.summaryRows.map((r) => [r.key.text, r.value.text]));
    assert.equal(rows.Where, 'Station Road (outside number 4)');
    assert.equal(rows.Point, '53.4, -2.3');
    assert.match(rows.Reported!, /\(web\)$/);
    assert.match(rows.Due!, /\(2 days left\)$/);
    assert.equal(rows.Priority, 'High');
    assert.equal(rows.Team, 'Highways');
    assert.equal(rows['Assigned to'], 'Bea');
    assert.equal(rows['How deep is it?'], 'Deeper than 4cm');
    assert.equal(rows['Where on the road?'], 'In the road, kerb', 'an unknown option key is shown as it is');
    assert.equal(rows.Description, 'A large pothole');
  });

  it('says what is missing rather than leaving rows blank', () => {
    const view = casePageView(
      input(
        aCase({
          locationDescription: '',
          locationDetail: '',
          dueAt: null,
          description: '',
          assigneeStaffId: null,
        }),
        { team: undefined },
      ),
      context,
    );
    const rows = Object.fromEntries(view.summaryRows.map((r) => [r.key.text, r.value.text]));
    assert.equal(rows.Where, 'Marked on a map');
    assert.equal(rows.Due, 'No date');
    assert.equal(rows.Team, 'None');
    assert.equal(rows['Assigned to'], 'Nobody');
    assert.equal(rows.Description, undefined, 'no description, no row');
  });

  it('tags an open, overdue case blue with an Overdue tag, and a closed one grey and never overdue', () => {
    const late = casePageView(input(aCase({ dueAt: new Date('2026-11-23T12:00:00Z') })), context);
    assert.deepEqual(late.statusTag, { text: 'Received', classes: 'govuk-tag--blue' });
    assert.equal(late.overdue, true);
    assert.match(late.summaryRows.find((r) => r.key.text === 'Due')!.value.text, /1 day overdue\)$/);

    const closed = casePageView(
      input(aCase({ status: 'fixed', closedAt: now, dueAt: new Date('2026-11-23T12:00:00Z') })),
      context,
    );
    assert.equal(closed.statusTag.classes, 'govuk-tag--grey');
    assert.equal(closed.overdue, false);
    assert.equal(closed.isOpen, false);
    assert.match(closed.summaryRows.find((r) => r.key.text === 'Due')!.value.text, /\(closed\)$/);
  });

  it('builds the timeline: titles, public or internal, who, emails and the duplicate’s link', () => {
    const [duplicate, email] = casePageView(input(aCase()), context).timeline;
    assert.equal(duplicate!.title, 'Marked duplicate');
    assert.deepEqual(duplicate!.tag, { text: 'Internal', classes: 'govuk-tag--grey' });
    assert.equal(duplicate!.byline, 'by Ada');
    assert.equal(duplicate!.linkedReference, 'CD-ORIG12');
    assert.equal(email!.byline, '(system)');
    assert.deepEqual(email!.tag, { text: 'Public', classes: 'govuk-tag--green' });
    assert.deepEqual(email!.emails, [
      { to: 'jane@example.com', tag: { text: 'Sent', classes: 'govuk-tag--green' } },
    ]);
    assert.equal(email!.linkedReference, undefined);
  });

  it('shows the resident, their other cases and recent contact, or nothing for an anonymous report', () => {
    const { resident } = casePageView(input(aCase()), context);
    assert.equal(resident!.href, '/staff/contacts/contact-1');
    assert.equal(resident!.name, 'Jane Smith');
    assert.equal(resident!.phone, '');
    assert.deepEqual(resident!.otherCases, [{ reference: 'CD-OTHER1', text: 'Litter, Fixed' }]);
    assert.equal(resident!.interactions[0]!.what, 'phone call from them');
    assert.equal(casePageView(input(aCase(), { contact: undefined }), context).resident, undefined);
  });

  it('fills the forms’ choices: the officer marked as “you”, the case’s team and priority chosen', () => {
    const view = casePageView(input(aCase()), { ...context, values: { service: 'litter' } });
    assert.deepEqual(
      view.assigneeOptions.map((o) => [o.text, o.selected ?? false]),
      [
        ['Nobody', false],
        ['Ada (you)', false],
        ['Bea', true],
      ],
    );
    assert.equal(view.teamOptions.find((t) => t.selected)?.text, 'Highways');
    assert.equal(view.priorityItems.find((p) => p.checked)?.value, 'high');
    assert.deepEqual(
      view.serviceItems.map((s) => s.value),
      ['', 'litter'],
      'the case’s own service is not offered',
    );
    assert.equal(view.serviceItems[1]!.selected, true, 'what was sent comes back chosen');
    assert.deepEqual(
      view.statusItems.map((s) => [s.value, s.selected]),
      [
        ['received', true],
        ['in_progress', false],
      ],
    );
    assert.equal(view.canChangeStatus, true);
    assert.equal(
      casePageView(input(aCase()), { ...context, staff: { id: 'x', role: 'agent' } }).canChangeStatus,
      false,
    );
  });

  it('links the photos and numbers them in their text alternatives', () => {
    const { photos } = casePageView(input(aCase()), context);
    assert.deepEqual(photos[1], {
      href: '/staff/cases/CD-ABC123/photos/p2/full',
      src: '/staff/cases/CD-ABC123/photos/p2/thumbnail',
      alt: 'Photo 2 of 2 sent with the report',
    });
  });

  it('says what was saved, and "Saved" for a word it does not know', () => {
    assert.equal(casePageView(input(aCase()), { ...context, saved: 'note' }).savedMessage, 'Note added');
    assert.equal(casePageView(input(aCase()), { ...context, saved: 'other' }).savedMessage, 'Saved');
    assert.equal(casePageView(input(aCase()), context).savedMessage, undefined);
  });
});

describe('case page helpers', () => {
  it('names timeline events from their kind', () => {
    assert.equal(eventTitle('status_changed'), 'Status changed');
    assert.equal(eventTitle('note'), 'Note');
  });

  it('explains routing by rule or by the service’s default, with each step', () => {
    assert.deepEqual(routingExplanation({ decidedBy: { kind: 'rule', name: 'North' }, trace: [] }), {
      decidedBy: 'Rule “North”',
      steps: [],
    });
    assert.deepEqual(
      routingExplanation({ decidedBy: { kind: 'default' } }).decidedBy,
      "The service's default",
    );
  });
});
