/**
 * Delivery by email, for bodies without a system of their own (a parish clerk's inbox): the whole
 * case in one email, plain text and HTML, with the photos attached and a Reply-To address unique to
 * the case, so the clerk's reply threads back onto it (inbound.ts).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Mailer, OutgoingEmail } from '../../infra/mailer/mailer.js';
import { formatDateTime } from '../../lib/dates.js';
import type { DeliveryContext, DeliveryMethod } from './delivery.service.js';
import { emailSettings, type EmailTargetSettings } from './delivery.service.js';
import * as repo from './delivery.repository.js';
import type { ReplyAddresses } from './reply-token.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Above this, photos are listed rather than attached: some council mail systems refuse big emails. */
const MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024;

export interface PhotoReader {
  listForCase(caseId: string, opts: { publicOnly: boolean }): Promise<{ id: string }[]>;
  read(
    id: string,
    variant: 'full',
  ): Promise<{ stream: AsyncIterable<Buffer | string>; size: number; contentType: string } | undefined>;
}

export type CaseForDelivery = NonNullable<Awaited<ReturnType<typeof repo.caseForDelivery>>>;

export interface CaseEmailParts {
  row: CaseForDelivery;
  settings: EmailTargetSettings;
  replyTo: string;
  councilName: string;
  photoCount: number;
  photosAttached: boolean;
}

interface Question {
  code: string;
  text: string;
  options?: { key: string; name: string }[];
}

export function answerLines(row: CaseForDelivery): { question: string; answer: string }[] {
  const questions = ((row.service_definition as { questions?: Question[] }).questions ?? []) as Question[];
  return Object.entries(row.answers).map(([code, value]) => {
    const question = questions.find((q) => q.code === code);
    const shown = (Array.isArray(value) ? value : [value])
      .map((v) => question?.options?.find((o) => o.key === v)?.name ?? v)
      .join(', ');
    return { question: question?.text ?? code, answer: shown };
  });
}

export function mapLink(lat: number, lon: number): string {
  return `https://www.openstreetmap.org/?mlat=${lat.toFixed(6)}&mlon=${lon.toFixed(6)}#map=18/${lat.toFixed(6)}/${lon.toFixed(6)}`;
}

/** The email a body receives for a case: pure, so its wording is tested without sending anything. */
export function composeCaseEmail(parts: CaseEmailParts): Omit<OutgoingEmail, 'to'> {
  const { row, settings } = parts;
  const place = row.location_description || 'No address: see the map';
  const sections: { heading: string; lines: string[] }[] = [
    {
      heading: 'The report',
      lines: [
        `Reference: ${row.reference}`,
        `Service: ${row.service_name}`,
        `Reported: ${formatDateTime(row.created_at)}`,
        ...(row.due_at
          ? [`The resident was told to expect a response by: ${formatDateTime(row.due_at)}`]
          : []),
      ],
    },
    {
      heading: 'Where',
      lines: [
        place + (row.location_detail ? ` (${row.location_detail})` : ''),
        `Latitude, longitude: ${row.lat.toFixed(6)}, ${row.lon.toFixed(6)}`,
        `Map: ${mapLink(row.lat, row.lon)}`,
      ],
    },
    { heading: 'What they said', lines: [row.description || 'No description given.'] },
  ];
  const answers = answerLines(row);
  if (answers.length)
    sections.push({ heading: 'Their answers', lines: answers.map((a) => `${a.question}: ${a.answer}`) });
  if (parts.photoCount) {
    sections.push({
      heading: 'Photos',
      lines: [
        parts.photosAttached
          ? `${parts.photoCount} ${parts.photoCount === 1 ? 'photo is' : 'photos are'} attached.`
          : `The resident added ${parts.photoCount} ${parts.photoCount === 1 ? 'photo' : 'photos'}; reply to this email to ask for ${parts.photoCount === 1 ? 'it' : 'them'}.`,
      ],
    });
  }
  sections.push({
    heading: 'Who reported it',
    lines:
      settings.includeReporterContact && (row.reporter_name || row.reporter_email || row.reporter_phone)
        ? [
            `Name: ${row.reporter_name || 'not given'}`,
            `Email: ${row.reporter_email || 'not given'}`,
            `Phone: ${row.reporter_phone || 'not given'}`,
          ]
        : [
            `The resident’s contact details are not shared. Reply to this email and ${parts.councilName} will pass your message on.`,
          ],
  });
  const intro = `${parts.councilName} has received a report for ${row.body_name} to deal with.`;
  const outro = `Reply to this email to add to the case: your reply goes to ${parts.councilName}’s record of report ${row.reference}. Please keep the reference in the subject.`;
  const subject = `New report ${row.reference}: ${row.service_name}`;
  const text = [
    intro,
    ...sections.map((s) => `${s.heading.toUpperCase()}\n${s.lines.join('\n')}`),
    outro,
  ].join('\n\n');

  const link = (url: string) => `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
  const htmlSections = sections
    .map((s) => {
      const lines = s.lines
        .map((line) => (line.startsWith('Map: ') ? `Map: ${link(line.slice(5))}` : escapeHtml(line)))
        .join('<br>');
      return `<h2 style="font-size:22px;margin:24px 0 8px 0">${escapeHtml(s.heading)}</h2>\n<p style="margin:0 0 16px 0;white-space:pre-line">${lines}</p>`;
    })
    .join('\n');
  const html = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:0;background:#ffffff">
<div role="article" aria-label="${escapeHtml(subject)}" style="max-width:600px;margin:0 auto;padding:16px;font-family:Arial,sans-serif;font-size:19px;line-height:1.4;color:#0b0c0c">
<h1 style="font-size:27px;margin:0 0 16px 0">${escapeHtml(subject)}</h1>
<p style="margin:0 0 16px 0">${escapeHtml(intro)}</p>
${htmlSections}
<p style="margin:24px 0 0 0">${escapeHtml(outro)}</p>
</div>
</body>
</html>
`;
  return {
    subject,
    text,
    html,
    replyTo: parts.replyTo,
    headers: { 'X-Civicdesk-Reference': row.reference },
  };
}

export class EmailDelivery implements DeliveryMethod {
  readonly method = 'email' as const;
  readonly words = 'by email';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly mailer: Mailer,
    private readonly replies: ReplyAddresses,
    private readonly photos: PhotoReader | undefined,
    private readonly councilName: string,
  ) {}

  async deliver({ delivery, target }: DeliveryContext): Promise<{ externalId: string | null }> {
    const row = await repo.caseForDelivery(this.db, delivery.case_id);
    if (!row) throw new Error('The case no longer exists');
    const settings = emailSettings(target.settings);
    if (!settings.email) throw new Error('The delivery target has no email address');

    const photos = this.photos ? await this.photos.listForCase(row.id, { publicOnly: false }) : [];
    const attachments: NonNullable<OutgoingEmail['attachments']> = [];
    let total = 0;
    let attachAll = settings.attachPhotos && photos.length > 0;
    for (const [i, photo] of photos.entries()) {
      if (!attachAll) break;
      const content = await this.photos!.read(photo.id, 'full');
      if (!content || total + content.size > MAX_ATTACHMENT_BYTES) {
        attachAll = false;
        break;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of content.stream) chunks.push(Buffer.from(chunk));
      total += content.size;
      attachments.push({
        filename: `${row.reference}-photo-${i + 1}.jpg`,
        content: Buffer.concat(chunks),
        contentType: content.contentType,
      });
    }

    const replyTo = this.replies.addressFor(row.id);
    const email: OutgoingEmail = {
      to: settings.email,
      ...composeCaseEmail({
        row,
        settings,
        replyTo,
        councilName: this.councilName,
        photoCount: photos.length,
        photosAttached: attachAll,
      }),
      // The same Message-ID on every attempt: a retry after a lost "250 OK" is recognisably the same email.
      messageId: `<delivery.${delivery.id}@${this.replies.domain}>`,
      // Bounces come back to the case's reply address too, so a dead inbox shows up on the case.
      envelopeFrom: replyTo,
      ...(attachAll && attachments.length ? { attachments } : {}),
    };
    const sent = await this.mailer.send(email);
    return { externalId: sent.messageId || null };
  }
}
