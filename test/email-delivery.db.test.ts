/**
 * Email delivery end to end, over real SMTP both ways: a parish with an email target gets its case by
 * email with a reply address unique to the case; the resident is told; an SMTP outage is retried, then
 * shown to admins with its error, and "Retry now" sends it. Replies sent to the inbound SMTP listener
 * thread onto the right case; forged, missing and tampered tokens do not; auto-replies are flagged.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { pino } from 'pino';
import { startSmtpListener, type RunningTransport } from '../src/modules/delivery/inbound-transports.js';
import type { TestBrowser } from './helpers/app.js';
import { describeEachEngine } from './helpers/database.js';
import type { TestStaff } from './helpers/factories.js';
import {
  caseEvents,
  newCouncilWithParish,
  PARISH_NAME,
  signedIn,
  useMailingApp,
} from './helpers/fixtures.js';
import { deliveryOf as deliveryRow, until } from './helpers/waiting.js';

const PARISH_INBOX = 'cases@littlewickham-pc.example';
const REPLY_PATTERN = /^cases\+([a-z2-7]{42})@reply\.ashdown\.example$/;

describeEachEngine('email delivery', (getDatabase) => {
  const mailing = useMailingApp(
    getDatabase,
    {
      CIVICDESK_BASE_URL: 'https://report.ashdown.example',
      CIVICDESK_REFERENCE_PREFIX: 'ASH',
      CIVICDESK_REPLY_ADDRESS: 'cases@reply.ashdown.example',
    },
    { jobSettings: { maxAttempts: 2, backoff: { baseMs: 20, maxMs: 50 } } },
  );
  let listener: RunningTransport;
  let admin: TestBrowser;
  let officer: TestStaff;
  let parishCode: string;
  let serviceCode: string;
  const first: { id: string; reference: string; replyTo: string } = { id: '', reference: '', replyTo: '' };
  let second: { id: string; reference: string } = { id: '', reference: '' };

  const submit = (description: string) =>
    mailing().app.intake.submit({
      serviceCode,
      lat: 53.412,
      lon: -2.371,
      description,
      answers: { speed_limit: '30' },
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org', phone: '0161 496 0001' },
      channel: 'web',
    });
  const deliveryOf = (caseId: string) => deliveryRow(getDatabase().db, caseId);
  const events = (caseId: string) => caseEvents(getDatabase().db, caseId);

  before(async () => {
    const { app } = mailing();
    const { borough, parish, speeding } = await newCouncilWithParish(app);
    parishCode = parish.code;
    serviceCode = speeding.code;
    officer = borough.staff.officer!;
    listener = await startSmtpListener(app.delivery.inbound, {
      host: '127.0.0.1',
      port: 0,
      log: pino({ level: 'silent' }),
    });
    admin = await signedIn(app, borough.staff.admin);
  });
  after(async () => {
    await listener.stop();
  });

  it('lets an admin add an email target, with errors a person can act on', async () => {
    await admin.get('/admin/delivery/new');
    const bad = await admin.post('/admin/delivery/new', {
      bodyCode: parishCode,
      serviceCode: '',
      email: 'not an address',
      options: ['active'],
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /There is a problem/);
    assert.match(bad.body, /href="#email"/);
    const added = await admin.post('/admin/delivery/new', {
      bodyCode: parishCode,
      serviceCode: '',
      email: PARISH_INBOX,
      options: ['active', 'attachPhotos'],
    });
    assert.equal(added.statusCode, 303, added.body);
    const list = await admin.get('/admin/delivery');
    assert.match(list.body, new RegExp(PARISH_INBOX));
    const audit = await getDatabase()
      .db.selectFrom('audit_event')
      .select('action')
      .where('action', '=', 'delivery_target.added')
      .execute();
    assert.equal(audit.length, 1);

    // Access: an officer (not an admin) cannot reach the pages.
    const refused = await (await signedIn(mailing().app, officer)).get('/admin/delivery');
    assert.notEqual(refused.statusCode, 200);
  });

  it('emails the case to the parish with a reply address, and tells the resident', async () => {
    const result = await submit('Cars race past the village green every morning');
    first.id = result.case.id;
    first.reference = result.case.reference;
    const email = await mailing().smtp.waitFor((m) => m.envelope.to.includes(PARISH_INBOX));
    const { parsed } = email;
    assert.equal(parsed.subject, `New report ${first.reference}: Speeding traffic`);
    const replyTo = parsed.replyTo?.value[0]?.address ?? '';
    assert.match(replyTo, REPLY_PATTERN);
    first.replyTo = replyTo;
    assert.equal(mailing().app.delivery.replies.verifyToken(REPLY_PATTERN.exec(replyTo)![1]!), first.id);
    assert.equal(email.envelope.from, replyTo, 'bounces come back to the case');
    const text = parsed.text ?? '';
    assert.match(text, /Cars race past the village green/);
    assert.match(text, /Latitude, longitude: 53\.412000, -2\.371000/);
    assert.match(text, /openstreetmap\.org\/\?mlat=53\.412000/);
    assert.match(text, /Speed limit|30 mph/);
    assert.doesNotMatch(text, /rosa@example\.org/, 'contact details are not shared unless allowed');
    assert.match(String(parsed.html), /<h2[^>]*>Where<\/h2>/);

    const told = await mailing().smtp.waitFor(
      (m) => m.parsed.subject === `Report ${first.reference} has been passed to ${PARISH_NAME}`,
    );
    assert.deepEqual(told.envelope.to, ['rosa@example.org']);
    const delivery = await until(
      'sent',
      () => deliveryOf(first.id),
      (d) => d.state === 'sent',
    );
    assert.equal(delivery.attempts, 1);
    assert.ok(delivery.sent_at);
    const passed = (await events(first.id)).find((e) => e.kind === 'delivered');
    assert.match(passed?.body ?? '', /^Passed to Little Wickham Parish Council.* by email$/);
    assert.equal(passed?.is_public, true);
  });

  it('retries through an SMTP outage, shows the failure to admins, and "Retry now" sends it', async () => {
    mailing().smtp.failNext(1000);
    const result = await submit('Speeding on Orchard Close after school');
    second = { id: result.case.id, reference: result.case.reference };
    const failed = await until(
      'failed',
      () => deliveryOf(second.id),
      (d) => d.state === 'failed',
    );
    assert.equal(failed.attempts, 2);
    assert.match(failed.last_error ?? '', /451|temporarily/i);
    mailing().smtp.failNext(0);

    const list = await admin.get('/admin/delivery');
    assert.match(list.body, new RegExp(`${second.reference}`));
    assert.match(list.body, /Failed after 2 attempts/);
    assert.match(list.body, /Mailbox temporarily unavailable/);
    const retried = await admin.post(`/admin/delivery/deliveries/${failed.id}/retry`, {});
    assert.equal(retried.statusCode, 303);
    await mailing().smtp.waitFor(
      (m) =>
        m.envelope.to.includes(PARISH_INBOX) &&
        m.parsed.subject === `New report ${second.reference}: Speeding traffic`,
    );
    await until(
      'sent after retry',
      () => deliveryOf(second.id),
      (d) => d.state === 'sent',
    );
    const after = await admin.get('/admin/delivery');
    assert.doesNotMatch(after.body, new RegExp(`${second.reference}</a></th>`));
    const timeline = await events(second.id);
    assert.ok(timeline.some((e) => e.kind === 'delivery_retried' && !e.is_public));
  });

  async function sendReply(to: string, extra: SendMailOptions = {}) {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: listener.port!,
      secure: false,
      ignoreTLS: true,
    });
    try {
      return await transport.sendMail({
        from: 'Parish Clerk <clerk@littlewickham-pc.example>',
        to,
        subject: `Re: New report ${first.reference}: Speeding traffic`,
        text: 'We will put the speed watch out on Tuesday.\n\nOn Mon, 23 Nov 2026 at 10:00, Civicdesk wrote:\n> A resident has reported a problem',
        ...extra,
      });
    } finally {
      transport.close();
    }
  }

  it('threads a reply sent over SMTP onto the right case, internal to staff, quoted history trimmed', async () => {
    await sendReply(first.replyTo, { messageId: '<reply-1@littlewickham-pc.example>' });
    const timeline = await until(
      'reply',
      () => events(first.id),
      (es) => es.some((e) => e.kind === 'email_received'),
    );
    const reply = timeline.find((e) => e.kind === 'email_received')!;
    assert.equal(reply.is_public, false);
    assert.match(reply.body, /We will put the speed watch out on Tuesday/);
    assert.doesNotMatch(reply.body, /A resident has reported a problem/);
    assert.match(reply.body, /clerk@littlewickham-pc\.example/);
    assert.equal((await events(second.id)).filter((e) => e.kind === 'email_received').length, 0);
    const publicPage = await mailing().app.inject({ method: 'GET', url: `/reports/${first.reference}` });
    assert.doesNotMatch(publicPage.body, /speed watch out on Tuesday/);

    // The same message again (a retrying sender) is recorded once. The listener answers the sender only
    // once it has recorded (or declined) the message, so there is nothing to wait for.
    await sendReply(first.replyTo, { messageId: '<reply-1@littlewickham-pc.example>' });
    assert.equal((await events(first.id)).filter((e) => e.kind === 'email_received').length, 1);
  });

  it('does not thread forged, missing or tampered tokens, and lists them for admins', async () => {
    const token = REPLY_PATTERN.exec(first.replyTo)![1]!;
    const forged = token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');
    const secondToken = mailing().app.delivery.replies.tokenFor(second.id);
    // The second case's id with the first case's MAC: a tampered token.
    const tampered = secondToken.slice(0, 26) + token.slice(26);
    await sendReply(`cases+${forged}@reply.ashdown.example`, { subject: 'forged' });
    await sendReply('cases@reply.ashdown.example', { subject: 'missing' });
    await sendReply(`cases+${tampered}@reply.ashdown.example`, { subject: 'tampered' });
    await assert.rejects(sendReply('someone@elsewhere.example', { subject: 'relay' }), /550/);

    const rows = await until(
      'unmatched',
      () =>
        getDatabase().db.selectFrom('inbound_email').selectAll().where('outcome', '=', 'unmatched').execute(),
      (r) => r.length >= 3,
    );
    const reasons = Object.fromEntries(rows.map((r) => [r.subject, r.reason]));
    assert.match(reasons.forged!, /not valid/);
    assert.match(reasons.missing!, /No reply token/);
    assert.match(reasons.tampered!, /not valid/);
    for (const id of [first.id, second.id]) {
      const received = (await events(id)).filter((e) => e.kind === 'email_received');
      assert.equal(received.length, id === first.id ? 1 : 0);
    }
    const page = await admin.get('/admin/delivery/inbound');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /No reply token in the address/);
  });

  it('records an auto-reply as such, not as a reply', async () => {
    await sendReply(first.replyTo, {
      subject: 'Out of office',
      text: 'I am away until Monday.',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    const timeline = await until(
      'auto reply',
      () => events(first.id),
      (es) => es.some((e) => e.kind === 'email_auto_reply'),
    );
    assert.match(timeline.find((e) => e.kind === 'email_auto_reply')!.body, /Automatic reply/);
    assert.equal(timeline.filter((e) => e.kind === 'email_received').length, 1);
  });
});
