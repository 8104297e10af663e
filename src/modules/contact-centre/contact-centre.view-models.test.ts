/**
 * The contact centre's view models, without a database: the caller's page, the search results, the
 * new-caller and change-details forms, and the merge pages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContactCase } from '../cases/index.js';
import {
  contactPageView,
  contactSearchView,
  editContactView,
  mergeConfirmView,
  mergeFindView,
  newCallerView,
  type CallerRecord,
  type ContactPageInput,
} from './contact-centre.view-models.js';

const now = new Date('2026-11-24T12:00:00Z');

function aCaller(overrides: Partial<CallerRecord> = {}): CallerRecord {
  return {
    id: 'c1',
    name: 'Jane Smith',
    email: 'jane@example.com',
    email_verified_at: now,
    phone: '0161 496 0000',
    postcode: null,
    address: null,
    created_at: now,
    ...overrides,
  };
}

const reported: ContactCase = {
  reference: 'CD-AAA111',
  status: 'received',
  createdAt: now,
  closedAt: null,
  channel: 'web',
  locationDescription: '',
  serviceName: 'Potholes',
  reported: true,
};

function page(overrides: Partial<ContactPageInput> = {}): ContactPageInput {
  return {
    contact: aCaller(),
    cases: [
      reported,
      { ...reported, reference: 'CD-BBB222', reported: false, closedAt: now, status: 'fixed' },
    ],
    interactions: [
      {
        kind: 'visit',
        direction: 'outbound',
        summary: 'Went round',
        occurred_at: now,
        staff_name: null,
        case_reference: 'CD-AAA111',
      },
    ],
    emails: [
      { reference: 'CD-AAA111', what: 'Receipt', at: now, state: { text: 'Sent', tag: 'govuk-tag--green' } },
    ],
    mayMerge: false,
    values: { kind: 'call', direction: 'inbound' },
    ...overrides,
  };
}

describe('the caller’s page', () => {
  it('sums up the caller, saying what they have not given and whether they confirmed their email', () => {
    const { caller } = contactPageView(page());
    const rows = Object.fromEntries(caller.summaryRows.map((r) => [r.key.text, r.value.text]));
    assert.equal(rows['Email address'], 'jane@example.com (confirmed by the resident)');
    assert.equal(rows.Phone, '0161 496 0000');
    assert.equal(rows.Postcode, 'None given');
    assert.equal(rows.Address, 'None given');
    assert.equal(caller.pageTitle, 'Jane Smith – callers');

    const unnamed = contactPageView(page({ contact: aCaller({ name: null, email: null }) }));
    assert.equal(unnamed.caller.name, 'No name given');
    assert.equal(unnamed.caller.nameInLinks, 'this caller');
    assert.equal(unnamed.caller.pageTitle, 'Caller – callers');
    assert.equal(unnamed.caller.summaryRows[0]!.value.text, 'None given');
    assert.equal(unnamed.noEmailsText, 'They have no email address with us.');
  });

  it('lists their cases (open blue, closed grey, followed ones marked) and offers them for an interaction', () => {
    const view = contactPageView(page({ values: { kind: 'call', direction: 'inbound', case: 'CD-BBB222' } }));
    assert.deepEqual(
      view.cases.map((c) => [c.reference, c.following, c.statusTag.classes, c.where]),
      [
        ['CD-AAA111', false, 'govuk-tag--blue', 'Marked on a map'],
        ['CD-BBB222', true, 'govuk-tag--grey', 'Marked on a map'],
      ],
    );
    assert.deepEqual(
      view.caseItems.map((c) => [c.value, c.text, 'selected' in c && c.selected]),
      [
        ['', 'No case', false],
        ['CD-AAA111', 'CD-AAA111: Potholes', false],
        ['CD-BBB222', 'CD-BBB222: Potholes', true],
      ],
    );
    assert.equal(view.kindItems.find((k) => k.checked)?.value, 'call');
    assert.equal(view.directionItems.find((d) => d.checked)?.value, 'inbound');
  });

  it('puts interactions and emails in words', () => {
    const view = contactPageView(page());
    assert.deepEqual(view.interactions[0], {
      occurredAt: now,
      kindLabel: 'Visit',
      direction: 'from us',
      summary: 'Went round',
      caseReference: 'CD-AAA111',
      by: '',
    });
    assert.deepEqual(view.emails[0]!.tag, { text: 'Sent', classes: 'govuk-tag--green' });
  });

  it('says what was saved, and nothing for a word it does not know', () => {
    assert.equal(
      contactPageView(page({ saved: 'merged' })).savedMessage,
      'The two records were merged into this one.',
    );
    assert.equal(contactPageView(page({ saved: 'nonsense' })).savedMessage, undefined);
  });
});

describe('finding and adding callers', () => {
  const found = [
    { id: 'c1', name: 'Jane Smith', email: null, phone: '0161', postcode: 'M1 1AA', caseCount: 1 },
    { id: 'c2', name: null, email: 'x@example.com', phone: null, postcode: null, caseCount: 0 },
  ];

  it('counts the matches in the caption and fills the gaps in each row', () => {
    const view = contactSearchView('smith', true, found, '/staff/contacts/new?name=smith');
    assert.equal(view.resultsCaption, '2 callers match ‘smith’');
    assert.equal(
      contactSearchView('smith', true, found.slice(0, 1), '').resultsCaption,
      '1 caller matches ‘smith’',
    );
    assert.deepEqual(view.results[1], {
      id: 'c2',
      name: 'No name given',
      nameOrRecord: 'this record',
      email: 'x@example.com',
      phone: '',
      postcode: '',
      caseCount: 0,
    });
  });

  it('shows the possible matches of a new caller, and remembers which were shown', () => {
    const view = newCallerView({ name: 'Jane' }, [
      {
        id: 'c1',
        name: 'Jane Smith',
        email: 'jane@example.com',
        phone: null,
        postcode: 'M1 1AA',
        address: null,
        reasons: ['Same email', 'Same postcode'],
      },
    ]);
    assert.deepEqual(view.matches, [
      {
        href: '/staff/contacts/c1',
        name: 'Jane Smith',
        line: 'jane@example.com · M1 1AA',
        reasons: 'Same email, Same postcode',
      },
    ]);
    assert.equal(view.shownIds, 'c1');
    assert.equal(newCallerView({}, []).shownIds, '');
  });

  it('starts the change-details form from the record, or from what was typed', () => {
    assert.deepEqual(editContactView(aCaller()).values, {
      name: 'Jane Smith',
      phone: '0161 496 0000',
      postcode: '',
      address: '',
    });
    assert.deepEqual(editContactView(aCaller(), { name: '' }).values, { name: '' });
  });
});

describe('merging two records', () => {
  it('links each other record to its comparison', () => {
    const view = mergeFindView(aCaller(), 'jane', true, [
      { id: 'c2', name: 'J Smith', email: null, phone: null, postcode: null, caseCount: 2 },
    ]);
    assert.equal(view.results[0]!.compareHref, '/staff/contacts/c1/merge/c2');
    assert.equal(view.caller.nameInLinks, 'Jane Smith');
  });

  it('compares the records and asks only about the details they both have, differently', () => {
    const keep = aCaller();
    const other = aCaller({
      id: 'c2',
      name: 'J Smith',
      email: 'j@example.com',
      email_verified_at: null,
      postcode: 'M1 1AA',
    });
    const view = mergeConfirmView(
      { keep, other, differing: ['name', 'email'], moving: { reported: 1, followed: 0, interactions: 2 } },
      ['name', 'email', 'phone', 'postcode', 'address'],
      { name: 'other' },
    );
    const rows = Object.fromEntries(view.rows.map((r) => [r.label, [r.keep, r.other]]));
    assert.deepEqual(rows['Email address'], [
      'jane@example.com (confirmed by the resident)',
      'j@example.com',
    ]);
    assert.deepEqual(rows.Postcode, ['None given', 'M1 1AA']);
    assert.ok(rows['First contact'], 'the dates each record was made are compared too');
    assert.equal(
      view.moving,
      'From the other record, 1 case reported, 0 followed and 2 interactions will move to this one.',
    );
    assert.deepEqual(
      view.choices.map((c) => [c.name, c.legend, c.items.map((i) => [i.text, i.checked])]),
      [
        [
          'name',
          'Which name should be kept?',
          [
            ['Jane Smith', false],
            ['J Smith', true],
          ],
        ],
        [
          'email',
          'Which email address should be kept?',
          [
            ['jane@example.com (confirmed by the resident)', false],
            ['j@example.com', false],
          ],
        ],
      ],
    );
  });
});
