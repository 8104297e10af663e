/**
 * Replies that come in through an IMAP mailbox, against a real Dovecot (test/helpers/imap-server.ts):
 * a parish's case is emailed to it over SMTP with its reply address; the parish's reply, a reply with a
 * forged token and one with no token are put into the mailbox by IMAP APPEND, as the mail server in
 * front of it would; the app's poller, configured as in production (CIVICDESK_INBOUND_EMAIL=imap),
 * threads the genuine reply onto the case and keeps the other two as unmatched, marks all three read,
 * and records nothing twice when it polls again.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { startInboundEmail } from '../src/modules/delivery/index.js';
import { InboundEmail } from '../src/modules/delivery/inbound.js';
import {
  pollImapOnce,
  startImapPoller,
  type RunningTransport,
} from '../src/modules/delivery/inbound-transports.js';
import { describeEachEngine } from './helpers/database.js';
import type { TestStaff } from './helpers/factories.js';
import { caseEvents, newCouncilWithParish, signedIn, useMailingApp } from './helpers/fixtures.js';
import { startImapServer, type TestImapServer } from './helpers/imap-server.js';
import { until } from './helpers/waiting.js';

const PARISH_INBOX = 'cases@littlewickham-pc.example';
const REPLY_PATTERN = /^cases\+([a-z2-7]{42})@reply\.ashdown\.example$/;
const silent = pino({ level: 'silent' });

describeEachEngine('inbound email over IMAP (Dovecot)', (getDatabase) => {
  let imap: TestImapServer;
  before(async () => {
    imap = await startImapServer();
  });
  after(async () => {
    await imap?.stop();
  });
  const mailing = useMailingApp(
    getDatabase,
    () => ({
      CIVICDESK_BASE_URL: 'https://report.ashdown.example',
      CIVICDESK_REFERENCE_PREFIX: 'ASH',
      CIVICDESK_REPLY_ADDRESS: 'cases@reply.ashdown.example',
      CIVICDESK_INBOUND_EMAIL: 'imap',
      CIVICDESK_INBOUND_IMAP_URL: imap.url,
      CIVICDESK_INBOUND_IMAP_POLL_SECONDS: '5',
    }),
    { jobSettings: { maxAttempts: 2, backoff: { baseMs: 20, maxMs: 50 } } },
  );
  let poller: RunningTransport | undefined;
  let admin: TestStaff | undefined;
  let parishCode = '';
  let speedingCode = '';
  const kase = { id: '', reference: '', replyTo: '' };

  const waitUntil = <T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean) =>
    until(what, read, ok, { timeoutMs: 15_000, everyMs: 25 });
  const events = (caseId: string) => caseEvents(getDatabase().db, caseId);
  const inboundRows = () => getDatabase().db.selectFrom('inbound_email').selectAll().orderBy('id').execute();

  /** A mail client of our own on the test mailbox, as the mail server delivering to it would be. */
  async function mailbox<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: false,
      auth: { user: imap.user, pass: imap.password },
      logger: false,
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 10_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.logout().catch(() => undefined);
    }
  }
  function message(to: string, subject: string, messageId: string | undefined, text: string): string {
    return [
      'Return-Path: <clerk@littlewickham-pc.example>',
      `Delivered-To: ${to}`,
      'From: Parish Clerk <clerk@littlewickham-pc.example>',
      `To: ${to}`,
      `Subject: ${subject}`,
      'Date: Sat, 05 Dec 2026 10:00:00 +0000',
      ...(messageId ? [`Message-ID: ${messageId}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
    ].join('\r\n');
  }
  const deliver = (raw: string) => mailbox((client) => client.append('INBOX', raw));
  const flagsInInbox = () =>
    mailbox(async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const out: { subject: string; seen: boolean }[] = [];
        for await (const m of client.fetch('1:*', { envelope: true, flags: true })) {
          out.push({ subject: m.envelope?.subject ?? '', seen: m.flags?.has('\\Seen') ?? false });
        }
        return out;
      } finally {
        lock.release();
      }
    });

  before(async () => {
    const { borough, parish, speeding } = await newCouncilWithParish(mailing().app);
    admin = borough.staff.admin;
    parishCode = parish.code;
    speedingCode = speeding.code;
  });
  after(async () => {
    await poller?.stop();
  });

  it('emails a parish its case with a reply address for the case', async () => {
    const browser = await signedIn(mailing().app, admin);
    await browser.get('/admin/delivery/new');
    const added = await browser.post('/admin/delivery/new', {
      bodyCode: parishCode,
      serviceCode: '',
      email: PARISH_INBOX,
      options: ['active'],
    });
    assert.equal(added.statusCode, 303, added.body);

    const result = await mailing().app.intake.submit({
      serviceCode: speedingCode,
      lat: 53.412,
      lon: -2.371,
      description: 'Cars race past the village green every morning',
      answers: { speed_limit: '30' },
      reporter: { name: 'Rosa Resident', email: 'rosa@example.org', phone: '0161 496 0001' },
      channel: 'web',
    });
    kase.id = result.case.id;
    kase.reference = result.case.reference;
    const email = await mailing().smtp.waitFor((m) => m.envelope.to.includes(PARISH_INBOX));
    kase.replyTo = email.parsed.replyTo?.value[0]?.address ?? '';
    assert.match(kase.replyTo, REPLY_PATTERN);
  });

  it('threads the reply from the mailbox onto the case, keeps forged and tokenless mail unmatched, and marks all read', async () => {
    const token = REPLY_PATTERN.exec(kase.replyTo)![1]!;
    const forged = token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');
    await deliver(
      message(
        kase.replyTo,
        `Re: New report ${kase.reference}: Speeding traffic`,
        '<imap-reply-1@littlewickham-pc.example>',
        'We will put the speed watch out on Tuesday.\r\n\r\nOn Mon, 23 Nov 2026 at 10:00, Civicdesk wrote:\r\n> A resident has reported a problem',
      ),
    );
    await deliver(
      message(
        `cases+${forged}@reply.ashdown.example`,
        'forged',
        '<imap-forged@elsewhere.example>',
        'Please pay this invoice.',
      ),
    );
    await deliver(
      message('cases@reply.ashdown.example', 'tokenless', '<imap-none@elsewhere.example>', 'Hello?'),
    );
    assert.deepEqual(
      (await flagsInInbox()).map((m) => m.seen),
      [false, false, false],
    );

    // The poller as the background process starts it, from the configuration.
    poller = await startInboundEmail(mailing().app);
    assert.ok(poller, 'CIVICDESK_INBOUND_EMAIL=imap starts a poller');
    const rows = await waitUntil('three inbound emails', inboundRows, (r) => r.length >= 3);
    await poller.stop();
    poller = undefined;

    const bySubject = Object.fromEntries(rows.map((r) => [r.subject, r]));
    const reply = bySubject[`Re: New report ${kase.reference}: Speeding traffic`]!;
    assert.equal(reply.outcome, 'threaded');
    assert.equal(reply.case_id, kase.id);
    assert.equal(bySubject.forged!.outcome, 'unmatched');
    assert.match(bySubject.forged!.reason, /not valid/);
    assert.equal(bySubject.forged!.case_id, null);
    assert.equal(bySubject.tokenless!.outcome, 'unmatched');
    assert.match(bySubject.tokenless!.reason, /No reply token/);
    assert.equal(bySubject.tokenless!.case_id, null);

    // On the case's timeline, for staff only, quoted history trimmed.
    const timeline = await events(kase.id);
    const received = timeline.filter((e) => e.kind === 'email_received');
    assert.equal(received.length, 1);
    assert.equal(received[0]!.is_public, false);
    assert.match(received[0]!.body, /We will put the speed watch out on Tuesday/);
    assert.doesNotMatch(received[0]!.body, /A resident has reported a problem/);
    assert.match(received[0]!.body, /clerk@littlewickham-pc\.example/);
    const allReceived = await getDatabase()
      .db.selectFrom('case_event')
      .select('case_id')
      .where('kind', '=', 'email_received')
      .execute();
    assert.deepEqual(
      allReceived.map((e) => e.case_id),
      [kase.id],
      'the forged and tokenless mail is on no case',
    );
    const publicPage = await mailing().app.inject({ method: 'GET', url: `/reports/${kase.reference}` });
    assert.doesNotMatch(publicPage.body, /speed watch out on Tuesday/);

    // Staff hear of the reply by email, as for one over SMTP.
    const notice = await mailing().smtp.waitFor(
      (m) =>
        m.parsed.subject?.startsWith(`Reply on ${kase.reference} from`) === true &&
        m.parsed.subject.includes('clerk@littlewickham-pc.example'),
    );
    assert.match(notice.parsed.text ?? '', /speed watch out on Tuesday/);

    // Admins see the unmatched ones.
    const page = await (await signedIn(mailing().app, admin)).get('/admin/delivery/inbound');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /No reply token in the address/);
    assert.match(page.body, /forged/);

    // Every message is marked read and stays in the inbox.
    assert.deepEqual(
      (await flagsInInbox()).map((m) => m.seen),
      [true, true, true],
      imap.log(),
    );
  });

  it('does nothing twice when it polls again, and takes only new mail', async () => {
    assert.equal(await pollImapOnce(mailing().app.delivery.inbound, imap.url, silent), 0);
    await deliver(
      message(
        kase.replyTo,
        `Re: New report ${kase.reference}: Speeding traffic`,
        '<imap-reply-2@littlewickham-pc.example>',
        'The speed watch found 14 cars over the limit.',
      ),
    );
    assert.equal(await pollImapOnce(mailing().app.delivery.inbound, imap.url, silent), 1);
    assert.equal(await pollImapOnce(mailing().app.delivery.inbound, imap.url, silent), 0);
    const received = (await events(kase.id)).filter((e) => e.kind === 'email_received');
    assert.equal(received.length, 2);
    assert.match(received[1]!.body, /14 cars over the limit/);
    assert.equal((await inboundRows()).length, 4);

    // A message the poll recorded but could not mark read (the poll died in between) is fetched again
    // and recorded once.
    await mailbox(async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsRemove('1:*', ['\\Seen']);
      } finally {
        lock.release();
      }
    });
    assert.equal(await pollImapOnce(mailing().app.delivery.inbound, imap.url, silent), 4);
    assert.equal((await inboundRows()).length, 4);
    assert.equal((await events(kase.id)).filter((e) => e.kind === 'email_received').length, 2);
  });
  it('fails a poll cleanly when the connection drops mid-poll, and the next poll takes the mail', async () => {
    // A network path to Dovecot that breaks (TCP reset) as soon as the poll searches the mailbox.
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect({ host: imap.host, port: imap.port });
      sockets.add(client).add(upstream);
      upstream.on('data', (chunk) => client.write(chunk));
      client.on('data', (chunk) => {
        if (/SEARCH/i.test(chunk.toString('latin1'))) {
          client.resetAndDestroy();
          upstream.destroy();
        } else upstream.write(chunk);
      });
      client.on('error', () => undefined);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = (proxy.address() as net.AddressInfo).port;
    const brokenUrl = imap.url.replace(`:${imap.port}/`, `:${proxyPort}/`);
    const uncaught: Error[] = [];
    const onUncaught = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      await deliver(
        message(
          kase.replyTo,
          `Re: New report ${kase.reference}: Speeding traffic`,
          '<imap-reply-3@littlewickham-pc.example>',
          'Speed watch again next week.',
        ),
      );
      await assert.rejects(pollImapOnce(mailing().app.delivery.inbound, brokenUrl, silent));
      await sleep(200);
      assert.deepEqual(uncaught, [], 'a dropped connection does not crash the worker');
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
    assert.equal(await pollImapOnce(mailing().app.delivery.inbound, imap.url, silent), 1);
    assert.equal((await events(kase.id)).filter((e) => e.kind === 'email_received').length, 3);
  });

  it('never runs two polls at once, so a message without a Message-ID is recorded once', async () => {
    await deliver(message(kase.replyTo, 'no message id', undefined, 'Sent from a very old mail client.'));
    // Polls due every 10 ms, far less than one poll takes: a poll still running is not joined by another.
    const fast = startImapPoller(mailing().app.delivery.inbound, {
      url: imap.url,
      everySeconds: 0.01,
      log: silent,
    });
    await waitUntil(
      'the message recorded',
      () =>
        getDatabase()
          .db.selectFrom('inbound_email')
          .select('id')
          .where('subject', '=', 'no message id')
          .execute(),
      (r) => r.length > 0,
    );
    await sleep(300);
    await fast.stop();
    const rows = await getDatabase()
      .db.selectFrom('inbound_email')
      .select('id')
      .where('subject', '=', 'no message id')
      .execute();
    assert.equal(rows.length, 1);
    const received = (await events(kase.id)).filter((e) => /very old mail client/.test(e.body));
    assert.equal(received.length, 1);
  });
  it('threads by Delivered-To when the headers do not show the reply address, and records auto-replies and bounces as such', async () => {
    // Blind-copied to the reply address: only the delivering server's Delivered-To header names it.
    await deliver(
      message(
        kase.replyTo,
        'blind copy',
        '<imap-bcc@littlewickham-pc.example>',
        'Copying in Civicdesk.',
      ).replace(`To: ${kase.replyTo}`, 'To: highways@ashdown.example'),
    );
    // An out-of-office, and a bounce as a mail server files it: Return-Path <> (no envelope over IMAP).
    await deliver(
      message(
        kase.replyTo,
        'Out of office',
        '<imap-ooo@littlewickham-pc.example>',
        'I am away until Monday.',
      ).replace('MIME-Version', 'Auto-Submitted: auto-replied\r\nMIME-Version'),
    );
    await deliver(
      message(
        kase.replyTo,
        'Undelivered Mail Returned to Sender',
        '<imap-bounce@mx.littlewickham-pc.example>',
        'The mailbox cases@littlewickham-pc.example is full.',
      )
        .replace('Return-Path: <clerk@littlewickham-pc.example>', 'Return-Path: <>')
        .replace(
          'From: Parish Clerk <clerk@littlewickham-pc.example>',
          'From: Mail Delivery System <mailer-daemon@mx.littlewickham-pc.example>',
        ),
    );
    assert.equal(await pollImapOnce(mailing().app.delivery.inbound, imap.url, silent), 3);

    const rows = Object.fromEntries((await inboundRows()).map((r) => [r.subject, r]));
    assert.equal(rows['blind copy']!.outcome, 'threaded');
    assert.equal(rows['blind copy']!.case_id, kase.id);
    assert.equal(rows['Out of office']!.outcome, 'auto_reply');
    assert.equal(rows['Undelivered Mail Returned to Sender']!.outcome, 'bounce');
    const timeline = await events(kase.id);
    assert.ok(timeline.some((e) => e.kind === 'email_received' && /Copying in Civicdesk/.test(e.body)));
    assert.ok(timeline.some((e) => e.kind === 'email_auto_reply' && /Automatic reply/.test(e.body)));
    assert.ok(timeline.some((e) => e.kind === 'email_bounced'));
    const delivery = await getDatabase()
      .db.selectFrom('case_delivery')
      .selectAll()
      .where('case_id', '=', kase.id)
      .executeTakeFirstOrThrow();
    assert.equal(delivery.state, 'failed');
    assert.match(delivery.last_error ?? '', /bounced/);
  });
  it('does not download a message over the size limit: it is kept as too large, with its real size', async () => {
    // The same inbound handling with a 10,000-byte limit (the smallest CIVICDESK_INBOUND_MAX_BYTES).
    const small = new InboundEmail(
      getDatabase().db,
      mailing().app.jobs,
      mailing().app.delivery.replies,
      {
        baseUrl: 'https://report.ashdown.example',
        daysAfterClose: 30,
        maxBytes: 10_000,
        log: silent,
      },
      mailing().app.cases,
    );
    const photo = 'iVBORw0KGgoAAAANSUhEUgAA'.repeat(20_000); // about 480 KB of "attachment"
    await deliver(message(kase.replyTo, 'huge reply', '<imap-huge@littlewickham-pc.example>', photo));
    const logBefore = imap.log().length;
    assert.equal(await pollImapOnce(small, imap.url, silent), 1);

    const row = (await inboundRows()).find((r) => r.subject === 'huge reply');
    assert.equal(row?.outcome, 'unmatched');
    assert.equal(row?.reason, 'Too large');
    assert.ok(row!.size > 480_000, `recorded size ${row?.size}`);
    assert.equal((await events(kase.id)).filter((e) => /iVBORw0KGgo/.test(e.body)).length, 0);
    assert.deepEqual(
      (await flagsInInbox()).filter((m) => !m.seen),
      [],
    );
    // Dovecot's own count of the bytes it sent to the poll's session.
    const sessions = [
      ...imap
        .log()
        .slice(logBefore)
        .matchAll(/Logged out in=\d+ out=(\d+)/g),
    ];
    assert.ok(sessions.length > 0, imap.log().slice(logBefore));
    const sent = Number(sessions[0]![1]);
    assert.ok(sent < 50_000, `Dovecot sent ${sent} bytes to the poller`);
  });
  it('records a message with a NUL character in its text instead of failing on it at every poll, and the mail behind it', async () => {
    await deliver(
      message(
        kase.replyTo,
        'nul reply',
        '<imap-nul@littlewickham-pc.example>',
        'Speed=00 watch results attached.',
      ).replace(
        'Content-Type: text/plain; charset=utf-8',
        'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable',
      ),
    );
    await deliver(
      message(kase.replyTo, 'after nul', '<imap-after-nul@littlewickham-pc.example>', 'Next one.'),
    );
    assert.equal(await pollImapOnce(mailing().app.delivery.inbound, imap.url, silent), 2);
    const subjects = (await inboundRows()).map((r) => r.subject);
    assert.ok(subjects.includes('nul reply') && subjects.includes('after nul'), subjects.join(', '));
    const timeline = await events(kase.id);
    assert.ok(timeline.some((e) => /Speed watch results attached/.test(e.body)));
  });
});
