/**
 * How replies reach InboundEmail: an SMTP listener that the reply domain's MX (or a relay in front of
 * it) delivers to, or an IMAP mailbox that another mail server fills and this polls. One of them runs
 * in the background process (src/background.ts), chosen by CIVICDESK_INBOUND_EMAIL.
 */
import type { FastifyBaseLogger as Logger } from 'fastify';
import { ImapFlow } from 'imapflow';
import { SMTPServer } from 'smtp-server';
import type { InboundEmail } from './inbound.js';

export interface RunningTransport {
  /** The SMTP listener's port (useful when asked for port 0). */
  port?: number;
  stop(): Promise<void>;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

/**
 * Accepts mail for the reply address only (550 for any other recipient, so it is never mistaken for a
 * relay), refuses messages over the size limit (552), and answers 451 if the message could not be
 * recorded (the database is down), so the sending server tries again later rather than losing it.
 */
export async function startSmtpListener(
  inbound: InboundEmail,
  options: { host: string; port: number; log: Logger },
): Promise<RunningTransport> {
  const server = new SMTPServer({
    name: 'civicdesk-inbound',
    banner: 'Civicdesk replies',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: inbound.maxBytes,
    logger: false,
    maxClients: 50,
    socketTimeout: 60_000,
    onRcptTo(address, _session, callback) {
      if (!inbound.acceptsRecipient(address.address)) {
        callback(smtpError('5.1.1 No such mailbox here', 550));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          callback(smtpError('5.3.4 Message too big', 552));
          return;
        }
        const envelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
        };
        inbound.receive(Buffer.concat(chunks), envelope).then(
          () => callback(),
          (error: unknown) => {
            options.log.error({ err: error }, 'inbound email could not be recorded');
            callback(smtpError('4.3.0 Could not record the message; try again later', 451));
          },
        );
      });
    },
  });
  server.on('error', (error) => options.log.warn({ err: error }, 'inbound SMTP error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.server.address();
  const port = address && typeof address === 'object' ? address.port : options.port;
  options.log.info({ host: options.host, port }, 'inbound SMTP listener started');
  return {
    port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Fetches unread messages from the mailbox (no more than the size limit of each), hands each to
 * InboundEmail and marks it read. A message is recorded once even if it is fetched again (the
 * Message-ID is unique in inbound_email), so a poll that dies between recording and flagging does no
 * harm.
 *
 * A connection that breaks or stalls fails this poll (the promise rejects), never the process: imapflow
 * reports socket errors after connecting as 'error' events, which would be thrown as uncaught if
 * nothing listened for them, and its default inactivity timeout (5 minutes) is cut to one.
 */
export async function pollImapOnce(inbound: InboundEmail, url: string, log: Logger): Promise<number> {
  const parsed = new URL(url);
  const client = new ImapFlow({
    host: parsed.hostname,
    port: Number(parsed.port) || (parsed.protocol === 'imaps:' ? 993 : 143),
    secure: parsed.protocol === 'imaps:',
    auth: { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) },
    logger: false,
    connectionTimeout: 30_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });
  client.on('error', (error: unknown) => log.warn({ err: error }, 'IMAP connection failed'));
  await client.connect();
  let handled = 0;
  try {
    const lock = await client.getMailboxLock(
      decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'INBOX',
    );
    try {
      const uids = (await client.search({ seen: false }, { uid: true })) || [];
      for (const uid of uids) {
        // At most one byte over the limit: enough to know a message is too large without downloading it.
        const message = await client.fetchOne(
          String(uid),
          { source: { maxLength: inbound.maxBytes + 1 }, size: true },
          { uid: true },
        );
        if (!message || !message.source) continue;
        await inbound.receive(message.source, {}, message.size ?? message.source.length);
        await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        handled += 1;
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch((error: unknown) => log.debug({ err: error }, 'IMAP logout failed'));
  }
  return handled;
}

export function startImapPoller(
  inbound: InboundEmail,
  options: { url: string; everySeconds: number; log: Logger },
): RunningTransport {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  let stopped = false;
  // One poll at a time: a poll slower than the interval is not joined by a second one fetching the
  // same unread messages (which would record a message without a Message-ID twice).
  const tick = () => {
    if (busy || stopped) return;
    busy = true;
    running = pollImapOnce(inbound, options.url, options.log)
      .catch((error: unknown) =>
        options.log.warn({ err: error }, 'IMAP poll failed; trying again at the next poll'),
      )
      .finally(() => {
        busy = false;
      });
  };
  tick();
  const timer = setInterval(tick, options.everySeconds * 1000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
