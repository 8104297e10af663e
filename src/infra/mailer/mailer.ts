/**
 * The Mailer port: everything that sends email goes through it, so the transport is configuration.
 * Adapters: SMTP (production) and a file mailbox (the embedded default, writing .eml files a developer
 * can read at /dev/mail). GOV.UK Notify comes later as a third adapter.
 *
 * Application code never calls a Mailer directly in a request: it enqueues an `email.send` job in its
 * transaction (see email.jobs.ts) so a committed change and its email cannot part company.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

export interface OutgoingEmail {
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
  replyTo?: string;
  /** Extra headers, e.g. references for threading or an X-Civicdesk-Case. */
  headers?: Record<string, string>;
  /** A stable Message-ID makes a retried send recognisable as the same message downstream. */
  messageId?: string;
  /** Files to attach. Buffers do not survive a job payload: only for mail sent straight from a job handler. */
  attachments?: { filename: string; content: Buffer; contentType: string }[];
  /** The envelope sender (Return-Path) when bounces should go somewhere other than the From address. */
  envelopeFrom?: string;
}

export interface SentEmail {
  messageId: string;
  /** Adapter-specific: the SMTP server's response, or the file written. */
  detail: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'file';
  send(email: OutgoingEmail): Promise<SentEmail>;
  close(): Promise<void>;
}

function messageOptions(from: string, email: OutgoingEmail): SendMailOptions {
  return {
    from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    ...(email.html ? { html: email.html } : {}),
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    ...(email.headers ? { headers: email.headers } : {}),
    ...(email.messageId ? { messageId: email.messageId } : {}),
    ...(email.attachments ? { attachments: email.attachments } : {}),
    ...(email.envelopeFrom
      ? { envelope: { from: email.envelopeFrom, to: ([] as string[]).concat(email.to) } }
      : {}),
  };
}

export class SmtpMailer implements Mailer {
  readonly kind = 'smtp';
  readonly #transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    const options: SMTPTransport.Options = {
      url: smtpUrl,
      // Fail a stuck send well inside a job's lease rather than hanging on it.
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    };
    this.#transport = nodemailer.createTransport(options);
  }

  async send(email: OutgoingEmail): Promise<SentEmail> {
    const info = await this.#transport.sendMail(messageOptions(this.from, email));
    return { messageId: info.messageId ?? '', detail: info.response ?? '' };
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}

/** Writes each email as an .eml file (exactly the bytes SMTP would have carried) into a folder. */
export class FileMailer implements Mailer {
  readonly kind = 'file';
  readonly #transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(
    readonly folder: string,
    private readonly from: string,
  ) {}

  async send(email: OutgoingEmail): Promise<SentEmail> {
    const info = (await this.#transport.sendMail(messageOptions(this.from, email))) as unknown as {
      messageId: string;
      message: Buffer;
    };
    await fs.mkdir(this.folder, { recursive: true });
    // Sortable by time, unique without coordination between processes.
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${crypto.randomBytes(4).toString('hex')}.eml`;
    const file = path.join(this.folder, name);
    await fs.writeFile(file, info.message, { mode: 0o600 });
    return { messageId: info.messageId, detail: file };
  }

  async close(): Promise<void> {}
}

export function createMailer(settings: { smtpUrl?: string; from: string; dataDir: string }): Mailer {
  return settings.smtpUrl
    ? new SmtpMailer(settings.smtpUrl, settings.from)
    : new FileMailer(path.join(settings.dataDir, 'mail'), settings.from);
}
