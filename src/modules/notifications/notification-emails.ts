/**
 * The text of every email Civicdesk sends about a case: the resident's receipt (a service may have its
 * own wording) and the team's notice; an update and the closing summary to the reporter and followers;
 * the honest "a new date" notice when a case misses its date, and the team lead's copy. Pure functions:
 * the subscriber (notifications.jobs.ts) gathers the facts and queues what these return.
 */
import { fillTemplate, textToHtml } from '../../lib/email-template.js';
import type { CaseStatus } from '../../db/database.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
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

/** What an update, closing or overdue email says about the case it is about. */
export interface CaseFacts {
  reference: string;
  serviceName: string;
  /** Where, as the resident described it (empty when they only placed a pin). */
  locationDescription: string;
  /** The resident's tracking page. */
  link: string;
}

const place = (facts: CaseFacts) => facts.locationDescription || 'the place you marked';

/** A public update or a status change, or (closing) the summary of what was done. */
export function caseUpdateEmail(
  to: string,
  facts: CaseFacts,
  change: {
    status: CaseStatus | undefined;
    publicUpdate: string;
    closing: boolean;
    /** The public timeline, oldest first, for the closing summary's "what we did". */
    timeline: { at: Date; text: string }[];
    councilName: string;
  },
): OutgoingEmail {
  const label = change.status ? STATUS_LABELS[change.status] : '';
  const subject = change.closing
    ? `Report ${facts.reference} is closed: ${label}`
    : `Update on report ${facts.reference}: ${facts.serviceName}`;
  const whatWeDid = change.timeline
    .map(
      (entry) =>
        `- ${entry.at.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', timeZone: 'Europe/London' })}: ${entry.text}`,
    )
    .join('\n');
  const text = change.closing
    ? [
        `Your report ${facts.reference} (${facts.serviceName}, ${place(facts)}) is now closed.`,
        `Outcome: ${label}`,
        change.publicUpdate,
        `What we did:\n${whatWeDid}`,
        `If the problem is still there, reply to the council quoting ${facts.reference} and we will reopen it. If you are unhappy with how we dealt with it, you can make a complaint to ${change.councilName}.`,
        `See the report: ${facts.link}`,
      ].join('\n\n')
    : [
        `There is an update on report ${facts.reference} (${facts.serviceName}):`,
        change.publicUpdate || `Its status is now: ${label}`,
        change.status && change.publicUpdate ? `Status: ${label}` : '',
        `See the report: ${facts.link}`,
      ]
        .filter(Boolean)
        .join('\n\n');
  return {
    to,
    subject,
    text,
    html: textToHtml(text, { title: subject }),
    headers: { 'X-Civicdesk-Reference': facts.reference },
  };
}

/** "Bad news is better than no news": the date was missed, and when to expect a response now. */
export function overdueEmail(to: string, facts: CaseFacts, message: string): OutgoingEmail {
  const subject = `Report ${facts.reference}: a new date`;
  const text = `About your report ${facts.reference} (${facts.serviceName}, ${place(facts)}):\n\n${message}\n\nSee the report: ${facts.link}`;
  return { to, subject, text, html: textToHtml(text, { title: subject }) };
}

/** The team lead's copy of an overdue notice, with the link to the case in the back office. */
export function overdueLeadEmail(
  to: string,
  facts: Omit<CaseFacts, 'link'> & { caseUrl: string; expectedBy: string },
): OutgoingEmail {
  const subject = `Overdue: ${facts.reference} (${facts.serviceName})`;
  const text = `Case ${facts.reference} passed its due date. The resident has been told to expect a response by ${facts.expectedBy}.\n\n${facts.caseUrl}`;
  return { to, subject, text, html: textToHtml(text, { title: subject }) };
}

/** To those who followed a report that was joined to another: their report lives on as the original. */
export function joinedEmail(
  to: string,
  joined: { reference: string; originalReference: string; originalLink: string },
): OutgoingEmail {
  const subject = `Report ${joined.reference} was joined to report ${joined.originalReference}`;
  const text = [
    `Thank you for your report ${joined.reference}. Someone had already told us about the same problem, in report ${joined.originalReference}, so we have joined your report to it.`,
    `We will email you when there is an update on ${joined.originalReference}. See it here: ${joined.originalLink}`,
  ].join('\n\n');
  return {
    to,
    subject,
    text,
    html: textToHtml(text, { title: subject }),
    headers: { 'X-Civicdesk-Reference': joined.reference },
  };
}
