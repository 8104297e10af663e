/**
 * Email that comes back to the reply address: a body's reply to a case we emailed it, an out-of-office,
 * or a bounce. Whatever the transport (the SMTP listener or the IMAP poller), each message comes here
 * as raw bytes.
 *
 * A message threads onto a case only through a reply token that verifies (reply-token.ts) for a case
 * that is open or closed recently. Anything else — no token, a forged or damaged one, a case long
 * closed — is not put on any case: it is logged and kept, with the reason, in the unmatched list
 * for administrators (the SMTP listener accepts it rather than refusing it with a 550, because the
 * refusal would send a bounce to the From address, which for a forged message is somebody else's).
 *
 * Replies go on the case's timeline as internal events (staff see them, the public page does not),
 * with quoted history trimmed, and the officer (or else the team) is emailed. Auto-replies and bounces
 * are recorded as such, and a bounce marks the email delivery failed, so admins see the body's inbox
 * does not work.
 */
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely } from 'kysely';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { CasesService } from '../cases/index.js';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import { textToHtml } from '../../lib/email-template.js';
import * as repo from './delivery.repository.js';
import type { ReplyAddresses } from './reply-token.js';

export type InboundOutcome = 'threaded' | 'auto_reply' | 'bounce' | 'unmatched' | 'duplicate';

export interface InboundResult {
  outcome: InboundOutcome;
  reason: string;
  caseId?: string;
}

export interface Envelope {
  /** The SMTP MAIL FROM; '' for the null sender (<>) that bounces use. */
  mailFrom?: string;
  rcptTo?: string[];
}

const MAX_TEXT_CHARS = 20_000;

/**
 * Text from a message as the database can store it: PostgreSQL (and PGlite) refuse NUL in text and
 * JSON, and a message carrying one (an `=00` in quoted-printable is enough) would otherwise fail to be
 * recorded at every attempt, holding up the IMAP mailbox behind it or being refused with 451 for ever.
 */
function storable(value: string): string {
  return value.replaceAll('\u0000', '');
}

/**
 * The new part of a reply: everything before the quoted message the mail client added. Handles
 * "On ... wrote:" (also split over two lines), Outlook's "-----Original Message-----" and its
 * "From: / Sent: / To: / Subject:" block, and a trailing block of "> " lines. Inline answers between
 * quoted lines are kept, as cutting at the first ">" would lose them.
 */
export function trimQuotedReply(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const joined = `${line} ${lines[i + 1]?.trim() ?? ''}`;
    if (/^-{2,}\s*Original Message\s*-{2,}$/i.test(line) || /^_{20,}$/.test(line)) {
      end = i;
      break;
    }
    if (/^On\b.{0,300}\bwrote:$/i.test(line) || (/^On\b/i.test(line) && /\bwrote:$/i.test(joined))) {
      end = i;
      break;
    }
    if (/^From:\s.+/i.test(line)) {
      const next = lines.slice(i + 1, i + 5).map((l) => l.trim());
      if (next.some((l) => /^(Sent|Date):\s/i.test(l)) && next.some((l) => /^(To|Subject):\s/i.test(l))) {
        end = i;
        break;
      }
    }
  }
  const kept = lines.slice(0, end);
  while (kept.length && (kept[kept.length - 1]!.trim() === '' || /^\s*>/.test(kept[kept.length - 1]!)))
    kept.pop();
  return kept.join('\n').trim().slice(0, MAX_TEXT_CHARS);
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  const out: string[] = [];
  const walk = (entries: AddressObject['value']) => {
    for (const entry of entries) {
      if (entry.address) out.push(entry.address);
      if (entry.group) walk(entry.group);
    }
  };
  for (const object of list) walk(object.value);
  return out;
}

/** Header values by name from the raw header lines (Delivered-To may appear several times). */
function headerValues(parsed: ParsedMail, name: string): string[] {
  return parsed.headerLines
    .filter((h) => h.key === name)
    .map((h) => h.line.slice(h.line.indexOf(':') + 1).trim());
}

function addressesIn(text: string): string[] {
  return [...text.matchAll(/[^\s<>,;"]+@[^\s<>,;"]+/g)].map((m) => m[0]);
}

/** Auto-Submitted (RFC 3834) and the headers mail systems use instead of it. */
export function classify(parsed: ParsedMail, envelope: Envelope): 'bounce' | 'auto_reply' | 'reply' {
  const returnPath = headerValues(parsed, 'return-path');
  const contentType = String(
    parsed.headers.get('content-type') ? headerValues(parsed, 'content-type')[0] : '',
  );
  const from = addresses(parsed.from)[0]?.toLowerCase() ?? '';
  if (
    envelope.mailFrom === '' ||
    returnPath.some((v) => /^<\s*>$/.test(v)) ||
    (/multipart\/report/i.test(contentType) && /report-type\s*=\s*"?delivery-status/i.test(contentType)) ||
    /^(mailer-daemon|postmaster)@/.test(from)
  ) {
    return 'bounce';
  }
  const autoSubmitted = headerValues(parsed, 'auto-submitted')[0]?.toLowerCase();
  const precedence = headerValues(parsed, 'precedence')[0]?.toLowerCase();
  if (
    (autoSubmitted !== undefined && autoSubmitted !== 'no') ||
    headerValues(parsed, 'x-autoreply').length > 0 ||
    headerValues(parsed, 'x-autorespond').length > 0 ||
    (precedence !== undefined && ['auto_reply', 'bulk', 'junk', 'list'].includes(precedence))
  ) {
    return 'auto_reply';
  }
  return 'reply';
}

function sizeWords(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

export class InboundEmail {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: Jobs,
    private readonly replies: ReplyAddresses,
    private readonly options: { baseUrl: string; daysAfterClose: number; maxBytes: number; log: Logger },
    /** The case core, which records the reply on the case's timeline. */
    private readonly timeline: Pick<CasesService, 'addTimelineEntry'>,
  ) {}

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** Whether the SMTP listener should take mail for this recipient at all (our domain and local part). */
  acceptsRecipient(address: string): boolean {
    return this.replies.parse(address) !== undefined;
  }

  /**
   * `size` is the whole message's size when `raw` is only its start (the IMAP poller fetches no more
   * than maxBytes + 1 bytes of a message, so a huge one is never held in memory).
   */
  async receive(raw: Buffer, envelope: Envelope = {}, size = raw.length): Promise<InboundResult> {
    const parsed = await simpleParser(raw.subarray(0, this.options.maxBytes + 1), { skipImageLinks: true });
    const from = storable(parsed.from?.text ?? envelope.mailFrom ?? '');
    const subject = storable(parsed.subject ?? '').slice(0, 500);
    const messageId = parsed.messageId ? storable(parsed.messageId).slice(0, 500) : null;
    const recipients = [
      ...new Set(
        [
          ...(envelope.rcptTo ?? []),
          ...addresses(parsed.to),
          ...addresses(parsed.cc),
          ...headerValues(parsed, 'delivered-to').flatMap(addressesIn),
          ...headerValues(parsed, 'x-original-to').flatMap(addressesIn),
        ].map((a) => storable(a.toLowerCase())),
      ),
    ].slice(0, 50);
    const text = trimQuotedReply(storable(parsed.text ?? ''));
    const record = {
      message_id: messageId,
      mail_from: from.slice(0, 500),
      recipients,
      subject,
      excerpt: text.slice(0, 2000),
      size: Math.max(size, raw.length),
    };

    const unmatched = async (reason: string): Promise<InboundResult> => {
      const inserted = await repo.insertInbound(this.db, {
        ...record,
        outcome: 'unmatched',
        reason,
        case_id: null,
      });
      this.options.log.warn({ from, subject, recipients, reason }, 'inbound email not threaded');
      return { outcome: inserted ? 'unmatched' : 'duplicate', reason };
    };

    if (record.size > this.options.maxBytes) return unmatched('Too large');
    const ours = recipients.map((r) => this.replies.parse(r)).filter((p) => p !== undefined);
    if (ours.length === 0) return unmatched('Not sent to the reply address');
    const tokens = ours.map((p) => p.token).filter(Boolean);
    if (tokens.length === 0) return unmatched('No reply token in the address');
    const caseIds = [
      ...new Set(tokens.map((t) => this.replies.verifyToken(t)).filter((id) => id !== undefined)),
    ];
    if (caseIds.length === 0) return unmatched('The reply token is not valid (forged or damaged)');
    if (caseIds.length > 1) return unmatched('Reply tokens for more than one case');
    const caseId = caseIds[0]!;
    const row = await repo.caseForDelivery(this.db, caseId);
    if (!row) return unmatched('The case no longer exists');
    if (row.closed_at && row.closed_at.getTime() < Date.now() - this.options.daysAfterClose * 86_400_000) {
      return unmatched(
        `The reply token has expired: the case closed more than ${this.options.daysAfterClose} days ago`,
      );
    }

    const kind = classify(parsed, envelope);
    const outcome = kind === 'reply' ? 'threaded' : kind;
    const attachments = parsed.attachments
      .filter((a) => a.contentDisposition !== 'inline' || !a.related)
      .map((a) => ({
        filename: storable(a.filename ?? 'unnamed'),
        contentType: storable(a.contentType),
        size: a.size,
      }));
    const label = {
      reply: 'Reply',
      auto_reply: 'Automatic reply',
      bounce: 'Bounce (the email was not delivered)',
    }[kind];
    const eventText = [
      `${label} from ${from || 'an unknown sender'}`,
      `Subject: ${subject || '(none)'}`,
      text || '(no text)',
      ...(attachments.length
        ? [
            `Attachments (not kept): ${attachments.map((a) => `${a.filename} (${a.contentType}, ${sizeWords(a.size)})`).join('; ')}`,
          ]
        : []),
    ].join('\n\n');

    const written = await this.db.transaction().execute(async (trx) => {
      const inserted = await repo.insertInbound(trx, {
        ...record,
        outcome,
        reason: '',
        case_id: caseId,
      });
      if (!inserted) return false;
      await this.timeline.addTimelineEntry(trx, caseId, {
        kind: kind === 'reply' ? 'email_received' : kind === 'bounce' ? 'email_bounced' : 'email_auto_reply',
        isPublic: false,
        body: eventText,
        data: { from, subject, messageId, attachments, kind },
        actor: 'integration',
      });
      if (kind === 'bounce') {
        await repo.markBounced(
          trx,
          caseId,
          `The email to the body bounced: ${subject || text.slice(0, 200)}`,
        );
        return true;
      }
      if (kind !== 'reply') return true;
      // The officer working the case hears of the reply; if nobody has it yet, the team's inbox does.
      const assignee = row.assignee_staff_id
        ? await repo.assigneeEmail(trx, row.assignee_staff_id)
        : undefined;
      const to = assignee?.email ?? row.team_email;
      if (to) {
        const noticeSubject = `Reply on ${row.reference} from ${from}`;
        const noticeText = [
          `${from} replied about case ${row.reference} (${row.service_name}):`,
          text.length > 1500 ? `${text.slice(0, 1500)}…` : text || '(no text)',
          `See the case: ${this.options.baseUrl}/staff/cases/${row.reference}`,
        ].join('\n\n');
        await enqueueEmail(
          this.jobs,
          trx,
          {
            to,
            subject: noticeSubject,
            text: noticeText,
            html: textToHtml(noticeText, { title: noticeSubject }),
          },
          { ...(messageId ? { dedupeKey: `inbound-notice:${messageId}` } : {}) },
        );
      }
      return true;
    });
    if (!written) return { outcome: 'duplicate', reason: 'Already received', caseId };
    this.jobs.wake();
    this.options.log.info({ caseId, outcome }, 'inbound email threaded');
    return { outcome, reason: '', caseId };
  }
}
