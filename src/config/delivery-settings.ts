/**
 * Settings for how Civicdesk sends and receives: outgoing email, the per-case reply addresses, inbound
 * replies (SMTP listener or IMAP mailbox) and calls to other Open311 endpoints. Grouped because they are
 * the channels between Civicdesk and residents or bodies, configured together in docs/delivery.md.
 */
import { Type, type Static, type TObject } from 'typebox';
import { Port } from './setting-types.js';

export const deliverySettings = {
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: '^smtps?://',
      description:
        'SMTP server for outgoing email (smtp://user:pass@host:587, smtps://host:465). Unset: emails are written as .eml files to CIVICDESK_DATA_DIR/mail (not allowed in production).',
    }),
  ),
  CIVICDESK_MAIL_FROM: Type.String({
    default: 'Civicdesk <no-reply@civicdesk.invalid>',
    minLength: 3,
    description: 'From address of every email Civicdesk sends.',
  }),
  CIVICDESK_REPLY_ADDRESS: Type.String({
    default: 'cases@reply.civicdesk.invalid',
    pattern: '^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$',
    description:
      'Reply address for cases sent to a body by email: each case gets its own address, cases+<token>@domain, so replies thread back onto it. Point the domain’s MX record at the inbound SMTP listener or deliver it to the IMAP mailbox (docs/delivery.md).',
  }),
  CIVICDESK_REPLY_TOKEN_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'At least 32 random characters; keys the HMAC in reply addresses so nobody can make a valid one for a case. Default: derived from CIVICDESK_SESSION_SECRET (changing either stops old reply addresses working).',
    }),
  ),
  CIVICDESK_REPLY_TOKEN_DAYS_AFTER_CLOSE: Type.Integer({
    minimum: 0,
    maximum: 3650,
    default: 90,
    description:
      'Replies to a closed case still thread onto it for this many days after it closed; later ones are kept as unmatched for an administrator.',
  }),
  CIVICDESK_INBOUND_EMAIL: Type.Union([Type.Literal('off'), Type.Literal('smtp'), Type.Literal('imap')], {
    default: 'off',
    description:
      'How replies to the reply address come in: off; smtp (the worker listens on CIVICDESK_INBOUND_SMTP_PORT for mail to the reply domain); or imap (the worker polls the mailbox at CIVICDESK_INBOUND_IMAP_URL).',
  }),
  CIVICDESK_INBOUND_SMTP_HOST: Type.String({
    default: '127.0.0.1',
    minLength: 1,
    description: 'Interface the inbound SMTP listener binds to (0.0.0.0 to take mail from other machines).',
  }),
  CIVICDESK_INBOUND_SMTP_PORT: Type.Integer({
    ...Port,
    default: 2525,
    description: 'TCP port of the inbound SMTP listener (behind a mail relay; 25 needs privileges).',
  }),
  CIVICDESK_INBOUND_IMAP_URL: Type.Optional(
    Type.String({
      pattern: '^imaps?://',
      description:
        'Mailbox that receives the reply address’s mail, for CIVICDESK_INBOUND_EMAIL=imap: imaps://user:password@imap.example.gov.uk:993/INBOX. Messages are marked read once recorded.',
    }),
  ),
  CIVICDESK_INBOUND_IMAP_POLL_SECONDS: Type.Integer({
    minimum: 5,
    maximum: 3600,
    default: 60,
    description: 'How often the IMAP mailbox is checked for new replies.',
  }),
  CIVICDESK_INBOUND_MAX_BYTES: Type.Integer({
    minimum: 10_000,
    maximum: 100 * 1024 * 1024,
    default: 25 * 1024 * 1024,
    description:
      'Largest inbound email accepted, in bytes (default 25 MiB); the SMTP listener refuses larger ones with 552.',
  }),
  CIVICDESK_OPEN311_POLL_SECONDS: Type.Integer({
    minimum: 30,
    maximum: 86_400,
    default: 300,
    description:
      'How often the worker fetches updates from the Open311 endpoints cases are delivered to (docs/open311.md).',
  }),
  CIVICDESK_OPEN311_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 300,
    default: 30,
    description:
      'How long a call to another Open311 endpoint may take before it counts as failed and is retried.',
  }),
};

type DeliveryRaw = Static<TObject<typeof deliverySettings>>;

/** Problems with the delivery settings taken together; added to `problems`. */
export function deliveryProblems(config: DeliveryRaw, problems: string[]): void {
  if (config.CIVICDESK_INBOUND_EMAIL === 'imap' && !config.CIVICDESK_INBOUND_IMAP_URL) {
    problems.push('CIVICDESK_INBOUND_EMAIL=imap needs CIVICDESK_INBOUND_IMAP_URL (the mailbox to poll)');
  }
}
