import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { receiptEmail, teamNotificationEmail, type ReceiptValues } from './report-emails.js';

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

describe('report emails', () => {
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
});
