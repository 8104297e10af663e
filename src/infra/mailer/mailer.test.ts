import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp.js';
import { FileMailer, SmtpMailer, createMailer } from './mailer.js';

const email = {
  to: 'resident@example.org',
  subject: 'Your report TRF-7K3Q-9X2M: pothole on Bradgate Road',
  text: 'Thank you for your report.\n\nReference: TRF-7K3Q-9X2M',
  html: '<p>Thank you for your report.</p><p>Reference: <strong>TRF-7K3Q-9X2M</strong></p>',
  replyTo: 'case+abc@reply.civicdesk.example',
  headers: { 'X-Civicdesk-Case': 'TRF-7K3Q-9X2M' },
  messageId: '<receipt.TRF-7K3Q-9X2M@civicdesk.example>',
};

describe('SmtpMailer', () => {
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer();
  });
  after(() => smtp.close());

  it('delivers to a real SMTP server with subject, both bodies and headers intact', async () => {
    const mailer = new SmtpMailer(smtp.url, 'Ashdown Council <no-reply@ashdown.example>');
    const sent = await mailer.send(email);
    await mailer.close();
    assert.equal(sent.messageId, email.messageId);

    const received = await smtp.waitFor((m) => m.parsed.messageId === email.messageId);
    assert.deepEqual(received.envelope.to, ['resident@example.org']);
    assert.equal(received.envelope.from, 'no-reply@ashdown.example');
    const { parsed } = received;
    assert.equal(parsed.subject, email.subject);
    assert.equal(parsed.text?.trim(), email.text);
    assert.equal(parsed.html, email.html);
    assert.deepEqual(parsed.from?.value, [{ name: 'Ashdown Council', address: 'no-reply@ashdown.example' }]);
    assert.equal(parsed.replyTo?.text, email.replyTo);
    assert.equal(parsed.headers.get('x-civicdesk-case'), 'TRF-7K3Q-9X2M');
  });

  it('reports a temporary SMTP failure as an error, so the job retries', async () => {
    const mailer = new SmtpMailer(smtp.url, 'no-reply@ashdown.example');
    smtp.failNext(1);
    await assert.rejects(mailer.send(email), /451/);
    await mailer.close();
  });
});

describe('FileMailer', () => {
  it('writes the exact message SMTP would carry as an .eml file', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-mail-'));
    const mailer = new FileMailer(folder, 'no-reply@ashdown.example');
    const sent = await mailer.send(email);
    assert.equal(path.dirname(sent.detail), folder);
    assert.match(path.basename(sent.detail), /\.eml$/);
    const parsed = await simpleParser(fs.readFileSync(sent.detail));
    assert.equal(parsed.subject, email.subject);
    assert.equal(parsed.html, email.html);
    assert.equal(parsed.headers.get('x-civicdesk-case'), 'TRF-7K3Q-9X2M');
  });

  it('is what createMailer gives when no SMTP server is configured', () => {
    assert.ok(createMailer({ from: 'a@b.example', dataDir: '/tmp/x' }) instanceof FileMailer);
    assert.ok(
      createMailer({ from: 'a@b.example', dataDir: '/tmp/x', smtpUrl: 'smtp://127.0.0.1:2525' }) instanceof
        SmtpMailer,
    );
  });
});
