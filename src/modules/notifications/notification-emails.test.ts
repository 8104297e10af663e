import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  caseUpdateEmail,
  overdueEmail,
  overdueLeadEmail,
  receiptEmail,
  teamNotificationEmail,
  type ReceiptValues,
} from './notification-emails.js';

const values: ReceiptValues = {
  reference: 'ASH-7K3Q-9X2M',
  service: 'Street light not working',
  location: 'Mill Lane, Ashdown (by the school)',
  handled_by: 'Ashdown Borough Council (Street lighting)',
  due_date: 'Monday 7 December 2026 at 5:00pm',
  what_happens_next: 'Our contractor will repair it.',
  track_url: 'https://report.example/track/ASH-7K3Q-9X2M?token=abc',
  council: 'Ashdown Borough Council',
  reporter_name: 'Pat',
};

describe('notification emails', () => {
  it('uses the standard receipt with every detail a resident needs', () => {
    const email = receiptEmail('pat@example.org', undefined, values);
    assert.equal(email.subject, 'Your report ASH-7K3Q-9X2M: Street light not working');
    for (const text of [
      values.reference,
      values.location,
      values.handled_by,
      values.due_date,
      values.track_url,
    ]) {
      assert.ok(email.text.includes(text), `the receipt says ${text}`);
    }
    assert.match(email.html ?? '', /<a href="https:\/\/report.example\/track\/ASH-7K3Q-9X2M\?token=abc"/);
  });

  it('uses a service’s own receipt when it has one', () => {
    const email = receiptEmail(
      'pat@example.org',
      { subject: 'Lamp report {{reference}}', body: 'Thanks, {{reporter_name}}. {{track_url}}' },
      values,
    );
    assert.equal(email.subject, 'Lamp report ASH-7K3Q-9X2M');
    assert.equal(email.text, `Thanks, Pat. ${values.track_url}`);
  });

  it('tells the team what and where, without the resident’s details', () => {
    const email = teamNotificationEmail('lighting@ashdown.example', {
      ...values,
      description: 'Out for a week',
      answers: ['What is wrong with it? It is not lit at night'],
      channel: 'online',
    });
    assert.match(email.subject, /^New report ASH-7K3Q-9X2M: Street light not working, Mill Lane/);
    assert.match(email.text, /It is not lit at night/);
    assert.doesNotMatch(email.text, /Pat|token=/);
  });

  const facts = {
    reference: 'ASH-7K3Q-9X2M',
    serviceName: 'Street light not working',
    locationDescription: '',
    link: 'https://report.example/reports/ASH-7K3Q-9X2M',
  };

  it('sends an update with the new status beside the text, and names the place the resident marked', () => {
    const email = caseUpdateEmail('pat@example.org', facts, {
      status: 'in_progress',
      publicUpdate: 'An engineer is booked for Tuesday.',
      closing: false,
      timeline: [],
      councilName: 'Ashdown Borough Council',
    });
    assert.equal(email.subject, 'Update on report ASH-7K3Q-9X2M: Street light not working');
    assert.match(email.text, /An engineer is booked for Tuesday\.\n\nStatus: In progress/);
    assert.match(email.text, /See the report: https:\/\/report\.example\/reports\/ASH-7K3Q-9X2M/);
  });

  it('says only the new status when a change came without an update', () => {
    const email = caseUpdateEmail('pat@example.org', facts, {
      status: 'in_progress',
      publicUpdate: '',
      closing: false,
      timeline: [],
      councilName: 'Ashdown Borough Council',
    });
    assert.match(email.text, /Its status is now: In progress/);
    assert.doesNotMatch(email.text, /Status: /);
  });

  it('closes with the outcome, what was done day by day, and how to complain', () => {
    const email = caseUpdateEmail('pat@example.org', facts, {
      status: 'fixed',
      publicUpdate: 'The lamp was replaced.',
      closing: true,
      timeline: [
        { at: new Date('2026-12-01T10:00:00Z'), text: 'Sent to Street lighting' },
        { at: new Date('2026-12-03T10:00:00Z'), text: 'The lamp was replaced.' },
      ],
      councilName: 'Ashdown Borough Council',
    });
    assert.equal(email.subject, 'Report ASH-7K3Q-9X2M is closed: Fixed');
    assert.match(email.text, /\(Street light not working, the place you marked\) is now closed/);
    assert.match(email.text, /What we did:\n- 1 December: Sent to Street lighting\n- 3 December: The lamp/);
    assert.match(email.text, /make a complaint to Ashdown Borough Council/);
  });

  it('tells the resident and the team lead the new date', () => {
    const message = 'We now expect to respond by Friday.';
    const resident = overdueEmail('pat@example.org', { ...facts, locationDescription: 'Mill Lane' }, message);
    assert.equal(resident.subject, 'Report ASH-7K3Q-9X2M: a new date');
    assert.match(resident.text, /\(Street light not working, Mill Lane\):\n\nWe now expect/);
    const lead = overdueLeadEmail('lead@ashdown.example', {
      ...facts,
      caseUrl: 'https://report.example/staff/cases/ASH-7K3Q-9X2M',
      expectedBy: 'Friday',
    });
    assert.equal(lead.subject, 'Overdue: ASH-7K3Q-9X2M (Street light not working)');
    assert.match(lead.text, /told to expect a response by Friday/);
  });
});
