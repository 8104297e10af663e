/**
 * The emails a new report sends: the resident's receipt (a service may have its own wording) and the
 * team's notice. Built when the case is written and stored in the outbox job, so what is sent is exactly
 * what was true at that moment.
 */
import { fillTemplate, textToHtml } from '../../lib/email-template.js';
import type { OutgoingEmail } from '../../infra/mailer/mailer.js';
import { DEFAULT_RECEIPT, type ReceiptValues } from '../services/index.js';

export type { ReceiptValues };

export function receiptEmail(
  to: string,
  template: { subject: string; body: string } | undefined,
  values: ReceiptValues,
): OutgoingEmail {
  const chosen = template ?? DEFAULT_RECEIPT;
  const subject = fillTemplate(chosen.subject, values).text.replace(/\s+/g, ' ').trim();
  const text = fillTemplate(chosen.body, values).text;
  return {
    to,
    subject,
    text,
    html: textToHtml(text, { title: subject }),
    headers: { 'X-Civicdesk-Reference': values.reference },
  };
}

export function teamNotificationEmail(
  to: string,
  values: ReceiptValues & { description: string; answers: string[]; channel: string },
): OutgoingEmail {
  const subject = `New report ${values.reference}: ${values.service}, ${values.location}`;
  const text = [
    `A new report was made ${values.channel} and has been sent to ${values.handled_by}.`,
    `Reference: ${values.reference}\nService: ${values.service}\nWhere: ${values.location}\nDue: ${values.due_date}`,
    values.answers.length ? `Answers:\n${values.answers.map((a) => `- ${a}`).join('\n')}` : '',
    values.description ? `Description:\n${values.description}` : '',
    'The case and the resident’s details are in Civicdesk. This email does not include them.',
  ]
    .filter(Boolean)
    .join('\n\n');
  return {
    to,
    subject: subject.length > 200 ? `${subject.slice(0, 197)}...` : subject,
    text,
    html: textToHtml(text, { title: subject }),
    headers: { 'X-Civicdesk-Reference': values.reference },
  };
}
